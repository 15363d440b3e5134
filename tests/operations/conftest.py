"""Fixtures of the per-operation tests: the document-checking server and a client aimed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from botpress_async import AsyncClient
from tests.loopback import FAKE_PAT
from tests.operations.spec_server import SpecServer


@pytest.fixture
async def spec_server() -> AsyncIterator[tuple[SpecServer, str]]:
    """A loopback server that validates requests against the documents; yields it and its URL."""
    state = SpecServer()
    test_server = TestServer(state.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield state, str(test_server.make_url("")).rstrip("/")
    finally:
        await test_server.close()


@pytest.fixture
async def client(spec_server: tuple[SpecServer, str]) -> AsyncIterator[AsyncClient]:
    """A PAT client with bot and workspace set, aimed at the checking server, without retries."""
    async with AsyncClient(
        FAKE_PAT, bot_id="bot-1", workspace_id="ws-1", api_url=spec_server[1], max_retries=0
    ) as c:
        yield c
