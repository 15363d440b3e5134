"""Small shared types: the "not given" sentinel, timeouts and per-call options."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias, TypeVar

import attrs

from ._errors import ConfigurationError

__all__ = [
    "NOT_GIVEN",
    "NotGiven",
    "NotGivenOr",
    "RequestOptions",
    "Timeout",
]

_T = TypeVar("_T")


class NotGiven(enum.Enum):
    """Marks an argument the caller left out, which is different from passing ``None``.

    An omitted argument is not sent at all; ``None`` is sent as JSON ``null`` (how the API
    clears a field).
    """

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN
NotGivenOr: TypeAlias = _T | NotGiven


@attrs.frozen(kw_only=True)
class Timeout:
    """Time limits of a request, in seconds; ``None`` means no limit.

    Attributes:
        connect: to open a new connection (DNS, TCP and TLS handshakes).
        read: one attempt, from sending the request to reading the whole response.
        total: a deadline across every attempt and the waits between them.
    """

    connect: float | None = 10.0
    read: float | None = 60.0
    total: float | None = None

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        """Turn a number of seconds (the per-attempt limit) or ``None`` into a `Timeout`."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, read=None, total=None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigurationError(
                "timeout must be a number of seconds, None or a Timeout, "
                f"not {type(value).__name__}"
            )
        if not 0 < value < math.inf:
            raise ConfigurationError(
                f"timeout must be a positive, finite number of seconds, got {value!r}; "
                "pass None for no limit"
            )
        try:
            seconds = float(value)
        except OverflowError:  # an int past the largest float
            raise ConfigurationError(
                "timeout is too large a number of seconds; pass None for no limit"
            ) from None
        return cls(connect=min(seconds, 10.0), read=seconds, total=None)


@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-call settings that every operation accepts besides its own parameters.

    Attributes:
        timeout: overrides the client's timeout for this call.
        max_retries: overrides the client's retry count for this call.
        extra_headers: headers added to (or, when a value is ``None``, removed from) the request.
        extra_query: query parameters the SDK's documents do not know yet (``pageSize``, say).
        extra_body: JSON body fields merged over the operation's own.
    """

    timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN
    max_retries: NotGivenOr[int] = NOT_GIVEN
    extra_headers: Mapping[str, str | None] | None = None
    extra_query: Mapping[str, Any] | None = None
    extra_body: Mapping[str, Any] | None = None
