"""The one table `make bench` prints: every bench module's `figures()` returns a list of `Figure`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COLUMNS = ("figure", "measured", "baseline", "ratio", "goal", "met")


@dataclass
class Figure:
    """One measured figure. `baseline` is what it is compared with (same unit, measured in the same
    run), or None; `goal` says in words what counts as good; `met` is None when there is no goal."""

    name: str
    value: float
    unit: str
    baseline: float | None
    goal: str
    met: bool | None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


def _number(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def rows(figures: Iterable[Figure]) -> list[tuple[str, ...]]:
    """The table's cells, header first."""
    table = [COLUMNS]
    for figure in figures:
        table.append(
            (
                figure.name,
                _number(figure.value, figure.unit),
                "" if figure.baseline is None else _number(figure.baseline, figure.unit),
                "" if figure.ratio is None else f"{figure.ratio:.2f} ×",
                figure.goal,
                {True: "yes", False: "NO", None: ""}[figure.met],
            )
        )
    return table


def print_table(figures: Iterable[Figure]) -> None:
    """A Markdown table, so the output can be pasted into docs/performance.md as it is."""
    table = rows(figures)
    widths = [max(len(row[column]) for row in table) for column in range(len(COLUMNS))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    print(line(table[0]))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in table[1:]:
        print(line(row))
