"""The chat client and the user-key signer refuse options they cannot use with the SDK's
errors at the call, never a bare TypeError, ValueError or UnicodeError."""

from __future__ import annotations

from typing import Any

import pytest

from botpress_async import ArgumentTypeError, ConfigurationError
from botpress_async.chat import AsyncChatClient, sign_user_key


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"keepalive": "x"}, ArgumentTypeError, "keepalive must be a number"),
        ({"keepalive": float("nan")}, ConfigurationError, "keepalive must be positive"),
        ({"max_connections": "x"}, ArgumentTypeError, "max_connections must be a number"),
        ({"headers": [("x-a", "b")]}, ArgumentTypeError, "headers must be a mapping"),
        ({"url": "http://[::1"}, ConfigurationError, "not a valid URL"),
        ({"url": "http://127.0.0.1:99999"}, ConfigurationError, "not a valid URL"),
    ],
)
def test_a_chat_client_refuses_options_it_cannot_use(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        AsyncChatClient("webhook-1", **kwargs)


@pytest.mark.anyio
async def test_a_user_needs_a_user_record() -> None:
    async with AsyncChatClient("webhook-1", url="http://127.0.0.1:9") as chat:
        with pytest.raises(ArgumentTypeError, match="user must be the user's record"):
            chat.user("key-" + "x" * 20, 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expires_in": "x"}, "expires_in must be a finite number"),
        ({"expires_in": float("nan")}, "expires_in must be a finite number"),
        ({"expires_in": float("inf")}, "expires_in must be a finite number"),
        ({"issued_at": "x"}, "issued_at must be a finite number"),
        ({"issued_at": float("nan")}, "issued_at must be a finite number"),
        ({"encryption_key": "k\ud800"}, "lone surrogate"),
    ],
)
def test_signing_refuses_what_it_cannot_sign(kwargs: dict[str, Any], message: str) -> None:
    args = {"user_id": "user-1", "encryption_key": "secret-key", **kwargs}
    with pytest.raises(ConfigurationError, match=message) as caught:
        sign_user_key(**args)
    assert "\ud800" not in str(caught.value), "the key is a secret: never quoted"
    assert sign_user_key("user-1", "secret-key", 60, issued_at=1).count(".") == 2
