"""Bulk rows: `client.tables.insert_rows` against raw aiohttp, and streaming memory.

The emulator runs in its own process. 100,000 rows go out in 1000-row requests at the same
concurrency, with the same JSON library, once through the SDK and once through a hand-written
aiohttp loop (target: SDK throughput at least 0.9 times raw). Then 1,000,000 generated rows
stream through insert_rows in a fresh process whose peak RSS growth must stay under 100 MB.
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import aiohttp

from benchmarks._emulator import emulator_process
from botpress_async import AsyncClient
from botpress_async._encoding import JSON_LIBRARY, dumps, loads

ROWS = 100_000
CHUNK = 1000
CONCURRENCY = 8
SCHEMA = {"properties": {"sku": {"type": "string"}, "qty": {"type": "number"}}}


def _rows(prefix: str, count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {"sku": f"{prefix}{i}", "qty": i}


async def _make_table(info: dict[str, str], name: str) -> None:
    async with AsyncClient(info["bak"], bot_id=info["bot_id"], api_url=info["url"]) as client:
        await client.tables.get_or_create_table(table=name, schema=SCHEMA, key_column="sku")


async def _sdk(info: dict[str, str], table: str) -> float:
    async with AsyncClient(info["bak"], bot_id=info["bot_id"], api_url=info["url"]) as client:
        started = time.perf_counter()
        result = await client.tables.insert_rows(
            table, _rows("s", ROWS), concurrency=CONCURRENCY, keep_rows=False
        )
        elapsed = time.perf_counter() - started
    assert result.ok, result
    assert result.inserted_count == ROWS, result
    return ROWS / elapsed


async def _raw(info: dict[str, str], table: str) -> float:
    headers = {
        "authorization": "Bearer " + info["bak"],
        "x-bot-id": info["bot_id"],
        "content-type": "application/json",
    }
    url = f"{info['url']}/v1/tables/{table}/rows"
    source = _rows("r", ROWS)
    inserted = 0

    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            nonlocal inserted
            while True:
                chunk = [row for _, row in zip(range(CHUNK), source, strict=False)]
                if not chunk:
                    return
                async with session.post(url, data=dumps({"rows": chunk}), headers=headers) as r:
                    body = loads(await r.read())
                    assert r.status == 200, body
                    inserted += len(body["rows"])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    assert inserted == ROWS
    return ROWS / elapsed


_STREAM = """
import asyncio, sys
from botpress_async import AsyncClient

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

async def main(url, bak, bot_id):
    async with AsyncClient(bak, bot_id=bot_id, api_url=url) as client:
        await client.request("GET", "/v1/tables")
        base = rss_mb()
        peak = base

        async def sample():
            nonlocal peak
            while True:
                peak = max(peak, rss_mb())
                await asyncio.sleep(0.05)

        sampler = asyncio.ensure_future(sample())
        rows = ({"sku": f"m{i}", "qty": i} for i in range(1_000_000))
        result = await client.tables.insert_rows("StreamTable", rows, keep_rows=False)
        sampler.cancel()
    assert result.ok, result
    assert result.inserted_count == 1_000_000, result
    print(peak - base, result.elapsed)

asyncio.run(main(*sys.argv[1:]))
"""


def main() -> None:
    """Print rows/s for the SDK and raw aiohttp, their ratio, and the streaming RSS growth."""
    print(
        f"JSON library on both sides: {JSON_LIBRARY}; {ROWS} rows, {CHUNK} per request, "
        f"concurrency {CONCURRENCY}; emulator in its own process"
    )
    with emulator_process() as info:
        for name in ("RawTable", "SdkTable", "StreamTable"):
            asyncio.run(_make_table(info, name))
        raws, sdks = [], []
        for _ in range(2):  # alternate, so a drift of the shared machine hits both
            raws.append(asyncio.run(_raw(info, "RawTable")))
            sdks.append(asyncio.run(_sdk(info, "SdkTable")))
        raw, sdk = max(raws), max(sdks)
        print(
            f"insert 100k rows: raw aiohttp {raw:,.0f} rows/s  SDK insert_rows {sdk:,.0f} rows/s  "
            f"ratio {sdk / raw:.3f} (target >= 0.9)"
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process (both runs): {peak_mb:.0f} MB")
        out = subprocess.run(
            [sys.executable, "-c", _STREAM, info["url"], info["bak"], info["bot_id"]],
            capture_output=True,
            text=True,
            check=True,
        )
        growth, elapsed = (float(x) for x in out.stdout.split())
        print(
            f"stream 1,000,000 rows through insert_rows: {elapsed:.1f}s, peak RSS growth "
            f"{growth:.1f} MB (target < 100 MB)"
        )
