"""Two per-item and start-up costs against their floors, measured in the same run.

- A 1000-row body with a ``null`` in every tenth row: the SDK's ``dumps`` (which must refuse
  NaN, that orjson would write as ``null``) against a bare ``orjson.dumps``, in CPU time.
- The ``pytest11`` plugin: importing it once pytest is imported, in fresh interpreters, in
  CPU time (the cost every pytest run pays where the SDK is installed).
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Final

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


# Run in a fresh interpreter: pytest is imported first (every run pays for it anyway), then
# the plugin, timed alone with the process's CPU clock.
_TIME_PLUGIN: Final = """
import time
import pytest
start = time.process_time()
import botpress_pytest
print(time.process_time() - start)
"""


def _plugin_seconds() -> float:
    """CPU seconds a fresh interpreter spends importing the plugin once pytest is imported."""
    # Timed inside the child, not as the difference of two children's CPU: two whole
    # interpreters' start-ups differ by milliseconds from run to run, far more than the
    # half millisecond being measured.
    done = subprocess.run(
        [sys.executable, "-c", _TIME_PLUGIN], check=True, capture_output=True, text=True
    )
    return float(done.stdout)


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
    """Milliseconds of CPU that importing the pytest plugin adds to a pytest run.

    The least of ``rounds`` fresh interpreters: other processes only ever add to a cost.
    """
    return min(_plugin_seconds() for _ in range(rounds)) * 1e3


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
            detail=f"CPU of the import after pytest's, least of {import_rounds} fresh "
            f"interpreters; SDK dumps of a body with nulls "
            f"{null_body_ratio(rounds):.2f}x orjson.dumps",
        )
    ]


def main() -> None:
    """Print both measurements and their ratios to the floor."""
    print(
        f"1000-row body, null every 10th row: SDK dumps / orjson.dumps = "
        f"{null_body_ratio():.2f} (median of {ROUNDS} paired rounds)"
    )
    print(f"pytest plugin import: +{plugin_import_ms():.2f} ms CPU after pytest's")


if __name__ == "__main__":
    main()
