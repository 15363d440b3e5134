"""Every Chat API operation against the emulator's chat front, in both key modes."""

from __future__ import annotations

import logging

import pytest

from botpress_async import (
    AlreadyExistsError,
    ConfigurationError,
    ForbiddenError,
    InternalError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from botpress_async.chat import AsyncChatClient, AsyncChatUser, sign_user_key
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_every_operation_round_trips(chat: AsyncChatClient, user: AsyncChatUser) -> None:
    """Users, conversations, participants, messages and events: all 20 JSON operations."""
    me = await user.get_user()
    assert me.user.id == "ann"
    assert me.user.name == "Ann"
    updated = await user.update_user(name="Annie", profile="tester")
    assert updated.user.name == "Annie"
    assert updated.user.profile == "tester"
    again = await user.get_or_create_user()
    assert again.user.id == "ann"

    got = await user.get_conversation(id="conv-1")
    assert got.conversation.id == "conv-1"
    same = await user.get_or_create_conversation(id="conv-1")
    assert same.conversation.id == "conv-1"
    fresh = await user.get_or_create_conversation(id="conv-2")
    assert fresh.conversation.id == "conv-2"
    generated = await user.create_conversation()
    assert generated.conversation.id
    listed = await user.list_conversations().collect()
    assert {c.id for c in listed} == {"conv-1", "conv-2", generated.conversation.id}

    bob = await chat.connect(user_id="bob")
    added = await user.add_participant(conversation_id="conv-1", user_id="bob")
    assert added.participant.id == "bob"
    participant = await user.get_participant(conversation_id="conv-1", user_id="bob")
    assert participant.participant.id == "bob"
    members = await user.list_participants(conversation_id="conv-1").collect()
    assert {m.id for m in members} == {"ann", "bob"}
    await user.remove_participant(conversation_id="conv-1", user_id="bob")
    with pytest.raises(ForbiddenError):
        await bob.get_conversation(id="conv-1")

    sent = await user.create_message(
        conversation_id="conv-1", payload={"type": "text", "text": "hi"}, metadata={"k": 1}
    )
    assert sent.message.payload == {"type": "text", "text": "hi"}
    assert sent.message.metadata == {"k": 1}
    fetched = await user.get_message(id=sent.message.id)
    assert fetched.message.user_id == "ann"
    messages = await user.list_messages(conversation_id="conv-1").collect()
    assert sent.message.id in {m.id for m in messages}
    await user.delete_message(id=sent.message.id)
    with pytest.raises(ResourceNotFoundError):
        await user.get_message(id=sent.message.id)

    event = await user.create_event(conversation_id="conv-1", payload={"clicked": True})
    assert (await user.get_event(id=event.event.id)).event.payload == {"clicked": True}

    await user.delete_conversation(id="conv-2")
    with pytest.raises(ResourceNotFoundError):
        await user.get_conversation(id="conv-2")
    await bob.delete_user()
    with pytest.raises(ResourceNotFoundError):
        await bob.get_user()


async def test_unknown_payload_types_and_fields_pass_through(user: AsyncChatUser) -> None:
    """A bloc payload (newer than the document) is sent and read back unchanged."""
    bloc = {"type": "bloc", "items": [{"type": "text", "text": "a"}], "future": {"x": 1}}
    sent = await user.create_message(conversation_id="conv-1", payload=bloc)
    assert (await user.get_message(id=sent.message.id)).message.payload == bloc


async def test_user_key_connect_mode_and_stored_key(chat: AsyncChatClient) -> None:
    """createUser's key connects again later as the same user."""
    first = await chat.connect()
    later = await chat.connect(user_key=first.user_key)
    assert later.user_id == first.user_id
    created = await chat.create_user(id="carol", name="Carol")
    assert created.key not in repr(created)
    assert created.user.id == "carol"
    assert created.key
    with pytest.raises(AlreadyExistsError):
        await chat.create_user(id="carol")


async def test_encryption_key_mode(emu: Emulator, chat: AsyncChatClient) -> None:
    """With an encryption key, keys are signed locally and createUser is refused."""
    emu.chat.encryption_key = "integration-secret"
    with pytest.raises(ForbiddenError):
        await chat.connect()
    user = await chat.connect(encryption_key="integration-secret", user_id="dave")
    assert (await user.get_user()).user.id == "dave"
    signed = sign_user_key("dave", "integration-secret")
    assert (await chat.connect(user_key=signed)).user_id == "dave"
    with pytest.raises(UnauthorizedError):
        await chat.connect(encryption_key="wrong secret", user_id="dave")
    with pytest.raises(UnauthorizedError):
        await chat.connect(user_key="not-a-jwt")


async def test_owner_participant_and_sender_checks(
    chat: AsyncChatClient, user: AsyncChatUser
) -> None:
    """Only participants read, only the owner deletes or adds, only the sender deletes."""
    eve = await chat.connect(user_id="eve")
    with pytest.raises(ForbiddenError):
        await eve.list_messages(conversation_id="conv-1").collect()
    with pytest.raises(ForbiddenError):
        await eve.create_message(conversation_id="conv-1", payload={"type": "text", "text": "x"})
    await user.add_participant(conversation_id="conv-1", user_id="eve")
    with pytest.raises(ForbiddenError):
        await eve.delete_conversation(id="conv-1")
    with pytest.raises(ForbiddenError):
        await eve.add_participant(conversation_id="conv-1", user_id="ann")
    mine = await user.create_message(
        conversation_id="conv-1", payload={"type": "text", "text": "m"}
    )
    with pytest.raises(ForbiddenError):
        await eve.delete_message(id=mine.message.id)
    with pytest.raises(AlreadyExistsError):
        await user.create_conversation(id="conv-1")


async def test_bad_input_is_refused_before_sending(emu: Emulator, chat: AsyncChatClient) -> None:
    """Bad ids, a missing key, an oversized payload: ConfigurationError, nothing sent."""
    before = len(emu.log)
    with pytest.raises(ConfigurationError, match="1 to 70"):
        await chat.connect(user_id="bad id!")
    with pytest.raises(ConfigurationError, match="user_id is required"):
        await chat.connect(encryption_key="k")
    user = await chat.connect(user_id="frank")
    await user.create_conversation(id="big")
    with pytest.raises(ConfigurationError, match="1 MB"):
        await user.create_message(
            conversation_id="big", payload={"type": "text", "text": "x" * 1_100_000}
        )
    with pytest.raises(ConfigurationError, match="non-empty"):
        user.listen("")
    with pytest.raises(ConfigurationError, match="payload mapping"):
        await user.ask("big", 42)  # type: ignore[arg-type]
    from botpress_async.chat._operations import ChatOperations

    with pytest.raises(ConfigurationError, match="needs a user key"):
        await ChatOperations(chat._sender).get_user()
    assert len(emu.log) == before  # the chat front does not log; nothing reached the API


async def test_two_hundred_with_an_error_body_is_an_error(
    emu: Emulator, user: AsyncChatUser
) -> None:
    """A 2xx answer whose body has a code of 400-599 raises the typed error of that code."""
    emu.chat.error_body_next(code=500, type_="Internal")
    with pytest.raises(InternalError) as caught:
        await user.get_user()
    assert caught.value.status == 500
    assert (await user.get_user()).user.id == "ann"


async def test_configuration_errors_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook id and URL come from BP_CHAT_WEBHOOK_ID / BP_CHAT_URL; bad ones are refused."""
    monkeypatch.delenv("BP_CHAT_WEBHOOK_ID", raising=False)
    with pytest.raises(ConfigurationError, match="BP_CHAT_WEBHOOK_ID"):
        AsyncChatClient()
    monkeypatch.setenv("BP_CHAT_WEBHOOK_ID", "wh_1")
    monkeypatch.setenv("BP_CHAT_URL", "http://127.0.0.1:9")
    client = AsyncChatClient()
    assert client.base_url == "http://127.0.0.1:9/wh_1"
    assert AsyncChatClient("wh_2", url="https://chat.example").base_url.endswith("/wh_2")
    with pytest.raises(ConfigurationError, match="plain http"):
        AsyncChatClient("wh", url="http://chat.example")
    with pytest.raises(ConfigurationError, match="keepalive"):
        AsyncChatClient("wh", keepalive=0)


async def test_user_key_never_shows(
    chat: AsyncChatClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither repr nor log records carry the user key."""
    caplog.set_level(logging.DEBUG, logger="botpress")
    user = await chat.connect(user_id="grace")
    await user.create_conversation(id="g")
    async with user.listen("g") as events:
        assert user.user_key not in repr(events)
    key = user.user_key
    for text in (repr(user), repr(chat), repr(user._client), repr(user._client.headers())):
        assert key not in text
    assert all(key not in record.getMessage() for record in caplog.records)


async def test_for_bot_finds_the_webhook_id(emu: Emulator) -> None:
    """for_bot reads the Chat integration's webhook id with the admin API."""
    from botpress_async import AsyncClient

    async with AsyncClient(emu.pat, api_url=emu.url, workspace_id=emu.workspace_id) as admin:
        async with await AsyncChatClient.for_bot(admin, emu.bot_id, url=emu.chat_url) as chat:
            assert chat.webhook_id == emu.chat_webhook_id
        plain = emu.store.add_bot(emu.workspace_id, "bot-without-chat")
        with pytest.raises(ConfigurationError, match="no Chat integration"):
            await AsyncChatClient.for_bot(admin, plain.id)


async def test_the_chat_front_enforces_the_id_rules(user: AsyncChatUser) -> None:
    """A conversation id outside the rule is refused by the server with InvalidPayloadError."""
    from botpress_async import InvalidPayloadError

    with pytest.raises(InvalidPayloadError, match="1 to 70"):
        await user.create_conversation(id="has spaces")
    with pytest.raises(InvalidPayloadError):
        await user.get_or_create_conversation(id="x" * 71)
