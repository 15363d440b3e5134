"""A loopback aiohttp.web server in its own thread, for blocking clients and subprocesses.

A blocking call made from the thread that runs the server's loop would deadlock, so the sync
facade's tests serve from a thread of their own. Every request is recorded with the client's
port, which is how the fork tests tell whose connection carried it.

Routes (all under the runtime API's prefix, so the SDK's scope rules apply as usual):

- ``/v1/chat/echo/{tail}``: answers ``{"path", "query", "port", "body"}``;
- ``/v1/chat/slow``: waits until the client goes away (or 30 s), recording the disconnect;
- ``/v1/chat/pages``: ``items`` of a page of ``n`` (query) items, ``page`` items per page;
- anything else: the scripted answers of `tests.loopback`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import attrs
from aiohttp import web

from tests.loopback import SCRIPT_KEY, Script, _handle

SLOW_LIMIT = 30.0


@attrs.define
class ThreadedServer:
    """State shared between the server thread and the test."""

    url: str = ""
    script: Script = attrs.Factory(Script)
    ports: list[int] = attrs.Factory(list)
    slow_started: threading.Event = attrs.Factory(threading.Event)
    slow_disconnected: threading.Event = attrs.Factory(threading.Event)
    slow_count: int = 0
    lock: threading.Lock = attrs.Factory(threading.Lock)

    def _peer(self, request: web.Request) -> int:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = int(peer[1]) if peer else -1
        with self.lock:
            self.ports.append(port)
        return port

    async def echo(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        return web.json_response(
            {
                "path": request.path,
                "query": request.query_string,
                "port": self._peer(request),
                "body": body.decode() if body else None,
            }
        )

    async def slow(self, request: web.Request) -> web.StreamResponse:
        self._peer(request)
        with self.lock:
            self.slow_count += 1
        self.slow_started.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SLOW_LIMIT
        while loop.time() < deadline:
            transport = request.transport
            if transport is None or transport.is_closing():
                self.slow_disconnected.set()
                break
            await asyncio.sleep(0.01)
        return web.json_response({"slow": True})

    async def pages(self, request: web.Request) -> web.StreamResponse:
        self._peer(request)
        total = int(request.query.get("n", "10"))
        size = int(request.query.get("page", "3"))
        start = int(request.query.get("nextToken", "0") or "0")
        end = min(start + size, total)
        token = str(end) if end < total else None
        return web.json_response({"items": list(range(start, end)), "meta": {"nextToken": token}})

    async def scripted(self, request: web.Request) -> web.StreamResponse:
        self._peer(request)
        return await _handle(request)


def _build_app(state: ThreadedServer) -> web.Application:
    app = web.Application()
    app[SCRIPT_KEY] = state.script
    app.router.add_route("*", "/v1/chat/echo/{tail:.*}", state.echo)
    app.router.add_get("/v1/chat/slow", state.slow)
    app.router.add_get("/v1/chat/pages", state.pages)
    app.router.add_route("*", "/{tail:.*}", state.scripted)
    return app


def serve(keepalive_timeout: float = 75.0) -> Iterator[ThreadedServer]:
    """Run a server in a daemon thread for the duration of the generator.

    Args:
        keepalive_timeout: seconds an idle connection stays open before the server closes it.
    """
    state = ThreadedServer()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(
        _build_app(state), handle_signals=False, keepalive_timeout=keepalive_timeout
    )
    ready = threading.Event()
    errors: list[BaseException] = []

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        state.url = f"http://127.0.0.1:{port}"

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=main, name="test-server", daemon=True)
    thread.start()
    ready.wait(10)
    if errors:
        raise errors[0]
    try:
        yield state
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def reply_json(state: ThreadedServer, body: Any, status: int = 200) -> None:
    """Queue one JSON answer on the scripted route."""
    state.script.reply(status, body)
