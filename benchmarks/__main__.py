"""Run the performance table (the default), or benchmark modules (``benchmarks/bench_*.py``).

``python -m benchmarks`` measures every workload of the performance table against its floor
in one run and prints one table of ratios with their targets; ``--quick`` does the same with
small counts, in a few minutes. ``python -m benchmarks core sync`` runs those two modules'
full printouts instead, and ``python -m benchmarks all`` runs every module's.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType

import benchmarks
from benchmarks._summary import Figure, quoted, table

# The modules that measure the table's workloads, in the table's order.
TABLE_MODULES = ("decode", "tables", "upload", "sync", "startup", "ts")

# Modules without a summary() of their own: what to read from their printout, and the
# smaller counts of quick mode (module constants, set for the run and restored after it).
# Each pattern's first group is the figure; tests/benchmarks checks them against the
# modules' wording, so a reworded printout fails a test instead of showing "n/a".
_CPU = r"client CPU \(median of rounds\):\n(?:  [^\n]*\n)*?"
_INSTRUCTIONS = r"instructions \(callgrind[^\n]*\n(?:  [^\n]*\n)*?"
QUOTED: dict[str, list[tuple[str, str, float, bool]]] = {
    "decode": [
        (
            "paginate 10 x 100 messages, 7 fields read, client CPU vs raw aiohttp + orjson",
            _CPU + r"  paging [^\n]*?vs aiohttp \+ \w+ (\d+\.\d+)",
            1.25,
            True,
        ),
        (
            "paginate 10 x 100 messages, 7 fields read, instructions vs raw aiohttp + orjson",
            _INSTRUCTIONS + r"  paging [^\n]*?vs aiohttp \+ \w+ (\d+\.\d+)",
            1.25,
            True,
        ),
        (
            "messages through a pager, client CPU per item vs raw",
            _CPU + r"  messages, [^\n]*; ratio (\d+\.\d+)",
            1.5,
            True,
        ),
        (
            "messages through a pager, instructions per item vs raw",
            _INSTRUCTIONS + r"  messages, [^\n]*; ratio (\d+\.\d+)",
            1.5,
            True,
        ),
        (
            "table rows through find_rows, client CPU per item vs raw",
            _CPU + r"  table rows, [^\n]*; ratio (\d+\.\d+)",
            1.5,
            True,
        ),
        (
            "table rows through find_rows, instructions per item vs raw",
            _INSTRUCTIONS + r"  table rows, [^\n]*; ratio (\d+\.\d+)",
            1.5,
            True,
        ),
    ],
    "upload": [
        (
            "upload_files, client CPU vs a raw aiohttp loop",
            r"CPU ratio SDK/raw floor (\d+\.\d+)",
            1.15,
            True,
        ),
        (
            "upload_files, instructions vs a raw aiohttp loop",
            r"instructions \(callgrind[^\n]*; ratio (\d+\.\d+)",
            1.15,
            True,
        ),
    ],
}
QUICK_CONSTANTS: dict[str, dict[str, int]] = {
    "decode": {"ROUNDS": 2, "ITEMS": 20_000},
    "upload": {"ROUNDS": 2, "INSTRUCTION_FILES": 0},
}


def _names() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )


@contextlib.contextmanager
def _constants(module: ModuleType, values: dict[str, int]) -> Iterator[None]:
    saved = {name: getattr(module, name) for name in values if hasattr(module, name)}
    for name in saved:
        setattr(module, name, values[name])
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def _figures(name: str, quick: bool) -> list[Figure]:
    module = importlib.import_module(f"benchmarks.bench_{name}")
    own: Callable[[bool], list[Figure]] | None = getattr(module, "summary", None)
    if own is not None:
        return own(quick)
    with _constants(module, QUICK_CONSTANTS.get(name, {}) if quick else {}):
        figures, text = quoted(module.main, QUOTED.get(name, []))
    print(text, end="", flush=True)
    return figures


def summary(quick: bool) -> list[Figure]:
    """Measure every workload of the table, module by module, printing progress."""
    figures: list[Figure] = []
    for name in TABLE_MODULES:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        try:
            figures.extend(_figures(name, quick))
        except Exception as exc:  # one broken module must not hide the other rows
            figures.append(Figure(name, None, 0, detail=f"failed: {type(exc).__name__}: {exc}"))
        print(f"({name}: {time.monotonic() - started:.1f}s)", flush=True)
    return figures


def main(argv: list[str]) -> int:
    """Print the performance table, or run the benchmark modules named in ``argv``."""
    quick = "--quick" in argv
    selected = [a for a in argv if a != "--quick"]
    names = _names()
    if not selected:
        started = time.monotonic()
        figures = summary(quick)
        print(f"\nperformance table{' (quick counts)' if quick else ''}, measured in this run:")
        print(table(figures))
        print(f"({time.monotonic() - started:.0f}s)")
        return 0
    if selected == ["all"]:
        selected = names
    unknown = [n for n in selected if n not in names]
    if unknown:
        print(f"unknown benchmarks {unknown}; known: {names}, or all", file=sys.stderr)
        return 2
    for name in selected:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        importlib.import_module(f"benchmarks.bench_{name}").main()
        print(f"({name}: {time.monotonic() - started:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
