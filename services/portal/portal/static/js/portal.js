// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A button that must wait ("ask again in N seconds", said beside it) is disabled until then.
  document.querySelectorAll("[data-wait]").forEach(function (button) {
    button.disabled = true;
    setTimeout(function () { button.disabled = false; }, 1000 * parseInt(button.getAttribute("data-wait"), 10));
  });
  // The chosen category's row of fees is highlighted.
  var radios = document.querySelectorAll('.categories input[name="category"]');
  function mark() {
    radios.forEach(function (radio) {
      var row = radio.closest("tr");
      if (row) { row.classList.toggle("is-chosen", radio.checked); }
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", mark); });
  mark();
})();
