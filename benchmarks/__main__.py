"""Run every benchmark module (``benchmarks/bench_*.py``), or those named on the command line.

``python -m benchmarks`` runs all; ``python -m benchmarks core sync`` runs two.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str]) -> int:
    """Import and run each selected benchmark module's ``main()``."""
    names = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    selected = argv or names
    unknown = [n for n in selected if n not in names]
    if unknown:
        print(f"unknown benchmarks {unknown}; known: {names}", file=sys.stderr)
        return 2
    for name in selected:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        importlib.import_module(f"benchmarks.bench_{name}").main()
        print(f"({name}: {time.monotonic() - started:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
