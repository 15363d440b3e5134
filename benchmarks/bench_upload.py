"""1,000 small files through ``client.files.upload_files`` versus a hand-written gather loop.

Both sides make the same two requests per file (``upsertFile``, then the PUT of the bytes to
the ``uploadUrl``) at the same concurrency, with the same JSON library, against the emulator
running in its own process (``python -m botpress_async.testing``). Rounds are interleaved so
drifts of a shared machine hit both sides alike; the medians are printed with their ratio,
the client's CPU per file and the peak RSS of this process.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from typing import Any

import aiohttp
from yarl import URL

from benchmarks._emulator import emulator_process
from botpress_async import AsyncClient
from botpress_async._encoding import JSON_LIBRARY, dumps, loads

FILES = 1000
SIZE = 1024
CONCURRENCY = 16
ROUNDS = 7


def _files(prefix: str) -> list[tuple[str, bytes]]:
    return [(f"{prefix}/{i:05d}.txt", bytes([65 + i % 26]) * SIZE) for i in range(FILES)]


async def _raw(session: aiohttp.ClientSession, info: dict[str, str], prefix: str) -> None:
    """What a user writes by hand: a semaphore, gather, upsert then PUT."""
    url = info["url"] + "/v1/files"
    headers = {
        "authorization": "Bearer " + info["bak"],
        "x-bot-id": info["bot_id"],
        "content-type": "application/json",
    }
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(key: str, data: bytes) -> None:
        async with limit:
            body = dumps({"key": key, "size": len(data), "contentType": "text/plain"})
            async with session.put(url, data=body, headers=headers) as resp:
                resp.raise_for_status()
                record = loads(await resp.read())["file"]
            put_headers = {"content-type": record["contentType"]}
            target = URL(record["uploadUrl"], encoded=True)
            async with session.put(target, data=data, headers=put_headers) as resp:
                resp.raise_for_status()
                await resp.read()

    await asyncio.gather(*(one(key, data) for key, data in _files(prefix)))


async def _sdk(client: AsyncClient, prefix: str) -> None:
    result = await client.files.upload_files(_files(prefix), concurrency=CONCURRENCY)
    result.raise_for_failures()


async def _timed(run: Any) -> tuple[float, float]:
    """Wall seconds and client CPU seconds of one round."""
    wall, cpu = time.perf_counter(), time.process_time()
    await run
    return time.perf_counter() - wall, time.process_time() - cpu


async def _measure(info: dict[str, str]) -> dict[str, list[tuple[float, float]]]:
    samples: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}
    connector = aiohttp.TCPConnector(limit=100)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        AsyncClient(info["bak"], bot_id=info["bot_id"], api_url=info["url"]) as client,
    ):
        # Every round replaces the same files: the emulator finds a key by scanning its
        # files, so a store that grew between rounds would slow whichever side runs later.
        # The warm-up also warms both pools and the server's code paths.
        await _raw(session, info, "bench")
        await _sdk(client, "bench")
        for _ in range(ROUNDS):
            samples["raw"].append(await _timed(_raw(session, info, "bench")))
            samples["sdk"].append(await _timed(_sdk(client, "bench")))
    return samples


def main() -> None:
    """Print files/s of the SDK and of the raw loop, their ratio, CPU per file and peak RSS."""
    print(
        f"{FILES} files of {SIZE} B, concurrency {CONCURRENCY}, {ROUNDS} interleaved rounds, "
        f"JSON library {JSON_LIBRARY}; emulator in its own process"
    )
    with emulator_process() as info:
        samples = asyncio.run(_measure(info))
    rates = {
        side: statistics.median(FILES / wall for wall, _ in runs) for side, runs in samples.items()
    }
    cpu = {side: statistics.median(c / FILES for _, c in runs) for side, runs in samples.items()}
    print(
        f"raw aiohttp gather loop {rates['raw']:8.0f} files/s   {cpu['raw'] * 1e6:6.0f} µs CPU/file"
    )
    print(
        f"SDK upload_files        {rates['sdk']:8.0f} files/s   {cpu['sdk'] * 1e6:6.0f} µs CPU/file"
    )
    print(
        f"throughput ratio SDK/raw {rates['sdk'] / rates['raw']:.3f}; "
        f"CPU ratio SDK/raw {cpu['sdk'] / cpu['raw']:.3f}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process {peak:.0f} MB")


if __name__ == "__main__":
    main()
