"""Behaviour both facades share, run once with `AsyncClient` and once with the blocking `Client`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import botpress_async
from botpress_async.testing import Emulator
from tests.loopback import FAKE_PAT, Script
from tests.sync.facade import Facade

pytestmark = pytest.mark.anyio

FAST_RETRIES: dict[str, Any] = {"initial_retry_delay": 0.001, "max_retry_delay": 0.005}


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """The in-process emulator with small pages, serving on the test's loop."""
    async with Emulator(page_size=2) as emu:
        yield emu


async def test_headers_and_json_reach_the_server(server: Script, facade: Facade) -> None:
    """The token, the bot id and a JSON body reach the server and the answer comes back."""
    server.reply(200, {"hello": "world"})
    async with facade.client(FAKE_PAT, api_url=server.url, bot_id="bot_1") as client:
        answer = await facade(client.request, "POST", "/v1/chat/users", json={"name": "Ada"})
    assert answer == {"hello": "world"}
    seen = server.seen[0]
    assert seen.headers["authorization"] == f"Bearer {FAKE_PAT}"
    assert seen.headers["x-bot-id"] == "bot_1"
    assert json.loads(seen.body) == {"name": "Ada"}


async def test_api_errors_are_the_async_classes(server: Script, facade: Facade) -> None:
    """An error status raises the same typed error class with the API's message."""
    body = {"id": "err_9", "code": 409, "type": "AlreadyExists", "message": "taken"}
    server.reply(409, body)
    async with facade.client(FAKE_PAT, api_url=server.url, bot_id="bot_1") as client:
        with pytest.raises(botpress_async.AlreadyExistsError) as info:
            await facade(client.request, "POST", "/v1/chat/users", json={})
    assert info.value.error_id == "err_9"
    assert "taken" in str(info.value)


async def test_idempotent_calls_are_retried(server: Script, facade: Facade) -> None:
    """A GET answered 503 once is retried and succeeds."""
    server.reply(503, {"type": "Internal", "message": "busy"})
    server.reply(200, {"ok": 1})
    async with facade.client(
        FAKE_PAT, api_url=server.url, bot_id="bot_1", **FAST_RETRIES
    ) as client:
        answer = await facade(client.request, "GET", "/v1/chat/users")
    assert answer == {"ok": 1}
    assert len(server.seen) == 2


async def test_timeouts_raise_api_timeout_error(server: Script, facade: Facade) -> None:
    """A response slower than the timeout raises APITimeoutError."""
    server.reply(200, {}, delay=2.0)
    async with facade.client(
        FAKE_PAT, api_url=server.url, bot_id="bot_1", timeout=0.2, max_retries=0
    ) as client:
        with pytest.raises(botpress_async.APITimeoutError):
            await facade(client.request, "GET", "/v1/chat/users")


async def test_dropped_connection_raises_connection_error(server: Script, facade: Facade) -> None:
    """A connection closed without an answer raises APIConnectionError (no retry of a POST)."""
    server.drop_connection()
    async with facade.client(FAKE_PAT, api_url=server.url, bot_id="bot_1") as client:
        with pytest.raises(botpress_async.APIConnectionError):
            await facade(client.request, "POST", "/v1/chat/messages", json={})
    assert len(server.seen) == 1


async def test_typed_methods_return_models(emulator: Emulator, facade: Facade) -> None:
    """A generated method sends the operation and returns the decoded model."""
    async with facade.client(emulator.bak, api_url=emulator.url, bot_id=emulator.bot_id) as c:
        created = await facade(c.runtime.create_user, tags={}, name="Ada")
        fetched = await facade(c.runtime.get_user, id=created.user.id)
    assert type(fetched).__module__ == "botpress_async.models.runtime"
    assert fetched.user.id == created.user.id
    assert fetched.user.name == "Ada"


async def test_call_by_operation_id(emulator: Emulator, facade: Facade) -> None:
    """call() reaches an operation by its official id with the official input shape."""
    async with facade.client(emulator.bak, api_url=emulator.url, bot_id=emulator.bot_id) as c:
        created = await facade(c.call, "createUser", {"tags": {}, "name": "Grace"})
        fetched = await facade(c.call, "getUser", {"id": created["user"]["id"]})
    assert fetched["user"]["name"] == "Grace"


async def test_pagers_walk_every_page(emulator: Emulator, facade: Facade) -> None:
    """A list operation's pager yields every item over pages of two, and the pages themselves."""
    async with facade.client(emulator.bak, api_url=emulator.url, bot_id=emulator.bot_id) as c:
        for i in range(5):
            await facade(c.runtime.create_user, tags={}, name=f"user-{i}")
        users = await facade.items(c.runtime.list_users())
        first_three = await facade.items(c.runtime.list_users(), limit=3)
        pages = await facade.pages(c.runtime.list_users())
    assert sorted(u.name for u in users) == [f"user-{i}" for i in range(5)]
    assert len(first_three) == 3
    assert [len(p.users) for p in pages] == [2, 2, 1]


async def test_bulk_runs_every_item(emulator: Emulator, facade: Facade) -> None:
    """client.bulk() calls an operation once per item, with the blocking client's methods too."""
    async with facade.client(emulator.bak, api_url=emulator.url, bot_id=emulator.bot_id) as c:
        items = [{"tags": {}, "name": f"bulk-{i}"} for i in range(6)]
        result = await facade(c.bulk, c.runtime.create_user, items, concurrency=3)
    assert result.ok
    assert result.total == 6


async def test_file_helpers_upload_and_download(emulator: Emulator, facade: Facade) -> None:
    """The hand-written file helpers upload bytes and download them back through both facades."""
    async with facade.client(emulator.bak, api_url=emulator.url, bot_id=emulator.bot_id) as c:
        record = await facade(c.files.upload_file, "notes/hello.txt", b"hello, world")
        data = await facade(c.files.download, record.id)
    assert data == b"hello, world"
