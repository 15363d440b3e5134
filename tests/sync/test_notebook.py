"""The notebook pattern: the emulator served by the loop that a blocking call then blocks."""

from __future__ import annotations

import pytest

import botpress_sync
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_a_blocking_call_to_a_server_of_the_blocked_loop_fails_at_once() -> None:
    """Instead of hanging until the read timeout, the call says what is wrong and the fix."""
    async with Emulator(seed=1) as emu:
        # The bounded timeout only limits the damage should the detection ever fail.
        with botpress_sync.Client(
            emu.bak, bot_id=emu.bot_id, api_url=emu.url, timeout=10, max_retries=0
        ) as client:
            with pytest.raises(botpress_sync.LoopThreadError, match="start_in_thread"):
                list(client.runtime.list_users())
            with pytest.raises(botpress_sync.LoopThreadError):
                client.call("listUsers", {})
        # The emulator still serves its own loop's async clients afterwards.
        assert emu.url


def test_the_emulator_in_a_thread_serves_blocking_clients() -> None:
    """The documented notebook recipe: start_in_thread, then the blocking client works."""
    emu = Emulator(seed=2).start_in_thread()
    try:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
            assert list(client.runtime.list_users()) == []
    finally:
        emu.stop_thread()
