"""Helpers of the server-side tests: an app served on 127.0.0.1 and Botpress-like requests."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.loopback import FAKE_IAK

BOT_ID = "bot_01"
INTEGRATION_ID = "intver_01"


def integration_headers(operation: str, configuration: Any = None, **extra: str) -> dict[str, str]:
    """The headers Botpress sends to an integration for ``operation``."""
    headers = {
        "x-bp-operation": operation,
        "x-bot-id": BOT_ID,
        "x-bot-user-id": "user_bot",
        "x-integration-id": INTEGRATION_ID,
        "x-integration-alias": "ticketing",
        "x-webhook-id": "wh_01",
        "content-type": "application/json",
    }
    if configuration is not None:
        raw = json.dumps(configuration).encode()
        headers["x-bp-configuration"] = base64.b64encode(raw).decode()
    headers.update(extra)
    return headers


@attrs.define
class Reply:
    """What the served app answered."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The answer decoded as JSON."""
        return json.loads(self.body)


@attrs.define
class Served:
    """An app listening on 127.0.0.1, and a session to post to it."""

    url: str
    session: aiohttp.ClientSession

    async def post(
        self,
        headers: Mapping[str, str],
        body: Any = None,
        *,
        raw: bytes | None = None,
        path: str = "/",
    ) -> Reply:
        """Send one operation the way Botpress does."""
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        async with self.session.post(self.url + path, headers=dict(headers), data=data) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())


async def serve(app: web.Application) -> AsyncIterator[Served]:
    """Serve ``app`` on a free port for the duration of a test."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield Served(str(server.make_url("")).rstrip("/"), session)
    finally:
        await server.close()


@pytest.fixture
def fake_iak() -> str:
    """A fake Integration Access Key."""
    return FAKE_IAK
