"""The emulator's pytest fixtures serve async tests run by the anyio pytest plugin."""

from __future__ import annotations

import pytest

from botpress_async import AsyncClient
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_an_async_test_takes_the_emulator_fixture(botpress_emulator: Emulator) -> None:
    """The documented pattern: a bulk job from an anyio-marked test against the fixture."""
    emu = botpress_emulator
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        items = [{"tags": {}, "name": f"user {n}"} for n in range(10)]
        result = await client.bulk(client.runtime.create_user, items, concurrency=4)
        listed = await client.runtime.list_users().collect()
    assert result.ok
    assert result.succeeded_count == 10
    assert sorted(u.name for u in listed if u.name) == sorted(i["name"] for i in items)
