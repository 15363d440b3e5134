"""One line per workload of the performance table: the measured figure, its target, a verdict.

Benchmark modules that take part define ``summary(quick: bool) -> list[Figure]``; the others
are run through their ``main()`` and the ratios they print are quoted (see `quoted`).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable

import attrs


@attrs.frozen
class Figure:
    """One measured figure against its target.

    Attributes:
        workload: what was measured, the way the performance table names it.
        value: the figure (a ratio to the floor, or megabytes), or None when not measured.
        limit: the target's bound.
        at_most: whether the figure must stay at or below `limit` (else at or above).
        unit: ``"x"`` for a ratio, ``" MB"`` for memory, ``" ms"`` for time.
        detail: the absolute numbers behind the figure, or why it was not measured.
    """

    workload: str
    value: float | None
    limit: float
    at_most: bool = True
    unit: str = "x"
    detail: str = ""

    @property
    def target(self) -> str:
        """The target as the table writes it, such as ``<= 1.10x``."""
        return f"{'<=' if self.at_most else '>='} {self.limit:g}{self.unit}"

    @property
    def verdict(self) -> str:
        """``ok``, ``MISSED`` or ``-`` (not measured)."""
        if self.value is None:
            return "-"
        met = self.value <= self.limit if self.at_most else self.value >= self.limit
        return "ok" if met else "MISSED"


def table(figures: list[Figure]) -> str:
    """The figures as an aligned text table, one workload per line."""
    head = ("workload", "measured", "target", "", "detail")
    rows = [head] + [
        (
            f.workload,
            "n/a" if f.value is None else f"{f.value:.2f}{f.unit}",
            f.target,
            f.verdict,
            f.detail,
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def quoted(
    run: Callable[[], None], picks: list[tuple[str, str, float, bool]]
) -> tuple[list[Figure], str]:
    """Run a benchmark's ``main()``, keep what it printed and read the ratios it names.

    Args:
        run: the module's ``main``.
        picks: (workload, a pattern whose first group is the figure, limit, at_most); a
            pattern the output does not match gives a figure of None, with the reason. The
            detail shown is the printed line of the figure, up to the figure.

    Returns:
        The figures, and the printed output (shown in full, so nothing is lost when a
        module changes its wording).
    """
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run()
    text = out.getvalue()
    figures = []
    for workload, pattern, limit, at_most in picks:
        match = re.search(pattern, text)
        if match is None:
            figures.append(
                Figure(workload, None, limit, at_most, detail="not found in the module's output")
            )
            continue
        # the line that holds the figure (a pattern may start lines above it)
        line = text[text.rfind("\n", 0, match.start(1)) + 1 : match.end(1)].strip()
        figures.append(Figure(workload, float(match.group(1)), limit, at_most, detail=line[:90]))
    return figures, text


__all__ = ["Figure", "quoted", "table"]
