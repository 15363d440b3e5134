"""Pinned types of the Chat API clients; checked by mypy, never run."""

from __future__ import annotations

from typing_extensions import assert_type

from botpress_async.chat import (
    AsyncChatClient,
    AsyncChatUser,
    ChatListener,
    MessageCreated,
    Signal,
    sign_user_key,
)
from botpress_async.models.chat import (
    CreateMessageResponse,
    ListMessagesResponse,
    Message,
)
from botpress_sync._pager import Pager
from botpress_sync.chat import BlockingChatListener, ChatClient, ChatUser


async def async_types(chat: AsyncChatClient) -> None:
    user = await chat.connect(user_id="u")
    assert_type(user, AsyncChatUser)
    sent = await user.create_message(conversation_id="c", payload={"type": "text", "text": "x"})
    assert_type(sent, CreateMessageResponse)
    async for message in user.list_messages(conversation_id="c"):
        assert_type(message, Message)
    listener = user.listen("c")
    assert_type(listener, ChatListener)
    async with listener as events:
        async for signal in events:
            assert_type(signal, Signal)
    assert_type(await user.ask("c", "hi"), list[MessageCreated])
    assert_type(sign_user_key("u", "secret"), str)


def sync_types(chat: ChatClient) -> None:
    user = chat.connect(user_id="u")
    assert_type(user, ChatUser)
    assert_type(user.list_messages(conversation_id="c"), Pager[Message, ListMessagesResponse])
    assert_type(user.ask("c", "hi"), list[MessageCreated])
    with user.listen("c") as events:
        assert_type(events, BlockingChatListener)
        for signal in events:
            assert_type(signal, Signal)
