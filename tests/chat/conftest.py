"""Fixtures of the Chat API tests: an emulator with a fast keep-alive and a chat client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from botpress_async.chat import AsyncChatClient, AsyncChatUser
from botpress_async.testing import Emulator

# Short enough that a silent stream is noticed in well under a second.
KEEPALIVE = 0.2


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator with the echo bot on and pings every 0.2 s on chat streams."""
    async with Emulator(seed=3, chat_echo=True, chat_keepalive=KEEPALIVE) as emulator:
        yield emulator


@pytest.fixture
async def chat(emu: Emulator) -> AsyncIterator[AsyncChatClient]:
    """A chat client of the emulator's Chat integration, without retries."""
    async with AsyncChatClient(
        emu.chat_webhook_id, url=emu.chat_url, timeout=5, max_retries=0, keepalive=KEEPALIVE
    ) as client:
        yield client


@pytest.fixture
async def user(chat: AsyncChatClient) -> AsyncChatUser:
    """A connected user with a conversation ``conv-1``."""
    connected = await chat.connect(user_id="ann", name="Ann")
    await connected.create_conversation(id="conv-1")
    return connected
