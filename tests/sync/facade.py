"""`facade`: a fixture that runs a behaviour test once with each client, async and blocking.

Registered for tests/sync by its conftest; other test folders enable it with
``pytest_plugins = ["tests.sync.facade"]`` in the root conftest.

``facade`` lets a behaviour test of the async SDK run against both clients::

    async def test_x(server, facade):
        async with facade.client(token=FAKE_PAT, api_url=server.url, bot_id="bot_1") as client:
            answer = await facade(client.request, "GET", "/v1/chat/users")
            items = await facade.items(client.runtime.list_users())

With the sync facade each call runs in a worker thread (``anyio.to_thread``), so the test's
own loop stays free to serve the loopback server meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import pytest

import botpress_async
import botpress_sync


class Facade:
    """One of the two clients, driven from async test code."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_sync = name == "sync"

    def __repr__(self) -> str:
        return f"<Facade {self.name}>"

    @asynccontextmanager
    async def client(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        """A client of this facade, closed on exit."""
        if not self.is_sync:
            async with botpress_async.AsyncClient(*args, **kwargs) as client:
                yield client
            return
        sync_client = botpress_sync.Client(*args, **kwargs)
        try:
            yield sync_client
        finally:
            await anyio.to_thread.run_sync(sync_client.close)

    async def __call__(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a client or resource method and return its result (awaited or run in a thread)."""
        if self.is_sync:
            return await anyio.to_thread.run_sync(functools.partial(method, *args, **kwargs))
        return await method(*args, **kwargs)

    async def items(self, pager: Any, limit: int | None = None) -> list[Any]:
        """Every item of a pager (an `AsyncPager` or a `Pager`), at most ``limit``."""
        if self.is_sync:
            return await anyio.to_thread.run_sync(pager.collect, limit)
        return list(await pager.collect(limit))

    async def pages(self, pager: Any) -> list[Any]:
        """Every page of a pager."""
        if self.is_sync:
            return await anyio.to_thread.run_sync(lambda: list(pager.pages()))
        return [page async for page in pager.pages()]


@pytest.fixture(params=["async", "sync"])
def facade(request: pytest.FixtureRequest) -> Facade:
    """Each of the two facades in turn."""
    return Facade(request.param)
