"""Two per-item and start-up costs against their floors, measured in the same run.

- A 1000-row body with a ``null`` in every tenth row: the SDK's ``dumps`` (which must refuse
  NaN, that orjson would write as ``null``) against a bare ``orjson.dumps``, in CPU time.
- The ``pytest11`` plugin: importing it after pytest, against importing pytest alone, in
  fresh interpreters, in CPU time (the cost every pytest run pays where the SDK is installed).
"""

from __future__ import annotations

import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from benchmarks._summary import Figure

ROUNDS = 5
IMPORT_ROUNDS = 10
#: Most milliseconds the pytest plugin may add to a pytest run that uses none of its fixtures.
PLUGIN_TARGET_MS = 10.0


def _cpu(call: Callable[[], object], repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - start) / repeat


def _body() -> dict[str, object]:
    rng = random.Random(1)
    rows = [
        {
            "name": f"row-{i}",
            "value": rng.random() * 100,
            "count": i,
            "tags": ["a", "b"],
            "note": None if i % 10 == 0 else "some text",
        }
        for i in range(1000)
    ]
    return {"rows": rows}


def _import_seconds(code: str) -> float:
    """CPU seconds (user and system) of a fresh interpreter running ``code``."""
    # CPU rather than wall time: on a shared machine a process waiting for a CPU adds wall
    # time that is not its own, tens of milliseconds on a loaded two-core machine.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def null_body_ratio(rounds: int = ROUNDS) -> float:
    """Median of paired rounds of the SDK's ``dumps`` over ``orjson.dumps`` of the null body."""
    import orjson

    from botpress_async._encoding import dumps

    body = _body()
    ratios = []
    for _ in range(rounds):
        floor = _cpu(lambda: orjson.dumps(body), 50)
        sdk = _cpu(lambda: dumps(body), 50)
        ratios.append(sdk / floor)
    return statistics.median(ratios)


def plugin_import_ms(rounds: int = IMPORT_ROUNDS) -> float:
    """Milliseconds of CPU that importing the pytest plugin adds to importing pytest.

    The least of the alternated rounds of each side: other processes only ever add to a cost.
    """
    bare, plugin = [], []
    for _ in range(rounds):
        bare.append(_import_seconds("import pytest"))
        plugin.append(_import_seconds("import pytest, botpress_pytest"))
    return (min(plugin) - min(bare)) * 1e3


def summary(quick: bool) -> list[Figure]:
    """The performance table's pytest-plugin row, measured now."""
    rounds = 3 if quick else ROUNDS
    import_rounds = 5 if quick else IMPORT_ROUNDS
    extra = plugin_import_ms(import_rounds)
    return [
        Figure(
            "a trivial pytest run where the SDK is installed: plugin import",
            extra,
            PLUGIN_TARGET_MS,
            unit=" ms",
            detail=f"CPU, least of {import_rounds} fresh interpreters each, import pytest "
            f"alone as the floor; SDK dumps of a body with nulls "
            f"{null_body_ratio(rounds):.2f}x orjson.dumps",
        )
    ]


def main() -> None:
    """Print both measurements and their ratios to the floor."""
    print(
        f"1000-row body, null every 10th row: SDK dumps / orjson.dumps = "
        f"{null_body_ratio():.2f} (median of {ROUNDS} paired rounds)"
    )
    print(f"pytest plugin import: +{plugin_import_ms():.1f} ms CPU over pytest alone")


if __name__ == "__main__":
    main()
