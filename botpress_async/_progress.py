"""The one terminal progress bar of the SDK: a tqdm bar fed by a job's `BulkProgress` snapshots.

The bulk helpers (``progress_bar=True``), the table import jobs and the command line's demo
all draw through `progress_bar`, so a bar looks and behaves the same everywhere: drawn on a
terminal only, a fixed width where the terminal gives none, closed by the final snapshot.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Final, TextIO

from ._bulk_results import BulkProgress
from ._errors import install_hint

__all__ = ["bar_columns", "both", "progress_bar", "terminal_columns"]

#: A terminal narrower than this (or one that reports 0) gets a bar of fixed width instead.
MIN_BAR_COLUMNS: Final = 40
FALLBACK_BAR_COLUMNS: Final = 80

Report = Callable[[BulkProgress], None]


def bar_columns(terminal_columns: int) -> int | None:
    """The fixed width of a progress bar, or ``None`` to follow the terminal's (pure).

    A terminal that reports no width (0, as some pseudo-terminals and CI logs do) or a
    very narrow one would leave a bar that follows it with no room to draw in.
    """
    return None if terminal_columns >= MIN_BAR_COLUMNS else FALLBACK_BAR_COLUMNS


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to; 0 when it is none or does not say."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):  # io.StringIO has no usable fileno
        return 0


def progress_bar(
    total: int | None,
    *,
    unit: str = "item",
    count: Callable[[BulkProgress], int] | None = None,
    stream: TextIO | None = None,
    force: bool = False,
    label: str | None = None,
    details: bool = True,
) -> Report | None:
    """A progress callback drawing a tqdm bar, or ``None`` when none should be drawn.

    A bar is drawn on a terminal only, unless ``force`` or ``BP_PROGRESS_BAR=always`` asks
    for one anyway (a notebook, a CI log that renders bars); without tqdm a one-line hint
    names the extra to install.

    Args:
        total: the number of units the job will settle, when known.
        unit: what the bar counts, as tqdm shows it.
        count: the units settled so far, from a snapshot; items done plus failed by default.
        stream: where to draw (standard error by default).
        force: draw even when ``stream`` is not a terminal.
        label: the text before the bar.
        details: show the failures and the concurrency after the bar, not only the calls
            in flight (a narrow bar has no room for them).
    """
    out = stream if stream is not None else sys.stderr
    forced = force or os.environ.get("BP_PROGRESS_BAR", "").lower() == "always"
    if not forced and not (out is not None and out.isatty()):
        return None  # a bar in a log file or a pipe is only noise
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        print(f"progress bar: tqdm is missing; {install_hint('progress')}", file=sys.stderr)
        return None
    ncols = bar_columns(terminal_columns(out))
    bar = tqdm(
        total=total, unit=unit, desc=label, file=out, ncols=ncols, dynamic_ncols=ncols is None
    )

    def update(p: BulkProgress) -> None:
        settled = count(p) if count is not None else p.done + p.failed
        bar.n = settled if total is None else min(total, settled)
        if details:
            bar.set_postfix(
                failed=p.failed, in_flight=p.in_flight, concurrency=p.concurrency, refresh=False
            )
        else:
            bar.set_postfix(in_flight=p.in_flight, refresh=False)
        bar.refresh()
        if p.final:
            bar.close()

    return update


def both(first: Report | None, second: Report | None) -> Report | None:
    """One callback that calls ``first`` then ``second`` (either may be ``None``)."""
    if first is None or second is None:
        return first if second is None else second

    def call(progress: BulkProgress) -> None:
        first(progress)
        second(progress)

    return call
