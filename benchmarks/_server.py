"""A small aiohttp.web server run in its own process, so its CPU is not the client's."""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import sys
from collections.abc import Iterator
from typing import Any

from aiohttp import web


def _serve(port: int, body: bytes, ready: Any) -> None:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    ready.set()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def json_server(body: bytes) -> Iterator[str]:
    """Serve ``body`` as JSON for every request, in a child process; yield the base URL."""
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_serve, args=(port, body, ready), daemon=True)
    proc.start()
    try:
        ready.wait(10)
        for _ in range(200):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            import time

            time.sleep(0.02)
        else:
            print("server did not start", file=sys.stderr)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join(5)
