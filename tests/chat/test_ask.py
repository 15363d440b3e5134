"""ask(): send, then collect the bot's replies, plain or streamed."""

from __future__ import annotations

import pytest

from botpress_async.chat import AsyncChatUser
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_plain_reply(user: AsyncChatUser) -> None:
    """The echo bot's reply comes back as the bot's message."""
    replies = await user.ask("conv-1", "ping?", timeout=5, quiet=0.2)
    assert [r.text for r in replies] == ["ping?"]
    assert replies[0].is_bot


async def test_streamed_reply_is_assembled(emu: Emulator, user: AsyncChatUser) -> None:
    """A streamed reply (pieces out of order) ends as its final message, in sequence order."""
    emu.chat.echo_stream = True
    text = "the quick brown fox jumps over the lazy dog"
    replies = await user.ask("conv-1", text, timeout=5, quiet=0.2)
    assert [r.text for r in replies] == [text]
    assert replies[0].metadata is not None
    assert "streamId" in replies[0].metadata


async def test_payload_and_no_reply(emu: Emulator, user: AsyncChatUser) -> None:
    """A whole payload can be sent; without a bot answer the timeout returns no reply."""
    emu.chat.echo = False
    replies = await user.ask(
        "conv-1", {"type": "image", "imageUrl": "https://x/y.png"}, timeout=0.3
    )
    assert replies == []


async def test_partial_stream_at_timeout(emu: Emulator, user: AsyncChatUser) -> None:
    """A stream still open at the timeout comes back as far as it got, marked partial."""
    emu.chat.echo = False
    async with user.listen("conv-1"):
        pass
    pieces = [(1, "world"), (0, "hello ")]

    async def bot_streams() -> None:
        import asyncio

        await asyncio.sleep(0.05)
        for sequence, delta in pieces:
            data = {"streamId": "s1", "sequence": sequence, "delta": delta}
            emu.chat._to_streams({"type": "message_stream_delta", "data": data}, "conv-1")

    import asyncio

    helper = asyncio.ensure_future(bot_streams())
    replies = await user.ask("conv-1", "go", timeout=0.5, quiet=0.1)
    await helper
    assert [r.text for r in replies] == ["hello world"]
    assert replies[0].metadata == {"streamId": "s1", "partial": True}
