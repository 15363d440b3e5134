"""The core's overhead: client CPU per GET through `AsyncClient.request` versus raw aiohttp.

Both sides use the same JSON library and the same loopback server (in another process), in one
run; the SDK's target is at most 1.15 times raw aiohttp. Where valgrind is installed, the
instructions per request are counted too, a measure the machine's load does not move. Also the
import time of ``botpress_async`` against ``aiohttp`` alone (target at most 1.25).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp

from benchmarks._instructions import per_request
from benchmarks._server import json_server
from botpress_async import AsyncClient
from botpress_async._encoding import JSON_LIBRARY, loads

BODY = (
    b'{"user":{"id":"user_01","name":"Ada","tags":{"team":"core"},'
    b'"createdAt":"2024-01-01T00:00:00.000Z","updatedAt":"2024-01-01T00:00:00.000Z"}}'
)
TOKEN = "bp_pat_" + "x" * 40
ROUNDS = 5


async def _cpu_per_call(
    call: Callable[[], Awaitable[object]], total: int, concurrency: int
) -> float:
    """Client CPU seconds per call, for ``total`` calls run ``concurrency`` at a time."""
    for _ in range(50):
        await call()
    per_worker = total // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    start = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - start) / (per_worker * concurrency)


async def _measure(url: str, concurrency: int, total: int) -> tuple[float, float]:
    headers = {"authorization": "Bearer " + TOKEN, "x-bot-id": "bot_1"}
    async with aiohttp.ClientSession() as session:

        async def raw() -> object:
            async with session.get(url + "/v1/chat/users/user_01", headers=headers) as resp:
                return loads(await resp.read())

        async with AsyncClient(TOKEN, bot_id="bot_1", api_url=url) as client:

            async def sdk() -> object:
                return await client.request("GET", "/v1/chat/users/user_01")

            raws, sdks = [], []
            # Interleave rounds so drifts of a shared machine hit both sides alike.
            for _ in range(ROUNDS):
                raws.append(await _cpu_per_call(raw, total, concurrency))
                sdks.append(await _cpu_per_call(sdk, total, concurrency))
    return statistics.median(raws), statistics.median(sdks)


def _import_times(modules: tuple[str, ...], repeat: int = 21) -> list[float]:
    """Median seconds to import each module in a fresh interpreter, runs interleaved."""
    samples: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(repeat):
        for module in modules:
            code = (
                "import time; t = time.perf_counter(); "
                f"import {module}; print(time.perf_counter() - t)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            samples[module].append(float(out.stdout))
    return [statistics.median(samples[m]) for m in modules]


def main() -> None:
    """Print CPU µs per GET at concurrency 1 and 16, ratios, and the import-time ratio."""
    print(f"JSON library on both sides: {JSON_LIBRARY}")
    with json_server(BODY) as url:
        for concurrency, total in ((1, 2000), (16, 4000)):
            raw, sdk = asyncio.run(_measure(url, concurrency, total))
            print(
                f"GET concurrency={concurrency:<3} raw aiohttp {raw * 1e6:7.1f} µs CPU/request  "
                f"SDK {sdk * 1e6:7.1f} µs  ratio {sdk / raw:.3f} (target <= 1.15)"
            )
        for concurrency in (1, 16):
            counted = per_request(url, concurrency)
            if counted is None:
                print("valgrind not found: no instruction counts")
                break
            raw_i, sdk_i = counted
            print(
                f"GET concurrency={concurrency:<3} raw aiohttp {raw_i / 1e3:7.1f} k instructions/"
                f"request  SDK {sdk_i / 1e3:7.1f} k  ratio {sdk_i / raw_i:.3f} (callgrind)"
            )
    aiohttp_s, sdk_s = _import_times(("aiohttp", "botpress_async"))
    print(
        f"import aiohttp {aiohttp_s * 1e3:.1f} ms, import botpress_async {sdk_s * 1e3:.1f} ms, "
        f"ratio {sdk_s / aiohttp_s:.3f} (target <= 1.25)"
    )
