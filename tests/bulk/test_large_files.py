"""Files above aiohttp's default 1 MiB request limit go through the emulator intact."""

from __future__ import annotations

import pytest

from botpress_async import AsyncClient
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_twelve_mebibytes_round_trip() -> None:
    """A 12 MiB upload lands whole in the emulator and downloads byte for byte."""
    data = bytes(range(256)) * (12 * 4096)
    async with (
        Emulator() as emu,
        AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client,
    ):
        record = await client.files.upload_file("big.bin", data)
        assert record.status == "upload_completed"
        assert record.size == len(data)
        assert await client.files.download(record.id) == data
