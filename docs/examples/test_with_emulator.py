"""Testing your own code against the emulator, as a test suite of your project would.

``greet`` below stands for your code: it welcomes a user in their conversation, once. The
tests run it against the ``botpress_emulator`` fixture (registered by the SDK's pytest
plugin, no account and no network), then check what the API holds and what it was asked::

    python -m pip install '.[testing]'   # in a clone of the SDK
    pytest docs/examples/test_with_emulator.py
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import botpress_sync
from botpress_async.testing import Emulator
from botpress_sync import Client

# --- the code under test -------------------------------------------------------------------

GREETED_STATE = "greeted"


def greet(client: Client, handle: str) -> bool:
    """Send ``handle`` a welcome message unless they had one already; True when one was sent."""
    tags = {"handle": handle}
    user = client.runtime.get_or_create_user(tags=tags, name=handle).user
    # A user state remembers the greeting, so that running this twice greets once.
    try:
        client.runtime.get_state(type="user", id=user.id, name=GREETED_STATE)
        return False
    except botpress_sync.ResourceNotFoundError:
        pass
    conversation = client.runtime.get_or_create_conversation(channel="web", tags=tags).conversation
    client.runtime.create_message(
        user_id=user.id,
        conversation_id=conversation.id,
        type="text",
        payload={"text": f"Welcome, {handle}!"},
        tags={},
    )
    client.runtime.set_state(type="user", id=user.id, name=GREETED_STATE, payload={"at": "now"})
    return True


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture
def client(botpress_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A client configured from the environment, as the code in production is."""
    # Pointing the environment at the emulator tests the configuration path too.
    monkeypatch.setenv("BP_TOKEN", botpress_emulator.bak)
    monkeypatch.setenv("BP_BOT_ID", botpress_emulator.bot_id)
    monkeypatch.setenv("BP_API_URL", botpress_emulator.url)
    with Client() as bp:
        yield bp


def texts(client: Client) -> list[str]:
    """Every text message the bot holds, in all conversations."""
    return [
        str(message.payload.get("text"))
        for conversation in client.runtime.list_conversations()
        for message in client.runtime.list_messages(conversation_id=conversation.id)
    ]


def test_greets_a_new_user(client: Client) -> None:
    """A user seen for the first time gets one welcome message."""
    assert greet(client, "ada") is True
    assert texts(client) == ["Welcome, ada!"]


def test_greets_each_user_once(client: Client) -> None:
    """Greeting the same user again sends nothing more."""
    greet(client, "ada")
    assert greet(client, "ada") is False
    greet(client, "grace")
    assert sorted(texts(client)) == ["Welcome, ada!", "Welcome, grace!"]


def test_survives_a_rate_limit(client: Client, botpress_emulator: Emulator) -> None:
    """A 429 on the first call is retried by the client; the user is still greeted once."""
    emu = botpress_emulator
    emu.faults.add("rate_limit", operation="getOrCreateUser", times=1, retry_after=0.01)

    assert greet(client, "linus") is True

    attempts = emu.log.for_operation("getOrCreateUser")
    assert [entry.status for entry in attempts] == [429, 200]
    assert len(emu.log.processed("getOrCreateUser")) == 1
    assert texts(client) == ["Welcome, linus!"]


def test_a_lost_answer_is_not_sent_twice(client: Client, botpress_emulator: Emulator) -> None:
    """When the answer to createMessage is lost, the message exists once and the error shows."""
    emu = botpress_emulator
    emu.faults.add("reset_after", operation="createMessage", times=1)

    # A message may have been created, so the client does not send it again by itself:
    # the code under test sees the failure and the state is not set.
    with pytest.raises(botpress_sync.APIConnectionError):
        greet(client, "margaret")
    assert len(emu.log.processed("createMessage")) == 1
    assert texts(client) == ["Welcome, margaret!"]
