"""Tables: row jobs with default arguments, server-side import, and reading rows back.

The emulator runs in its own process. Each measurement prints a ratio from one run:

- ``upsert_rows`` and ``insert_rows`` with default arguments vs a hand-written aiohttp loop
  sending the same 1000-row requests at the same concurrency (target: at least 0.9 times raw);
- N generated rows through ``import_rows`` vs through ``insert_rows``, each in a fresh process:
  requests made, wall time and peak RSS growth (target: at most 100 MB for both);
- ``find_rows`` over a table, reading one column of every row: client CPU per row vs raw aiohttp
  paging with the same JSON ``loads`` (target: at most 1.2 times raw).

The issue's figure is 1,000,000 rows; on a shared two-core machine that takes minutes per run,
so the sizes are set by ``BENCH_TABLES_ROWS`` (default 200,000 for the streaming runs) and
``BENCH_TABLES_FIND`` (default 100,000 rows read).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import aiohttp

from benchmarks._emulator import emulator_process
from botpress_async import AsyncClient
from botpress_async._encoding import JSON_LIBRARY, dumps, loads

STREAM_ROWS = int(os.environ.get("BENCH_TABLES_ROWS", "200000"))
FIND_ROWS = int(os.environ.get("BENCH_TABLES_FIND", "100000"))
JOB_ROWS = 50_000
CHUNK = 1000
CONCURRENCY = 8
SCHEMA = {"properties": {"sku": {"type": "string"}, "qty": {"type": "number"}}}


def _rows(prefix: str, count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {"sku": f"{prefix}{i}", "qty": i}


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


async def _sdk_job(info: dict[str, str], kind: str, table: str) -> float:
    async with _client(info) as client:
        started = time.perf_counter()
        job = client.tables.upsert_rows if kind == "upsert" else client.tables.insert_rows
        result = await job(table, _rows("s", JOB_ROWS))  # default arguments
        elapsed = time.perf_counter() - started
    assert result.ok, result
    return JOB_ROWS / elapsed


async def _raw_job(info: dict[str, str], kind: str, table: str) -> float:
    suffix = "/upsert" if kind == "upsert" else ""
    url = f"{info['url']}/v1/tables/{table}/rows{suffix}"
    extra = {"keyColumn": "sku"} if kind == "upsert" else {}
    source = _rows("r", JOB_ROWS)
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

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return JOB_ROWS / elapsed


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


def main() -> None:
    """Print the ratios of the row jobs, the import-vs-insert figures and the read cost."""
    print(
        f"JSON library: {JSON_LIBRARY}; {CHUNK} rows per request, concurrency {CONCURRENCY}; "
        f"emulator in its own process"
    )
    with emulator_process() as info:
        names = [
            "RawUpsert",
            "SdkUpsert",
            "RawInsert",
            "SdkInsert",
            "ImportT",
            "InsertT",
            "UpsertT",
            "FindT",
        ]
        asyncio.run(_make_tables(info, [n + "Table" for n in names]))
        for kind in ("upsert", "insert"):
            raw = asyncio.run(_raw_job(info, kind, f"Raw{kind.capitalize()}Table"))
            sdk = asyncio.run(_sdk_job(info, kind, f"Sdk{kind.capitalize()}Table"))
            print(
                f"{kind}_rows {JOB_ROWS:,} rows, default arguments: raw aiohttp {raw:,.0f} rows/s"
                f"  SDK {sdk:,.0f} rows/s  ratio {sdk / raw:.2f} (target >= 0.9)"
            )
        figures = {}
        for how, table in (
            ("insert", "InsertTTable"),
            ("import", "ImportTTable"),
            ("upsert", "UpsertTTable"),
        ):
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
        # the table to read: filled by a server-side import, which is quick
        asyncio.run(_fill(info, "FindTTable", FIND_ROWS))
        # alternate the three readers, keeping each one's best run: the machine is shared
        best: dict[str, float] = {}
        for _ in range(3):
            for label, reader in (
                ("raw", _raw_find),
                ("rows", _sdk_find),
                ("pages", _sdk_find_pages),
            ):
                cpu, total = asyncio.run(reader(info, "FindTTable"))
                assert total == FIND_ROWS * (FIND_ROWS - 1) // 2
                best[label] = min(best.get(label, cpu), cpu)
        per_row = {k: v / FIND_ROWS * 1e6 for k, v in best.items()}
        print(
            f"find_rows over {FIND_ROWS:,} rows reading one column, client CPU per row: raw "
            f"{per_row['raw']:.2f} us; SDK async for row {per_row['rows']:.2f} us "
            f"(ratio {best['rows'] / best['raw']:.2f}); SDK pages() {per_row['pages']:.2f} us "
            f"(ratio {best['pages'] / best['raw']:.2f}) (target <= 1.2)"
        )


async def _fill(info: dict[str, str], table: str, count: int) -> None:
    async with _client(info) as client:
        result = await client.tables.import_rows(table, _rows("f", count), poll_interval=0.05)
        assert result.ok, result


if __name__ == "__main__":
    main()
