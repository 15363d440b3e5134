"""The Chat API client: listener CPU per signal, and ask() latency on the emulator.

1. Signals through one listener against a bare aiohttp SSE reader on the same loopback
   stream. A server in its own process writes the same ``message_created`` events to both;
   the client's CPU time per signal is compared (target: the listener <= 1.3x the bare
   reader). The bare reader splits lines and decodes each event's JSON, the least any
   consumer does; the listener also types each signal and deduplicates messages by id.
2. ``ask()`` round trip with the emulator's echo bot (stream opened, history read, message
   sent, reply received), as a median over the emulator's own floor: the median of one
   ``create_message`` call on the same emulator.

Sizes: ``BENCH_CHAT_SIGNALS`` (default 20000) and ``BENCH_CHAT_ASKS`` (default 30).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks._server import free_port
from botpress_async._encoding import loads

SIGNALS = int(os.environ.get("BENCH_CHAT_SIGNALS", "20000"))
ASKS = int(os.environ.get("BENCH_CHAT_ASKS", "30"))
ROUNDS = 3


def _event(n: int) -> bytes:
    data = (
        f'{{"type":"message_created","data":{{"id":"msg_{n:08d}","conversationId":"conv-1",'
        '"userId":"user_bot","createdAt":"2024-01-01T00:00:00.000Z","isBot":true,'
        f'"payload":{{"type":"text","text":"reply number {n} to the user"}}}}}}'
    )
    return b"data: " + data.encode() + b"\n\n"


def _serve(port: int, count: int, ready: Any) -> None:
    body = b"".join(_event(n) for n in range(count))

    async def listen(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for start in range(0, len(body), 1 << 16):
            await response.write(body[start : start + (1 << 16)])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/{tail:.*}", listen)
    ready.set()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.contextmanager
def sse_server(count: int) -> Iterator[str]:
    """Serve a stream of ``count`` message_created events in a child process; yield its URL."""
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_serve, args=(port, count, ready), daemon=True)
    proc.start()
    try:
        ready.wait(10)
        for _ in range(250):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join(5)


async def _bare(url: str, count: int) -> float:
    """CPU seconds per event of a plain aiohttp SSE reader."""
    async with aiohttp.ClientSession() as session:
        started = time.process_time()
        async with session.get(url + "/conversations/conv-1/listen") as resp:
            seen = 0
            data: list[bytes] = []
            async for line in resp.content:
                if line.startswith(b"data:"):
                    data.append(line[5:].strip())
                elif line == b"\n" and data:
                    loads(b"\n".join(data))
                    data.clear()
                    seen += 1
                    if seen == count:
                        break
        return (time.process_time() - started) / count


async def _listener(url: str, count: int) -> float:
    """CPU seconds per signal of the SDK's listener on the same stream."""
    from botpress_async.chat import AsyncChatClient

    async with AsyncChatClient("wh", url=url) as chat:
        user = chat.user(
            "bench-key",
            {"id": "u", "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"},
        )
        started = time.process_time()
        async with user.listen("conv-1", catch_up=False, reconnect=False) as events:
            seen = 0
            async for _ in events:
                seen += 1
                if seen == count:
                    break
        return (time.process_time() - started) / count


async def _ask_latency(asks: int) -> tuple[float, float]:
    from botpress_async.chat import AsyncChatClient
    from botpress_async.testing import Emulator

    async with (
        Emulator(chat_echo=True) as emu,
        AsyncChatClient(emu.chat_webhook_id, url=emu.chat_url) as chat,
    ):
        user = await chat.connect(user_id="bench")
        await user.create_conversation(id="bench")
        floors, asked = [], []
        for n in range(asks):
            started = time.perf_counter()
            payload = {"type": "image", "imageUrl": "https://x/y.png"}  # not echoed
            await user.create_message(conversation_id="bench", payload=payload)
            floors.append(time.perf_counter() - started)
            started = time.perf_counter()
            replies = await user.ask("bench", f"question {n}", timeout=10, max_replies=1)
            asked.append(time.perf_counter() - started)
            assert len(replies) == 1
    return statistics.median(floors), statistics.median(asked)


def main() -> None:
    """Print listener CPU per signal against the bare reader, and ask() latency."""
    with sse_server(SIGNALS) as url:
        bare, sdk = [], []
        for _ in range(ROUNDS):  # interleaved: drifts of a shared machine hit both alike
            bare.append(asyncio.run(_bare(url, SIGNALS)))
            sdk.append(asyncio.run(_listener(url, SIGNALS)))
    b, s = statistics.median(bare), statistics.median(sdk)
    print(
        f"{SIGNALS} signals: bare aiohttp SSE reader {b * 1e6:6.1f} µs CPU/signal "
        f"({1 / b:,.0f}/s of CPU)  listener {s * 1e6:6.1f} µs ({1 / s:,.0f}/s)  "
        f"ratio {s / b:.3f} (target <= 1.3)"
    )
    floor, ask = asyncio.run(_ask_latency(ASKS))
    print(
        f"ask() on the emulator's echo bot: median {ask * 1e3:.2f} ms, the emulator's floor "
        f"(one create_message) {floor * 1e3:.2f} ms, ratio {ask / floor:.2f}"
    )


if __name__ == "__main__":
    main()
