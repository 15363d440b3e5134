"""Two per-item and start-up costs against their floors, measured in the same run.

- A 1000-row body with a ``null`` in every tenth row: the SDK's ``dumps`` (which must refuse
  NaN, that orjson would write as ``null``) against a bare ``orjson.dumps``, in CPU time.
- The ``pytest11`` plugin: importing it after pytest, against importing pytest alone, in
  fresh interpreters (the cost every pytest run pays where the SDK is installed).
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

ROUNDS = 5


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
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    """Print both measurements and their ratios to the floor."""
    import orjson

    from botpress_async._encoding import dumps

    body = _body()
    ratios = []
    for _ in range(ROUNDS):
        floor = _cpu(lambda: orjson.dumps(body), 50)
        sdk = _cpu(lambda: dumps(body), 50)
        ratios.append(sdk / floor)
    print(
        f"1000-row body, null every 10th row: SDK dumps / orjson.dumps = "
        f"{statistics.median(ratios):.2f} (median of {ROUNDS} paired rounds)"
    )
    extra = []
    for _ in range(ROUNDS):
        bare = _import_seconds("import pytest")
        plugin = _import_seconds("import pytest, botpress_pytest")
        extra.append(plugin - bare)
    print(f"pytest plugin import: +{statistics.median(extra) * 1e3:.1f} ms over pytest alone")


if __name__ == "__main__":
    main()
