"""The emulator's throughput now against the emulator of an earlier commit, in one run.

Two cases, each on an emulator in its own process: ``GET /v1/chat/users/{id}`` with 16 requests
in flight, and ``createTableRows`` calls of 1000 rows. The earlier emulator is the package as
it was at ``BENCH_EMULATOR_BASE`` (default: where this branch left ``main``), unpacked with
``git archive`` into a temporary directory that comes first on the child's ``PYTHONPATH``. The
two run in turns, several rounds, and each keeps its best round, so a busy machine hurts both
alike; the wall-clock rate and the server's own CPU time (from /proc) are printed. Both drift
by tens of percent on a shared machine, so when valgrind is installed each emulator also runs
once under callgrind, and the instructions the server executes per GET and per inserted row
give the ratio to trust.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks._server import free_port

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 16
GETS = 4000
ROWS = 1000
# Inserts of ROWS rows per measurement: one takes tens of milliseconds, and /proc counts CPU
# time in ticks of 10 ms, so a few of them make the CPU figure meaningful.
INSERTS = 20
ROUNDS = 3
# Requests per case under callgrind, where everything runs about fifty times slower.
CALLGRIND_GETS = 300


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _base_commit() -> str:
    wanted = os.environ.get("BENCH_EMULATOR_BASE")
    if wanted:
        return wanted
    found = subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True
    )
    return found.stdout.strip() or "HEAD"


@contextlib.contextmanager
def _unpacked(commit: str) -> Iterator[Path]:
    """The ``botpress_async`` package of ``commit`` in a temporary directory."""
    with tempfile.TemporaryDirectory() as target:
        archive = subprocess.run(
            ["git", "archive", commit, "botpress_async"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", target], input=archive.stdout, check=True)
        yield Path(target)


@contextlib.contextmanager
def _emulator(
    package_root: Path | None, callgrind_out: Path | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """An emulator process (of ``package_root`` when given) and what it prints.

    With ``callgrind_out`` it runs under callgrind, which dumps its counts there on request.
    """
    # A fixed hash seed keeps dict and set layouts, and so instruction counts, from run to run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if package_root is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(package_root), env.get("PYTHONPATH", "")])
    port = free_port()
    command = [sys.executable, "-m", "botpress_async.testing", "--port", str(port), "--seed", "1"]
    if callgrind_out is not None:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={callgrind_out}",
            *command,
        ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        # valgrind's banner and notes would land between the figures.
        stderr=subprocess.DEVNULL if callgrind_out is not None else None,
        text=True,
        env=env,
        cwd=package_root or ROOT,
    )
    info: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        # It prints shell lines (``export BP_API_URL=...``); the first few name all we need.
        for _ in range(20):
            line = proc.stdout.readline()
            key, _, value = line.strip().removeprefix("export ").partition("=")
            info[key] = value
            if not line or {"BP_API_URL", "BP_TOKEN", "BP_BOT_ID"} <= info.keys():
                break
        if "BP_API_URL" not in info:
            raise RuntimeError("the emulator did not start")
        yield proc.pid, info
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:  # it ignored the polite request
            proc.kill()
            proc.wait()


def _request(url: str, headers: dict[str, str], body: Any, method: str = "POST") -> Any:
    request = urllib.request.Request(  # noqa: S310 - an http URL on loopback
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={**headers, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 - same URL
        return json.loads(resp.read())


async def _gets(url: str, headers: dict[str, str], count: int) -> None:
    """``count`` requests to ``url``, ``CONCURRENCY`` at a time."""
    left = count
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                async with session.get(url, headers=headers) as resp:
                    assert resp.status == 200, resp.status
                    await resp.read()

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def _measure(
    pid: int, info: dict[str, str], gets: int = GETS, inserts: int = 0, between: Any = None
) -> dict[str, tuple[float, float]]:
    """Per case: operations per wall second and per server CPU second.

    ``between`` is called before the first case and after each one (callgrind's counters).
    """
    inserts = inserts or INSERTS
    url = info["BP_API_URL"]
    headers = {"Authorization": f"Bearer {info['BP_TOKEN']}", "x-bot-id": info["BP_BOT_ID"]}
    user = _request(url + "/v1/chat/users", headers, {"tags": {"team": "core"}, "name": "Ada"})
    schema = {"properties": {"name": {"type": "string"}, "n": {"type": "number"}}}
    _request(url + "/v1/tables", headers, {"name": "BenchTable", "schema": schema})
    rows = [{"name": f"row {i}", "n": i} for i in range(ROWS)]
    out: dict[str, tuple[float, float]] = {}

    def timed(name: str, count: int, run: Any) -> None:
        if between is not None:
            between()
        cpu, wall = _cpu_seconds(pid), time.perf_counter()
        run()
        wall, cpu = time.perf_counter() - wall, _cpu_seconds(pid) - cpu
        out[name] = (count / wall, count / cpu if cpu > 0 else float("nan"))

    get_url = f"{url}/v1/chat/users/{user['user']['id']}"
    timed(
        f"GET user x{gets} at {CONCURRENCY}",
        gets,
        lambda: asyncio.run(_gets(get_url, headers, gets)),
    )
    rows_url = url + "/v1/tables/BenchTable/rows"

    def insert() -> None:
        for _ in range(inserts):
            _request(rows_url, headers, {"rows": rows})

    timed(f"insert {ROWS} rows (rows/s)", ROWS * inserts, insert)
    if between is not None:
        between()
    return out


def _instructions(package_root: Path | None, folder: Path) -> dict[str, float]:
    """Instructions the server executes per GET and per inserted row, under callgrind."""
    out = folder / "callgrind.out"
    with _emulator(package_root, out) as (pid, info):
        control = ["callgrind_control"]
        # Zero before the first case, then one dump per case: each dump holds one case's count.
        calls = iter([[*control, "-z", str(pid)]] + [[*control, "-d", str(pid)]] * 2)

        def between() -> None:
            subprocess.run(next(calls), capture_output=True, check=True)

        counts = _measure(pid, info, gets=CALLGRIND_GETS, inserts=1, between=between)
    dumps = sorted(folder.glob("callgrind.out.*"), key=lambda f: int(f.suffix[1:]))
    totals = []
    for dump in dumps[-2:]:
        found = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.MULTILINE)
        totals.append(int(found.group(1)) if found else 0)
    sizes = [CALLGRIND_GETS, ROWS]
    return {name: total / size for name, total, size in zip(counts, totals, sizes, strict=True)}


def main() -> None:
    """Run both emulators in turns and print the best round of each with the ratio."""
    commit = _base_commit()
    print(f"before: the emulator at {commit[:12]}; after: this tree; best of {ROUNDS} rounds")
    best: dict[str, dict[str, tuple[float, float]]] = {"before": {}, "after": {}}
    with _unpacked(commit) as old_root:
        for _ in range(ROUNDS):
            for label, root in (("before", old_root), ("after", None)):
                with _emulator(root) as (pid, info):
                    for name, (rate, per_cpu) in _measure(pid, info).items():
                        old = best[label].get(name, (0.0, 0.0))
                        best[label][name] = (max(old[0], rate), max(old[1], per_cpu))
    for name in best["after"]:
        (b_rate, b_cpu), (a_rate, a_cpu) = best["before"][name], best["after"][name]
        print(
            f"{name:28s} before {b_rate:8.0f}/s ({b_cpu:8.0f} per CPU s)  "
            f"after {a_rate:8.0f}/s ({a_cpu:8.0f} per CPU s)  "
            f"ratio {a_cpu / b_cpu:.2f} by CPU, {a_rate / b_rate:.2f} by wall"
        )
    if shutil.which("valgrind") and shutil.which("callgrind_control"):
        with _unpacked(commit) as old_root, tempfile.TemporaryDirectory() as scratch:
            (Path(scratch) / "before").mkdir()
            (Path(scratch) / "after").mkdir()
            before = _instructions(old_root, Path(scratch) / "before")
            after = _instructions(None, Path(scratch) / "after")
        print("server instructions (callgrind; repeatable on a busy machine):")
        for name, count in after.items():
            label = "per GET" if name.startswith("GET") else "per inserted row"
            print(
                f"  {label:17s} before {before[name]:12,.0f}  after {count:12,.0f}  "
                f"ratio {before[name] / count:.2f} (higher is faster)"
            )


if __name__ == "__main__":
    main()
