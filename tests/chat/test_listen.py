"""The listener: typed signals, dead streams, reconnects and the replay of missed messages."""

from __future__ import annotations

import pytest

from botpress_async import UnauthorizedError
from botpress_async.chat import (
    AsyncChatClient,
    AsyncChatUser,
    ChatStreamError,
    MessageCreated,
    ParticipantAdded,
    Reconnected,
    Signal,
    UnknownSignal,
)
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def _text(user: AsyncChatUser, text: str, conv: str = "conv-1") -> str:
    sent = await user.create_message(conversation_id=conv, payload={"type": "text", "text": text})
    return str(sent.message.id)


async def test_typed_signals_and_unknown_types(
    emu: Emulator, chat: AsyncChatClient, user: AsyncChatUser
) -> None:
    """Messages, participants and a type the SDK does not know arrive as typed objects."""
    emu.chat.echo = False
    await chat.connect(user_id="zed")
    async with user.listen("conv-1") as events:
        await _text(user, "hello")
        await user.add_participant(conversation_id="conv-1", user_id="zed")
        emu.chat._to_streams({"type": "brand_new", "data": {"x": 1}}, "conv-1")
        got: list[Signal] = []
        async for signal in events:
            got.append(signal)
            if len(got) == 3:
                break
    assert isinstance(got[0], MessageCreated)
    assert got[0].text == "hello"
    assert not got[0].is_bot
    assert isinstance(got[1], ParticipantAdded)
    assert got[1].participant_id == "zed"
    assert isinstance(got[2], UnknownSignal)
    assert got[2].type == "brand_new"
    assert got[2].data == {"x": 1}


async def test_dropped_stream_loses_nothing_and_repeats_nothing(
    emu: Emulator, user: AsyncChatUser
) -> None:
    """Messages sent while the stream was down are replayed once, in order, then live resumes."""
    emu.chat.echo = False
    reports: list[Reconnected] = []
    seen: list[tuple[str, bool]] = []
    async with user.listen("conv-1", reconnect_delay=0.01, on_reconnect=reports.append) as events:
        first = await _text(user, "A")
        expected = [first]
        async for signal in events:
            if isinstance(signal, Reconnected):
                expected.append(await _text(user, "D"))
                continue
            assert isinstance(signal, MessageCreated)
            seen.append((signal.id, signal.replayed))
            if signal.id == first:
                assert emu.chat.drop_streams() == 1
                expected += [await _text(user, "B"), await _text(user, "C")]
            if len(seen) == 4:
                break
    assert [i for i, _ in seen] == expected
    assert [r for _, r in seen] == [False, True, True, False]
    assert len(reports) == 1
    assert reports[0].replayed == 2
    assert events.reconnects == 1


async def test_silent_stream_is_noticed_and_caught_up(emu: Emulator, user: AsyncChatUser) -> None:
    """No byte for twice the keep-alive: the listener reconnects and replays what it missed."""
    emu.chat.echo = False
    async with user.listen("conv-1", reconnect_delay=0.01) as events:
        assert emu.chat.silence_streams() == 1
        missed = await _text(user, "lost on the silent stream")
        got: list[Signal] = []
        async for signal in events:
            got.append(signal)
            if len(got) == 2:
                break
    assert isinstance(got[0], Reconnected)
    assert "keep-alive" in got[0].reason
    assert isinstance(got[1], MessageCreated)
    assert got[1].id == missed
    assert got[1].replayed


async def test_no_reconnect_after_401(emu: Emulator, chat: AsyncChatClient) -> None:
    """A key refused on reconnect raises UnauthorizedError at once, with no further attempt."""
    emu.chat.encryption_key = "first"
    user = await chat.connect(encryption_key="first", user_id="rot")
    await user.create_conversation(id="r")
    async with user.listen("r", reconnect_delay=0.01, max_reconnect_attempts=5) as events:
        emu.chat.encryption_key = "rotated"
        emu.chat.drop_streams()
        with pytest.raises(UnauthorizedError):
            await events.__anext__()
        assert events.reconnects == 0
        with pytest.raises(StopAsyncIteration):
            await events.__anext__()


async def test_gives_up_after_bounded_attempts(emu: Emulator, user: AsyncChatUser) -> None:
    """When the conversation is gone, the listener stops after its attempts with ChatStreamError."""
    async with user.listen("conv-1", reconnect_delay=0.01, max_reconnect_attempts=2) as events:
        await user.delete_conversation(id="conv-1")
        with pytest.raises(ChatStreamError, match="2 reconnection attempts failed"):
            async for _ in events:
                pass


async def test_a_raising_callback_reaches_the_caller(emu: Emulator, user: AsyncChatUser) -> None:
    """An on_reconnect callback that raises ends the iteration with its exception."""

    def boom(report: Reconnected) -> None:
        raise LookupError(f"callback failed after {report.attempts} attempt(s)")

    async with user.listen("conv-1", reconnect_delay=0.01, on_reconnect=boom) as events:
        emu.chat.drop_streams()
        with pytest.raises(LookupError, match="callback failed"):
            async for _ in events:
                pass


async def test_forbidden_conversation_raises_on_open(chat: AsyncChatClient) -> None:
    """Listening to a conversation the user is not in raises ForbiddenError when opening."""
    from botpress_async import ForbiddenError

    owner = await chat.connect(user_id="owner")
    await owner.create_conversation(id="private")
    stranger = await chat.connect(user_id="stranger")
    with pytest.raises(ForbiddenError):
        async with stranger.listen("private"):
            pass


async def test_close_ends_iteration(user: AsyncChatUser) -> None:
    """aclose() while waiting makes the iteration stop cleanly."""
    import asyncio

    async with user.listen("conv-1") as events:

        async def consume() -> list[Signal]:
            return [s async for s in events]

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.05)
        await events.aclose()
        assert await asyncio.wait_for(task, 5) == []
