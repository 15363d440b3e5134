"""The emulator's chat front is the runtime's own data: the bot side sees chat messages."""

from __future__ import annotations

import inspect

import pytest

from botpress_async import AsyncClient
from botpress_async.chat import AsyncChatUser, MessageCreated
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_chat_messages_are_runtime_messages_and_bot_replies_are_signals(
    emu: Emulator, user: AsyncChatUser
) -> None:
    """A chat message is an incoming runtime message; a bot's runtime message is a signal."""
    emu.chat.echo = False
    async with (
        AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as bot,
        user.listen("conv-1") as events,
    ):
        sent = await user.create_message(
            conversation_id="conv-1", payload={"type": "text", "text": "to the bot"}
        )
        runtime = await bot.runtime.get_message(id=sent.message.id)
        assert runtime.message.direction == "incoming"
        assert runtime.message.payload == {"type": "text", "text": "to the bot"}
        bot_user = await bot.runtime.create_user(tags={})
        await bot.runtime.create_message(
            conversation_id=runtime.message.conversation_id,
            user_id=bot_user.user.id,
            type="text",
            payload={"type": "text", "text": "from the bot"},
            tags={},
        )
        got = []
        async for signal in events:
            assert isinstance(signal, MessageCreated)
            got.append((signal.text, signal.is_bot, signal.conversation_id))
            if len(got) == 2:
                break
    assert got == [("to the bot", False, "conv-1"), ("from the bot", True, "conv-1")]


def test_the_blocking_user_has_every_method_of_the_async_one() -> None:
    """ChatUser mirrors AsyncChatUser: same public names and parameters."""
    from botpress_async.chat import AsyncChatUser as Async
    from botpress_sync.chat import ChatUser

    names = {n for n in dir(Async) if not n.startswith("_")}
    for name in names:
        assert hasattr(ChatUser, name), name
        member = getattr(Async, name)
        if callable(member):
            assert list(inspect.signature(member).parameters) == list(
                inspect.signature(getattr(ChatUser, name)).parameters
            ), name


async def test_the_emulator_command_prints_where_the_chat_api_is(emu: Emulator) -> None:
    """The start-up lines of the emulator command export the chat URL and webhook id."""
    import shlex

    from botpress_async.testing.__main__ import describe

    lines = describe(emu).splitlines()
    assert f"export BP_CHAT_URL={shlex.quote(emu.chat_url)}" in lines
    assert f"export BP_CHAT_WEBHOOK_ID={shlex.quote(emu.chat_webhook_id)}" in lines


async def test_each_bot_with_the_chat_integration_has_its_own_front(
    emu: Emulator, user: AsyncChatUser
) -> None:
    """A second bot's front has its own webhook id, users and keys; for_bot finds it."""
    from botpress_async import UnauthorizedError
    from botpress_async.chat import AsyncChatClient

    second = emu.store.add_bot(emu.workspace_id, "second-bot")
    front = emu.add_chat(second.id, echo=True)
    assert front.webhook_id != emu.chat_webhook_id
    async with AsyncClient(emu.pat, api_url=emu.url, workspace_id=emu.workspace_id) as admin:
        chat = await AsyncChatClient.for_bot(admin, second.id, url=emu.chat_url)
    async with chat:
        assert chat.webhook_id == front.webhook_id
        with pytest.raises(UnauthorizedError):
            await chat.connect(user_key=user.user_key)  # a key of the first bot's front
        other = await chat.connect(user_id="ann")
        conv = await other.create_conversation()
        replies = await other.ask(conv.conversation.id, "second bot?", timeout=5, quiet=0.2)
        assert [r.text for r in replies] == ["second bot?"]
    async with AsyncChatClient("no-such-webhook", url=emu.chat_url, max_retries=0) as lost:
        from botpress_async import ResourceNotFoundError

        with pytest.raises(ResourceNotFoundError):
            await lost.connect()
