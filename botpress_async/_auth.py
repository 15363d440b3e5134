"""Token kinds, what each reaches, and the checks made before any request is sent."""

from __future__ import annotations

import enum
import re
from typing import Final

from ._encoding import check_text
from ._errors import ConfigurationError, ScopeError

__all__ = [
    "API_NAMES",
    "TokenKind",
    "api_of_path",
    "check_header_value",
    "check_scope",
    "detect_token_kind",
    "kinds_reaching",
    "reach_of",
]

API_NAMES: Final = ("runtime", "files", "tables", "admin", "billing")


class TokenKind(str, enum.Enum):
    """The kind of a Botpress token, which decides the APIs it reaches.

    All kinds are sent the same way (``Authorization: Bearer <token>``); the kind only lets
    the client refuse, before sending, a call the token could never make.
    """

    PAT = "pat"
    """Personal Access Token: every API."""
    BAK = "bak"
    """Bot Access Key: the runtime, tables and files APIs of one bot."""
    IAK = "iak"
    """Integration Access Key: the runtime and files APIs."""
    UNKNOWN = "unknown"
    """Any other token; the client restricts nothing and lets the server decide."""

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """A human name for messages (``"Bot Access Key"``)."""
        return _LABELS[self]


_LABELS: Final = {
    TokenKind.PAT: "Personal Access Token",
    TokenKind.BAK: "Bot Access Key",
    TokenKind.IAK: "Integration Access Key",
    TokenKind.UNKNOWN: "token of unknown kind",
}

# The one table of which APIs each token kind reaches (Botpress's authentication guide): the
# client's check before sending, the emulator's 403 and the generated docstrings all read it.
_REACH: Final[dict[TokenKind, tuple[str, ...]]] = {
    TokenKind.PAT: API_NAMES,
    TokenKind.BAK: ("runtime", "tables", "files"),
    TokenKind.IAK: ("runtime", "files"),
    TokenKind.UNKNOWN: API_NAMES,
}

_PREFIXES: Final = (("bp_pat_", TokenKind.PAT), ("bp_bak_", TokenKind.BAK))

# The API of a request is read off its path prefix; order does not matter, they are disjoint.
_PATH_PREFIXES: Final = (
    ("/v1/chat/", "runtime"),
    ("/v1/files/", "files"),
    ("/v1/tables/", "tables"),
    ("/v1/admin/", "admin"),
    ("/v2/billing/", "billing"),
)

# RFC 9110 field values may not hold CR, LF, NUL or other controls; DEL is refused too.
_BAD_HEADER_CHARS: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def detect_token_kind(token: str, explicit: TokenKind | str | None = None) -> TokenKind:
    """Return the kind of ``token``: the explicit one when given, else by its prefix.

    Args:
        token: the bearer token.
        explicit: ``"pat"``, ``"bak"``, ``"iak"``, ``"unknown"`` or a `TokenKind`;
            wins over the prefix.
    """
    if explicit is not None:
        try:
            if isinstance(explicit, TokenKind):
                return explicit
            return TokenKind(str(explicit).lower())
        except ValueError:
            choices = ", ".join(repr(k.value) for k in TokenKind)
            raise ConfigurationError(
                f"token_kind must be one of {choices} or a TokenKind, got {explicit!r}",
                argument="token_kind",
            ) from None
    for prefix, kind in _PREFIXES:
        if token.startswith(prefix):
            return kind
    return TokenKind.UNKNOWN


def reach_of(kind: TokenKind) -> tuple[str, ...]:
    """The APIs a token of this kind reaches."""
    return _REACH[kind]


def kinds_reaching(api: str) -> tuple[TokenKind, ...]:
    """The known token kinds (PAT, BAK, IAK, in that order) that reach ``api``."""
    return tuple(k for k in (TokenKind.PAT, TokenKind.BAK, TokenKind.IAK) if api in _REACH[k])


def api_of_path(path: str) -> str | None:
    """The API a request path belongs to, from its prefix, or ``None`` when it is not known."""
    probe = path if path.endswith("/") else path + "/"
    for prefix, api in _PATH_PREFIXES:
        if probe.startswith(prefix):
            return api
    return None


def check_scope(api: str | None, kind: TokenKind) -> None:
    """Raise `ScopeError` when a token of ``kind`` cannot reach ``api``.

    Args:
        api: the API of the request; ``None`` (an unrecognised path) is let through.
        kind: the client's token kind.
    """
    if api is None:
        return
    reach = _REACH[kind]
    if api not in reach:
        accepted = tuple(
            k.label for k in (TokenKind.BAK, TokenKind.PAT) if api in _REACH[k] and k is not kind
        )
        raise ScopeError(api, kind.label, reach, accepted)


def check_header_value(name: str, value: str, *, secret: bool = False) -> str:
    """Return ``value`` if it may be sent as a header, else raise `ConfigurationError`.

    Args:
        name: what the value is, for the message (``"token"``, ``"bot_id"``...).
        value: the value to check.
        secret: when true the message never quotes the value.
    """
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{name} must be a string, not {type(value).__name__}", argument=_argument(name)
        )
    check_text(name, value, secret=secret)
    match = _BAD_HEADER_CHARS.search(value)
    if match is not None:
        shown = "" if secret else f" {value!r}"
        raise ConfigurationError(
            f"{name}{shown} contains the control character {match.group()!r} at index "
            f"{match.start()}; HTTP headers cannot carry CR, LF or other control characters",
            argument=_argument(name),
        )
    if value != value.strip():
        shown = "" if secret else f" {value!r}"
        raise ConfigurationError(
            f"{name}{shown} has leading or trailing whitespace; strip it first",
            argument=_argument(name),
        )
    return value


def _argument(name: str) -> str | None:
    # "bot_id" names an argument; "header 'x-a'" describes a value inside one.
    return name if name.isidentifier() else None
