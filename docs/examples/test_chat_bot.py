"""Checking a bot's answers with ``ask()``, as the test suite of a bot project would.

Each case sends one message in a fresh conversation and checks that a reply contains the
expected words. Without ``BP_CHAT_WEBHOOK_ID`` the suite talks to the emulator's echo bot
(no account, no network); with it, to your bot's Chat integration::

    python -m pip install '.[testing]'   # in a clone of the SDK
    pytest docs/examples/test_chat_bot.py
    BP_CHAT_WEBHOOK_ID=... pytest docs/examples/test_chat_bot.py   # your bot

Replace ``CASES`` with what your bot should answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from botpress_async.testing import Emulator
from botpress_sync.chat import ChatClient, ChatUser

# (what the user says, words the bot's answer must contain)
CASES = [
    ("hello", "hello"),
    ("What are your opening hours?", "opening hours"),
    ("Can I get a refund?", "refund"),
]


@pytest.fixture(scope="module")
def chat() -> Iterator[ChatClient]:
    """A chat client of your bot, or of the emulator's echo bot when no webhook id is set."""
    if os.environ.get("BP_CHAT_WEBHOOK_ID"):
        with ChatClient() as client:
            yield client
        return
    with (
        Emulator(chat_echo=True).run_in_thread() as emu,
        ChatClient(emu.chat_webhook_id, url=emu.chat_url) as client,
    ):
        yield client


@pytest.fixture
def conversation(chat: ChatClient) -> tuple[ChatUser, str]:
    """A new user in a new conversation, so that cases do not see each other's messages."""
    user = chat.connect()
    return user, user.create_conversation().conversation.id


@pytest.mark.parametrize(("question", "expected"), CASES)
def test_the_bot_answers(conversation: tuple[ChatUser, str], question: str, expected: str) -> None:
    """The bot replies to ``question`` with an answer that mentions ``expected``."""
    user, conversation_id = conversation
    replies = user.ask(conversation_id, question, timeout=30, quiet=1.5)
    assert replies, f"no answer to {question!r} within 30 s"
    answers = [reply.text or "" for reply in replies]
    assert any(expected.lower() in answer.lower() for answer in answers), answers
