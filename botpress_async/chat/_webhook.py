"""The webhook mode of the Chat integration: Botpress POSTs each signal to your URL.

The integration sends the signal's JSON (``{"type", "data"}``) with the secret you set on it
in the ``x-secret-key`` header. Check the header with `check_secret_key` (constant time),
then read the body with `parse_webhook_signal`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, Final

from botpress_async._encoding import loads
from botpress_async._errors import ConfigurationError

from ._signals import Signal, UnknownSignal, parse_signal
from ._signing import _nonempty_text

__all__ = ["WEBHOOK_SECRET_HEADER", "check_secret_key", "parse_webhook_signal"]

#: The header that carries the webhook's secret.
WEBHOOK_SECRET_HEADER: Final = "x-secret-key"  # noqa: S105 - a header name, not a secret


def check_secret_key(headers: Mapping[str, str], secret: str) -> bool:
    """Whether a webhook request carries ``secret`` in ``x-secret-key`` (constant-time check).

    Args:
        headers: the request's headers (any mapping; the name is matched case-insensitively).
        secret: the secret key set on the Chat integration.
    """
    if not _nonempty_text(secret):
        raise ConfigurationError("the webhook secret must be a non-empty string")
    given: Any = headers.get(WEBHOOK_SECRET_HEADER)
    if given is None:
        given = next((v for k, v in headers.items() if k.lower() == WEBHOOK_SECRET_HEADER), None)
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def parse_webhook_signal(body: bytes | str | Mapping[str, Any]) -> Signal:
    """The signal a webhook request carries; a malformed body gives an `UnknownSignal`.

    Args:
        body: the raw request body, or its decoded JSON.
    """
    if isinstance(body, (bytes, str)):
        try:
            obj: Any = loads(body)
        except ValueError:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return UnknownSignal("", {"raw": text[:1000]})
    else:
        obj = body
    return parse_signal(obj) or UnknownSignal("ping", {})
