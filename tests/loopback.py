"""A scriptable aiohttp.web server on 127.0.0.1 that records every request it gets.

Tests queue answers (`Script.reply`) and read back what reached the server (`Script.seen`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

FAKE_PAT = "bp_pat_" + "x" * 40
FAKE_BAK = "bp_bak_" + "x" * 40
FAKE_IAK = "iak_" + "x" * 40


@attrs.define
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    raw_path: str
    query_string: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[web.Request], Any]


@attrs.define
class Script:
    """Answers to give, in order; when none is queued the server echoes ``{"ok": true}``."""

    seen: list[Seen] = attrs.Factory(list)
    answers: list[Handler] = attrs.Factory(list)
    url: str = ""

    def reply(
        self,
        status: int = 200,
        body: Any = None,
        *,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue one answer: a JSON body (or raw text) with a status, after an optional delay."""

        async def answer(request: web.Request) -> web.StreamResponse:
            if delay:
                await asyncio.sleep(delay)
            if text is not None:
                return web.Response(status=status, text=text, headers=headers)
            return web.json_response({} if body is None else body, status=status, headers=headers)

        self.answers.append(answer)

    def reply_with(self, handler: Handler) -> None:
        """Queue a custom handler for the next request."""
        self.answers.append(handler)

    def drop_connection(self) -> None:
        """Queue a reset: the connection is closed without an answer."""

        async def answer(request: web.Request) -> web.StreamResponse:
            assert request.transport is not None
            request.transport.close()
            # Keep the handler alive long enough for the close to be seen first.
            await asyncio.sleep(0.05)
            return web.Response(status=200)

        self.answers.append(answer)


SCRIPT_KEY = web.AppKey("script", Script)


async def _handle(request: web.Request) -> web.StreamResponse:
    script = request.app[SCRIPT_KEY]
    script.seen.append(
        Seen(
            method=request.method,
            path=request.path,
            raw_path=request.raw_path.split("?", 1)[0],
            query_string=request.raw_path.partition("?")[2],
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
        )
    )
    if script.answers:
        result = script.answers.pop(0)(request)
        if asyncio.iscoroutine(result):
            result = await result
        assert isinstance(result, web.StreamResponse)
        return result
    return web.json_response({"ok": True})


@pytest.fixture
async def server() -> AsyncIterator[Script]:
    """A loopback HTTP server that records requests and plays queued answers."""
    app = web.Application()
    script = Script()
    app[SCRIPT_KEY] = script
    app.router.add_route("*", "/{tail:.*}", _handle)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    script.url = str(test_server.make_url("")).rstrip("/")
    try:
        yield script
    finally:
        await test_server.close()
