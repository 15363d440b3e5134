"""The deployment helpers register a self-hosted integration or bot and manage its keys."""

from __future__ import annotations

import pytest

from botpress_async import AsyncClient, ConfigurationError
from botpress_async.integration import (
    create_integration_key,
    list_integration_keys,
    register_bot,
    register_integration,
    revoke_integration_key,
)
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_register_bot_and_integration_and_manage_keys() -> None:
    """URLs are stored on the bot and the integration; a key is made, listed, revoked."""
    async with (
        Emulator() as emu,
        AsyncClient(emu.pat, workspace_id=emu.workspace_id, api_url=emu.url) as pat,
    ):
        await register_bot(pat, bot_id=emu.bot_id, url="https://bots.example.com/bp/1")
        assert emu.store.bots[emu.bot_id].record["url"] == "https://bots.example.com/bp/1"
        created = await register_bot(pat, name="py-bot", url="https://bots.example.com/bp/2")
        assert emu.store.bots[created["id"]].record["url"] == "https://bots.example.com/bp/2"

        url = "https://tickets.example.com/bp/3"
        integration = await register_integration(pat, integration_id=emu.integration_id, url=url)
        assert integration["url"] == url

        key = await create_integration_key(pat, emu.integration_id, note="prod")
        assert key.value is not None
        assert key.value not in repr(key)
        assert key.value not in repr(key.value)
        listed = await list_integration_keys(pat, emu.integration_id)
        assert key.id in [k.id for k in listed]
        assert all(k.value is None for k in listed)
        await revoke_integration_key(pat, key.id)
        assert key.value not in emu.store.tokens

        with pytest.raises(ConfigurationError, match="absolute"):
            await register_bot(pat, bot_id=emu.bot_id, url="bots.example.com")
        with pytest.raises(ConfigurationError, match="name="):
            await register_integration(pat, url=url)
