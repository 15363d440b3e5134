"""The blocking Chat API client: `ChatClient`, `ChatUser` and `BlockingChatListener`.

Signals, `sign_user_key` and the webhook helpers are those of `botpress_async.chat`.
"""

from __future__ import annotations

from botpress_async.chat import (
    SIGNAL_TYPES,
    WEBHOOK_SECRET_HEADER,
    ChatStreamError,
    EventCreated,
    MessageCreated,
    MessageDeleted,
    MessageStreamAbort,
    MessageStreamComplete,
    MessageStreamDelta,
    ParticipantAdded,
    ParticipantRemoved,
    Reconnected,
    Signal,
    UnknownSignal,
    check_secret_key,
    parse_signal,
    parse_webhook_signal,
    sign_user_key,
)

from ._base import BlockingChatListener
from ._client import ChatClient
from ._user import ChatUser

__all__ = [
    "SIGNAL_TYPES",
    "WEBHOOK_SECRET_HEADER",
    "BlockingChatListener",
    "ChatClient",
    "ChatStreamError",
    "ChatUser",
    "EventCreated",
    "MessageCreated",
    "MessageDeleted",
    "MessageStreamAbort",
    "MessageStreamComplete",
    "MessageStreamDelta",
    "ParticipantAdded",
    "ParticipantRemoved",
    "Reconnected",
    "Signal",
    "UnknownSignal",
    "check_secret_key",
    "parse_signal",
    "parse_webhook_signal",
    "sign_user_key",
]
