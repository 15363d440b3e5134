"""The ``botpress_wired`` fixture serves a user's apps next to an emulator in a few lines."""

from __future__ import annotations

from typing import Any

import pytest

import botpress_sync
from botpress_async.bot import Bot
from botpress_async.integration import Integration, IntegrationContext
from botpress_async.testing import Wired


@pytest.fixture
def botpress_apps() -> list[Any]:
    """What a user's conftest would return: their integration (and bot)."""
    app = Integration("calculator")

    @app.action("add")
    def add(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        return {"sum": input["a"] + input["b"]}

    return [app, Bot()]


def test_a_blocking_test_calls_the_served_action(botpress_wired: Wired) -> None:
    """From plain blocking code, callAction reaches the served integration's sync handler."""
    emu = botpress_wired.emulator
    with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        answer = client.call("callAction", {"type": "calculator:add", "input": {"a": 2, "b": 3}})
    assert answer["output"] == {"sum": 5}
    assert emu.store.bots[emu.bot_id].record["url"] == botpress_wired.urls[1]
