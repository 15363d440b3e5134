"""User keys of the Chat API: HS256 JSON Web Tokens over ``{"id": userId}``, and id rules.

Signing uses only the standard library. The output is byte for byte what the Chat
integration's own signer produces for the same inputs: header ``{"alg":"HS256","typ":"JWT"}``,
payload ``{"id":...,"iat":...}`` (then ``exp`` when an expiry is asked for), compact JSON,
base64url without padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
from typing import Any, Final

from botpress_async._errors import ConfigurationError

__all__ = ["_nonempty_text", "check_chat_id", "decode_user_key", "sign_jwt", "sign_user_key"]

_ID_RULE: Final = re.compile(r"[a-zA-Z0-9_\-\\/]{1,70}")
_HEADER: Final = {"alg": "HS256", "typ": "JWT"}


def check_chat_id(kind: str, value: object) -> str:
    """Return ``value`` if it is a valid caller-chosen chat id, else raise `ConfigurationError`.

    Args:
        kind: what the id names (``"user id"``, ``"conversation id"``), for the message.
        value: the id to check.
    """
    if not isinstance(value, str) or not _ID_RULE.fullmatch(value):
        shown = repr(value) if isinstance(value, str) and len(value) <= 80 else "the value given"
        raise ConfigurationError(
            f"{kind} {shown} is not valid: use 1 to 70 characters among letters, digits, "
            "'_', '-', '\\' and '/'"
        )
    return value


def _nonempty_text(value: object) -> bool:
    """Whether ``value`` is a non-empty string (arguments are checked at run time too)."""
    return isinstance(value, str) and bool(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_jwt(claims: dict[str, Any], secret: str, header: dict[str, Any] | None = None) -> str:
    """Sign ``claims`` as a compact HS256 JSON Web Token.

    Args:
        claims: the payload, encoded in its key order.
        secret: the HMAC secret (UTF-8 encoded).
        header: the JOSE header; the default is ``{"alg": "HS256", "typ": "JWT"}``.
    """
    if not _nonempty_text(secret):
        raise ConfigurationError("the encryption key must be a non-empty string")
    try:
        key = secret.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate; never quoted: the key is a secret
        raise ConfigurationError(
            "the encryption key holds a lone surrogate, which has no UTF-8 form; pass the "
            "key as it is set on the Chat integration"
        ) from None
    signing_input = _b64(_compact(header or _HEADER)) + "." + _b64(_compact(claims))
    mac = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256)
    return signing_input + "." + _b64(mac.digest())


def sign_user_key(
    user_id: str,
    encryption_key: str,
    expires_in: float | None = None,
    *,
    issued_at: int | None = None,
) -> str:
    """Make the ``x-user-key`` of a user for a Chat integration that has an encryption key.

    Args:
        user_id: the user's id, chosen by the caller (1 to 70 of ``[a-zA-Z0-9_-\\/]``).
        encryption_key: the secret set on the bot's Chat integration.
        expires_in: seconds until the key expires; ``None`` makes a key without expiry.
        issued_at: the ``iat`` claim in Unix seconds (default: now); fixed values make
            reproducible keys for tests.
    """
    check_chat_id("user id", user_id)
    times: tuple[tuple[str, Any], ...] = (("issued_at", issued_at), ("expires_in", expires_in))
    for name, given in times:
        # JWT times are whole seconds: anything else would fail in int() or compare badly.
        if given is not None and (
            isinstance(given, bool)
            or not isinstance(given, (int, float))
            or not math.isfinite(given)
        ):
            raise ConfigurationError(
                f"{name} must be a finite number of seconds, got {given!r:.40}", argument=name
            )
    iat = int(time.time()) if issued_at is None else int(issued_at)
    claims: dict[str, Any] = {"id": user_id, "iat": iat}
    if expires_in is not None:
        if expires_in <= 0:
            raise ConfigurationError(f"expires_in must be positive, got {expires_in!r}")
        claims["exp"] = iat + int(expires_in)
    return sign_jwt(claims, encryption_key)


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_user_key(key: str, secret: str, *, now: float | None = None) -> dict[str, Any] | None:
    """The claims of a user key signed with ``secret``, or ``None`` when it does not check out.

    Args:
        key: the compact JWT.
        secret: the HMAC secret it must be signed with.
        now: the current Unix time, to check ``exp`` (default: now).
    """
    parts = key.split(".")
    if len(parts) != 3 or not key.isascii():
        return None
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        return None
    expected = hmac.new(
        secret.encode("utf-8"), f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, signature):
        return None
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and (time.time() if now is None else now) >= exp:
        return None
    if not isinstance(claims.get("id"), str):
        return None
    return claims
