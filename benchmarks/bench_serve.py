"""Serving Botpress: ``action_triggered`` with a trivial handler through `Integration`, against a
bare ``aiohttp.web`` handler that parses the same JSON and answers the same body.

Each server runs in a process of its own, so its CPU per operation is read from the kernel
(Linux ``/proc``) apart from the client's. Rounds alternate between the two so that the load of
a shared machine hits both alike; the target is at least 0.8 times the bare throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import aiohttp

from benchmarks._server import free_port

FAKE_IAK = "iak_" + "x" * 40
HEADERS = {
    "x-bp-operation": "action_triggered",
    "x-bot-id": "bot_1",
    "x-bot-user-id": "user_bot",
    "x-integration-id": "intver_1",
    "x-integration-alias": "bench",
    "x-webhook-id": "wh_1",
    "x-bp-configuration": "e30=",  # base64 of {}
    "content-type": "application/json",
}
BODY = b'{"type":"echo","input":{"ticket":"T-1","priority":3,"tags":["a","b"]}}'
ROUNDS = 3
TOTAL = 3000
CONCURRENCY = 16


def _serve(kind: str, port: int) -> None:
    from aiohttp import web

    from botpress_async._encoding import dumps, loads

    if kind == "bare":

        async def answer(request: web.Request) -> web.Response:
            if "x-bp-operation" not in request.headers:
                return web.Response(status=400)
            data = loads(await request.read())
            body = dumps({"output": {"echo": data["input"]}, "meta": {"cost": 0}})
            return web.Response(body=body, content_type="application/json")

        app = web.Application()
        app.router.add_post("/", answer)
    else:
        from botpress_async.integration import Integration

        integration = Integration("bench", token=FAKE_IAK)

        @integration.action("echo")
        async def echo(ctx: Any, input: Any) -> Any:
            return {"echo": input}

        app = integration.aiohttp_app()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of a process so far (Linux), else ``None``."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _server(kind: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(kind, port))
    proc.start()
    try:
        for _ in range(500):  # at most about 10 s
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.02)
        assert proc.pid is not None
        yield f"http://127.0.0.1:{port}/", proc.pid
    finally:
        proc.terminate()
        proc.join(5)


async def _round(url: str, pid: int, total: int) -> tuple[float, float | None]:
    """Operations per second, and server CPU seconds per operation, for one round."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as http:

        async def one() -> None:
            async with http.post(url, data=BODY, headers=HEADERS) as resp:
                assert resp.status == 200, await resp.text()
                await resp.read()

        for _ in range(100):
            await one()

        async def worker() -> None:
            for _ in range(total // CONCURRENCY):
                await one()

        cpu_before = _cpu_seconds(pid)
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
        cpu_after = _cpu_seconds(pid)
    done = (total // CONCURRENCY) * CONCURRENCY
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / done
    return done / elapsed, cpu


def main(total: int = TOTAL) -> None:
    """Print operations per second and server CPU per operation for both, and their ratios."""
    results: dict[str, list[tuple[float, float | None]]] = {"bare": [], "sdk": []}
    with _server("bare") as bare, _server("sdk") as sdk:
        for _ in range(ROUNDS):
            results["bare"].append(asyncio.run(_round(*bare, total)))
            results["sdk"].append(asyncio.run(_round(*sdk, total)))
    rate = {k: statistics.median(r for r, _ in v) for k, v in results.items()}
    cpus = {k: [c for _, c in v if c is not None] for k, v in results.items()}
    print(
        f"action_triggered, {CONCURRENCY} in flight: bare aiohttp.web {rate['bare']:8.0f} ops/s  "
        f"Integration {rate['sdk']:8.0f} ops/s  ratio {rate['sdk'] / rate['bare']:.3f} "
        "(target >= 0.8)"
    )
    if cpus["bare"] and cpus["sdk"]:
        bare_cpu, sdk_cpu = statistics.median(cpus["bare"]), statistics.median(cpus["sdk"])
        print(
            f"server CPU per operation: bare {bare_cpu * 1e6:7.1f} µs  Integration "
            f"{sdk_cpu * 1e6:7.1f} µs  ratio {sdk_cpu / bare_cpu:.3f}"
        )
    else:
        print("server CPU per operation: not measurable here (no /proc)", file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else TOTAL)
