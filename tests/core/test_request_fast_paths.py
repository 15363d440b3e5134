"""The shortcuts of the request path still check and send what the long way did."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from botpress_async import AsyncClient, BulkError, ConfigurationError, ScopeError, run_bulk
from botpress_async._session import READ_SIZE, ReadCappedConnector
from botpress_async._throttle import AdaptiveLimiter
from tests.loopback import FAKE_BAK, FAKE_PAT, Script

pytestmark = pytest.mark.anyio


async def test_a_header_value_changed_per_call_is_still_checked(server: Script) -> None:
    """A name and value already sent are not checked again; a new bad value still is."""
    for _ in range(3):
        server.reply(200, {})
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        await client.request("GET", "/v1/chat/users", headers={"x-user-id": "u1"})
        await client.request("GET", "/v1/chat/users", headers={"x-user-id": "u1"})
        with pytest.raises(ConfigurationError, match="control character"):
            await client.request("GET", "/v1/chat/users", headers={"x-user-id": "u1\r\nx-a: b"})
        with pytest.raises(ConfigurationError, match="whitespace"):
            await client.request("GET", "/v1/chat/users", headers={"x-user-id": " u1"})
        # A name seen before, now with a value that is not text: converted as before.
        await client.request("GET", "/v1/chat/users", headers={"x-user-id": 7})
    assert [s.headers["x-user-id"] for s in server.seen] == ["u1", "u1", "7"]


async def test_an_api_found_reachable_once_is_not_checked_again_but_others_are(
    server: Script,
) -> None:
    """The reach of the token is remembered per API: an API out of reach is refused each time."""
    for _ in range(2):
        server.reply(200, {})
    async with AsyncClient(FAKE_BAK, bot_id="b", api_url=server.url) as client:
        for _ in range(2):
            await client.request("GET", "/v1/chat/users")
            with pytest.raises(ScopeError):
                await client.request("GET", "/v1/admin/workspaces")
    assert [s.path for s in server.seen] == ["/v1/chat/users"] * 2


async def test_a_header_name_is_checked_until_it_was_valid_once(server: Script) -> None:
    """A bad name is refused every time, not only the first."""
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        for _ in range(2):
            with pytest.raises(ConfigurationError, match="control character"):
                await client.request("GET", "/v1/chat/users", headers={"x-a\nb": "1"})
    assert server.seen == []


async def test_a_retry_override_made_once_is_reused_and_bad_ones_are_refused(
    server: Script,
) -> None:
    """The same max_retries gives the same policy; a bool is refused even after an int."""
    server.reply(200, {})
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        transport = client.transport
        first = transport.retry_override(transport.policy, 1)
        assert first.max_retries == 1
        assert transport.retry_override(transport.policy, 1) is first
        assert transport.retry_override(transport.policy, 2) is transport.policy
        with pytest.raises(ConfigurationError, match="max_retries"):
            transport.retry_override(transport.policy, True)  # type: ignore[arg-type]
        await client.call("listUsers", max_retries=1)
        with pytest.raises(ConfigurationError, match="max_retries"):
            await client.call("listUsers", max_retries=True)  # type: ignore[arg-type]
    assert len(server.seen) == 1


async def test_an_input_that_cannot_be_iterated_raises_as_it_is(server: Script) -> None:
    """An iterable whose __iter__ raises fails the job with that error, nothing sent."""

    class Broken:
        def __iter__(self) -> Iterator[int]:
            raise RuntimeError("no items today")

    async def call(n: int) -> Any:
        return n

    with pytest.raises(RuntimeError, match="no items today"):
        await run_bulk(call, Broken(), concurrency=2)  # type: ignore[arg-type]


async def test_a_plain_iterator_left_after_a_stop_is_reported_not_run() -> None:
    """Items a plain iterator still holds after fail_fast are read into not_run."""
    calls: list[int] = []

    async def call(n: int) -> int:
        calls.append(n)
        await asyncio.sleep(0)
        if n == 0:
            raise RuntimeError("first fails")
        return n

    with pytest.raises(BulkError) as raised:
        await run_bulk(call, iter(range(10)), concurrency=1, fail_fast=True)
    result = raised.value.result
    assert calls == [0]
    assert [f.item for f in result.failed] == [0]
    assert result.not_run == list(range(1, 10))


async def test_a_free_slot_is_taken_without_waiting_but_not_during_a_pause() -> None:
    """try_acquire takes a slot under the limit, and none while a Retry-After pause runs."""
    limiter = AdaptiveLimiter(2)
    assert limiter.try_acquire()
    assert limiter.try_acquire()
    assert not limiter.try_acquire()  # the limit is reached
    limiter.release()
    limiter.on_throttle(30.0)
    assert not limiter.try_acquire()  # paused, though a slot is free
    assert limiter.in_flight == 1


async def test_plain_http_connections_read_in_blocks_below_the_mapping_threshold(
    server: Script,
) -> None:
    """The client's connector caps a plain-HTTP connection's reads at READ_SIZE (asyncio's
    256 KiB block costs page faults per response), and a body larger than a block arrives
    whole through the client."""
    # A read's bytes object, its header and the allocator's chunk header fit under glibc's
    # 128 KiB mapping threshold, and a page of a thousand rows still fits in one read.
    assert READ_SIZE > 125_000
    assert READ_SIZE + sys.getsizeof(b"") + 16 <= 128 * 1024
    blob = {"blob": "x" * (3 * READ_SIZE)}
    server.reply(200, blob)  # larger than a read: the connection is still busy with it below
    server.reply(200, blob)
    async with (
        aiohttp.ClientSession(connector=ReadCappedConnector()) as session,
        session.get(server.url + "/v1/chat/users") as response,
    ):
        assert response.connection is not None
        transport = response.connection.transport
        assert transport is not None
        assert transport.max_size == READ_SIZE  # type: ignore[attr-defined]
        await response.read()
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        assert await client.request("GET", "/v1/chat/users") == blob
