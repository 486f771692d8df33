// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A "wait before asking again" hint counts down, and its button is disabled until then.
  document.querySelectorAll("[data-wait]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-wait"), 10);
    var hint = button.form && button.form.querySelector("[data-countdown]");
    var template = hint ? hint.textContent : "";
    var shown = hint ? template.match(/\d+/) : null;
    button.disabled = true;
    var timer = setInterval(function () {
      left -= 1;
      if (hint && shown) { hint.textContent = template.replace(shown[0], String(Math.max(left, 0))); }
      if (left <= 0) { clearInterval(timer); button.disabled = false; }
    }, 1000);
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
