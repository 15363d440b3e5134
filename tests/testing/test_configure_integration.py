"""configureIntegration: an integration's own settings on the bot that installed it."""

from __future__ import annotations

import pytest

from botpress_async import AsyncClient, PermissionDeniedError
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_an_integration_configures_its_installation() -> None:
    """What the integration sends is kept on the bot's installation and shown by getBot."""
    async with Emulator() as emu:
        async with AsyncClient(
            emu.iak,
            token_kind="iak",
            bot_id=emu.bot_id,
            integration_id=emu.integration_id,
            api_url=emu.url,
        ) as integration:
            await integration.runtime.configure_integration(
                identifier="team-42", schedule_register_call="daily"
            )
        async with AsyncClient(emu.pat, workspace_id=emu.workspace_id, api_url=emu.url) as admin:
            bot = (await admin.admin.get_bot(id=emu.bot_id)).bot
    installation = bot.to_dict()["integrations"][emu.integration_id]
    assert installation["identifier"] == "team-42"


async def test_only_an_integration_key_may_configure() -> None:
    """A bot's or a person's token is refused with 403: the call belongs to the integration."""
    async with (
        Emulator() as emu,
        AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as bot_client,
    ):
        with pytest.raises(PermissionDeniedError, match="Integration Access Key"):
            await bot_client.runtime.configure_integration(identifier="x")
