"""The Chat API client: talk to a bot as a user, with live signals that survive disconnects.

``AsyncChatClient(webhook_id)`` holds the configuration and connection pool;
``await chat.connect(...)`` returns an `AsyncChatUser` with every operation of the Chat API,
``listen()`` for a conversation's signals and ``ask()`` for "send, then collect the replies".
See docs/chat.md.
"""

from __future__ import annotations

from . import _signals
from ._client import DEFAULT_CHAT_URL, AsyncChatClient
from ._listener import DEFAULT_KEEPALIVE, ChatListener, ChatStreamError
from ._signals import *  # noqa: F403 - the signal types, named once in _signals.__all__
from ._signing import sign_user_key
from ._user import AsyncChatUser
from ._webhook import WEBHOOK_SECRET_HEADER, check_secret_key, parse_webhook_signal

__all__ = [
    "DEFAULT_CHAT_URL",
    "DEFAULT_KEEPALIVE",
    "WEBHOOK_SECRET_HEADER",
    "AsyncChatClient",
    "AsyncChatUser",
    "ChatListener",
    "ChatStreamError",
    "check_secret_key",
    "parse_webhook_signal",
    "sign_user_key",
]
__all__ += _signals.__all__
