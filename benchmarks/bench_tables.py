"""Tables: row jobs with default arguments, server-side import, and reading rows back.

The emulator runs in its own process. Each measurement prints a ratio from one run:

- ``upsert_rows`` and ``insert_rows`` with default arguments vs a hand-written aiohttp loop
  sending the same 1000-row requests at the same concurrency (target: at least 0.9 times raw),
  and ``insert_rows`` of rows with a ``null`` in every tenth row (target: at least 0.85);
- N generated rows through ``import_rows`` vs through ``insert_rows``, each in a fresh process:
  requests made, wall time and peak RSS growth (target: at most 100 MB for both);
- ``find_rows`` over a table, reading one column of every row: client CPU per row vs raw aiohttp
  paging with the same JSON ``loads`` (target: at most 1.2 times raw).

The issue's figure is 1,000,000 rows; on a shared two-core machine that takes minutes per run,
so the sizes are set by ``BENCH_TABLES_ROWS`` (default 200,000 for the streaming runs) and
``BENCH_TABLES_FIND`` (default 100,000 rows read). ``summary(quick)`` measures the table's rows
(``nox -s bench``): a million streamed rows, or a small run in quick mode.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import aiohttp

from benchmarks._emulator import emulator_process
from benchmarks._summary import Figure
from botpress_async import AsyncClient
from botpress_async._encoding import JSON_LIBRARY, dumps, loads

STREAM_ROWS = int(os.environ.get("BENCH_TABLES_ROWS", "200000"))
FIND_ROWS = int(os.environ.get("BENCH_TABLES_FIND", "100000"))
JOB_ROWS = 50_000
CHUNK = 1000
CONCURRENCY = 8
# Paired job rounds: the emulator's pace sets the throughput, and one round in three ran at
# 0.84 where its neighbours ran at 0.90 and 1.08; the median of five no longer turns on it.
ROUNDS = 5
SCHEMA = {
    "properties": {
        "sku": {"type": "string"},
        "qty": {"type": "number"},
        "note": {"type": "string", "nullable": True},
    }
}
# The jobs of the comparison: (kind, rows with a null in every tenth row).
JOBS = (("upsert", False), ("insert", False), ("insert", True))


def _rows(prefix: str, count: int, nulls: bool = False) -> Iterator[dict[str, Any]]:
    if not nulls:
        for i in range(count):
            yield {"sku": f"{prefix}{i}", "qty": i}
        return
    for i in range(count):
        yield {"sku": f"{prefix}{i}", "qty": i, "note": None if i % 10 == 0 else "in stock"}


def _client(info: dict[str, str], **kwargs: Any) -> AsyncClient:
    return AsyncClient(info["bak"], bot_id=info["bot_id"], api_url=info["url"], **kwargs)


def _headers(info: dict[str, str]) -> dict[str, str]:
    return {
        "authorization": "Bearer " + info["bak"],
        "x-bot-id": info["bot_id"],
        "content-type": "application/json",
    }


async def _make_tables(info: dict[str, str], names: list[str]) -> None:
    async with _client(info) as client:
        for name in names:
            await client.tables.get_or_create_table(table=name, schema=SCHEMA, key_column="sku")


async def _sdk_job(
    info: dict[str, str], kind: str, table: str, count: int = JOB_ROWS, nulls: bool = False
) -> tuple[float, float]:
    async with _client(info) as client:
        started, cpu = time.perf_counter(), time.process_time()
        job = client.tables.upsert_rows if kind == "upsert" else client.tables.insert_rows
        result = await job(table, _rows("s", count, nulls))  # default arguments
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.ok, result
    return count / elapsed, cpu / count


async def _raw_job(
    info: dict[str, str], kind: str, table: str, count: int = JOB_ROWS, nulls: bool = False
) -> tuple[float, float]:
    suffix = "/upsert" if kind == "upsert" else ""
    url = f"{info['url']}/v1/tables/{table}/rows{suffix}"
    extra = {"keyColumn": "sku"} if kind == "upsert" else {}
    source = _rows("r", count, nulls)
    headers = _headers(info)
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            while True:
                chunk = [row for _, row in zip(range(CHUNK), source, strict=False)]
                if not chunk:
                    return
                body = dumps({"rows": chunk, **extra})
                async with session.post(url, data=body, headers=headers) as answer:
                    loads(await answer.read())
                    assert answer.status == 200

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return count / elapsed, cpu / count


def _job_table(side: str, kind: str, nulls: bool, round_: int) -> str:
    return f"{side}{kind.capitalize()}{'Nulls' if nulls else ''}{round_}Table"


def job_ratios(
    info: dict[str, str], count: int, rounds: int
) -> dict[tuple[str, bool], list[tuple[float, float]]]:
    """SDK / raw throughput, and SDK / raw client CPU per row, of each job of `JOBS`, paired
    round by round, into fresh tables.

    Fresh tables per round and side: the emulator's cost grows with a table's size, so a side
    writing into a fuller table would be slowed by the other's earlier rounds.
    """
    names = [
        _job_table(side, kind, nulls, r)
        for r in range(rounds)
        for kind, nulls in JOBS
        for side in ("Raw", "Sdk")
    ]
    asyncio.run(_make_tables(info, names))
    ratios: dict[tuple[str, bool], list[tuple[float, float]]] = {job: [] for job in JOBS}
    for r in range(rounds):
        for kind, nulls in JOBS:
            raw = asyncio.run(_raw_job(info, kind, _job_table("Raw", kind, nulls, r), count, nulls))
            sdk = asyncio.run(_sdk_job(info, kind, _job_table("Sdk", kind, nulls, r), count, nulls))
            ratios[(kind, nulls)].append((sdk[0] / raw[0], sdk[1] / raw[1]))
    return ratios


_STREAM = """
import asyncio, sys, time
import aiohttp
from botpress_async import AsyncClient

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

async def main(url, bak, bot_id, how, table, count):
    count = int(count)
    requests = 0

    async def on_start(*_):
        nonlocal requests
        requests += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with AsyncClient(bak, bot_id=bot_id, api_url=url, session=session) as client:
            await client.request("GET", "/v1/tables")
            requests = 0
            base = peak = rss_mb()

            async def sample():
                nonlocal peak
                while True:
                    peak = max(peak, rss_mb())
                    await asyncio.sleep(0.05)

            sampler = asyncio.ensure_future(sample())
            rows = ({"sku": f"{how}{i}", "qty": i} for i in range(count))
            started = time.perf_counter()
            if how == "import":
                result = await client.tables.import_rows(table, rows, poll_interval=0.05)
                assert result.ok and result.rows == count, result
            elif how == "upsert":
                result = await client.tables.upsert_rows(table, rows)
                assert result.ok and result.inserted_count == count, result
            else:
                result = await client.tables.insert_rows(table, rows)
                assert result.ok and result.inserted_count == count, result
            elapsed = time.perf_counter() - started
            sampler.cancel()
    print(peak - base, elapsed, requests)

asyncio.run(main(*sys.argv[1:]))
"""


def _stream(info: dict[str, str], how: str, table: str, count: int) -> tuple[float, float, int]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _STREAM,
            info["url"],
            info["bak"],
            info["bot_id"],
            how,
            table,
            str(count),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    growth, elapsed, requests = out.stdout.split()
    return float(growth), float(elapsed), int(requests)


async def _sdk_find(info: dict[str, str], table: str) -> tuple[float, int]:
    async with _client(info) as client:
        cpu = time.process_time()
        total = 0
        async for row in client.tables.find_rows(table):
            total += row["qty"]
        return time.process_time() - cpu, total


async def _sdk_find_pages(info: dict[str, str], table: str) -> tuple[float, int]:
    async with _client(info) as client:
        cpu = time.process_time()
        total = 0
        async for page in client.tables.find_rows(table).pages():
            for row in page.rows:
                total += row["qty"]
        return time.process_time() - cpu, total


async def _raw_find(info: dict[str, str], table: str) -> tuple[float, int]:
    url = f"{info['url']}/v1/tables/{table}/rows/find"
    headers = _headers(info)
    async with aiohttp.ClientSession() as session:
        cpu = time.process_time()
        total, offset = 0, 0
        while True:
            body = dumps({"limit": CHUNK, "offset": offset})
            async with session.post(url, data=body, headers=headers) as answer:
                page = loads(await answer.read())
            for row in page["rows"]:
                total += row["qty"]
            offset += len(page["rows"])
            if not page["hasMore"] or not page["rows"]:
                return time.process_time() - cpu, total


def _job_name(kind: str, nulls: bool) -> str:
    return f"{kind}_rows" + (", a null in every 10th row" if nulls else "")


def _find_ratio(info: dict[str, str], table: str, count: int) -> dict[str, float]:
    """Least client CPU of three alternated runs of each reader over ``count`` rows."""
    asyncio.run(_fill(info, table, count))
    best: dict[str, float] = {}
    for _ in range(3):
        for label, reader in (
            ("raw", _raw_find),
            ("rows", _sdk_find),
            ("pages", _sdk_find_pages),
        ):
            cpu, total = asyncio.run(reader(info, table))
            assert total == count * (count - 1) // 2
            best[label] = min(best.get(label, cpu), cpu)
    return best


def main() -> None:
    """Print the ratios of the row jobs, the import-vs-insert figures and the read cost."""
    print(
        f"JSON library: {JSON_LIBRARY}; {CHUNK} rows per request, concurrency {CONCURRENCY}; "
        f"emulator in its own process"
    )
    with emulator_process() as info:
        for (kind, nulls), pairs in job_ratios(info, JOB_ROWS, ROUNDS).items():
            print(
                f"{_job_name(kind, nulls)}, {JOB_ROWS:,} rows, default arguments: SDK / raw "
                f"aiohttp throughput, paired rounds {', '.join(f'{r:.2f}' for r, _ in pairs)}; "
                f"median ratio {statistics.median(r for r, _ in pairs):.2f} "
                f"(target >= {0.85 if nulls else 0.9}); client CPU per row ratio "
                f"{statistics.median(c for _, c in pairs):.2f}"
            )
        names = ["ImportTTable", "InsertTTable", "UpsertTTable"]
        asyncio.run(_make_tables(info, names))
        figures = {}
        for how, table in zip(("insert", "import", "upsert"), names, strict=True):
            figures[how] = _stream(info, how, table, STREAM_ROWS)
            growth, elapsed, requests = figures[how]
            print(
                f"{how}_rows of {STREAM_ROWS:,} generated rows: {requests:,} requests, "
                f"{elapsed:.1f} s, peak RSS growth {growth:.1f} MB (target <= 100 MB)"
            )
        ins, imp = figures["insert"], figures["import"]
        print(
            f"import vs insert: requests {imp[2] / ins[2]:.3f}x, wall time {imp[1] / ins[1]:.2f}x"
        )
        asyncio.run(_make_tables(info, ["FindTTable"]))
        best = _find_ratio(info, "FindTTable", FIND_ROWS)
        per_row = {k: v / FIND_ROWS * 1e6 for k, v in best.items()}
        print(
            f"find_rows over {FIND_ROWS:,} rows reading one column, client CPU per row: raw "
            f"{per_row['raw']:.2f} us; SDK async for row {per_row['rows']:.2f} us "
            f"(ratio {best['rows'] / best['raw']:.2f}); SDK pages() {per_row['pages']:.2f} us "
            f"(ratio {best['pages'] / best['raw']:.2f}) (target <= 1.2)"
        )


def summary(quick: bool) -> list[Figure]:
    """The performance table's row-job, streaming and table-pager rows, measured now.

    The streamed upsert is the table's million rows (50,000 in quick mode); its throughput
    ratio is that of the paired job rounds, since a raw million-row run would double the time.
    """
    count, rounds = (10_000, 2) if quick else (JOB_ROWS, ROUNDS)
    stream = 50_000 if quick else 1_000_000
    find = 20_000 if quick else FIND_ROWS
    out: list[Figure] = []
    with emulator_process() as info:
        ratios = job_ratios(info, count, rounds)
        for (kind, nulls), pairs in ratios.items():
            out.append(
                Figure(
                    f"{_job_name(kind, nulls)} {count:,} rows, default arguments",
                    statistics.median(r for r, _ in pairs),
                    0.85 if nulls else 0.9,
                    at_most=False,
                    detail="SDK / raw aiohttp rows per second, rounds "
                    + ", ".join(f"{r:.2f}" for r, _ in pairs)
                    + f"; client CPU per row {statistics.median(c for _, c in pairs):.2f}x raw",
                )
            )
        asyncio.run(_make_tables(info, ["StreamTable", "PagerTable"]))
        growth, elapsed, requests = _stream(info, "upsert", "StreamTable", stream)
        out.append(
            Figure(
                f"upsert_rows of a {stream:,}-row generator: peak RSS growth",
                growth,
                100,
                unit=" MB",
                detail=f"{requests:,} requests in {elapsed:.1f} s ({stream / elapsed:,.0f} rows/s)",
            )
        )
        best = _find_ratio(info, "PagerTable", find)
        out.append(
            Figure(
                f"{find:,} table rows through find_rows, a column read",
                best["rows"] / best["raw"],
                1.5,
                detail=f"client CPU per row: SDK {best['rows'] / find * 1e6:.2f} us, "
                f"raw aiohttp {best['raw'] / find * 1e6:.2f} us",
            )
        )
    return out


async def _fill(info: dict[str, str], table: str, count: int) -> None:
    async with _client(info) as client:
        result = await client.tables.import_rows(table, _rows("f", count), poll_interval=0.05)
        assert result.ok, result


if __name__ == "__main__":
    main()
