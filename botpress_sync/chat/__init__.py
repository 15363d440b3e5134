"""The blocking Chat API client: `ChatClient`, `ChatUser` and `BlockingChatListener`.

Signals, `sign_user_key` and the webhook helpers are those of `botpress_async.chat`.
"""

from __future__ import annotations

from botpress_async.chat import (
    WEBHOOK_SECRET_HEADER,
    ChatStreamError,
    _signals,
    check_secret_key,
    parse_webhook_signal,
    sign_user_key,
)
from botpress_async.chat._signals import *  # noqa: F403 - named once in _signals.__all__

from ._base import BlockingChatListener
from ._client import ChatClient
from ._user import ChatUser

__all__ = [
    "WEBHOOK_SECRET_HEADER",
    "BlockingChatListener",
    "ChatClient",
    "ChatStreamError",
    "ChatUser",
    "check_secret_key",
    "parse_webhook_signal",
    "sign_user_key",
]
__all__ += _signals.__all__
