"""The roots of the exception tree: `BotpressError`, `APIError` and the retry context.

A leaf module, so that the generated ``_api_errors`` can build on `APIError` while
``botpress_async._errors`` imports the generated classes: every exception is still
importable from ``_errors`` (and from ``botpress_async``), and no two modules import each
other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["APIError", "BotpressError"]

_RAW_TEXT_LIMIT = 2000


class BotpressError(Exception):
    """Base class of every exception raised by the SDK."""


class _RetryContext:
    """How a request that failed for good was tried, added to the message of its error.

    Attributes:
        attempts: the attempts made (1 when it was not retried).
        elapsed: seconds from the first attempt to the failure.
        not_retried: why no further attempt was made, when it was not the retry count.
    """

    attempts: int = 1
    elapsed: float = 0.0
    not_retried: str | None = None

    def retry_context(self) -> str:
        """The context as the end of a message: ``" (after 3 attempts in 7.4 s)"``."""
        parts = []
        if self.attempts > 1:
            parts.append(f"after {self.attempts} attempts in {self.elapsed:.1f} s")
        if self.not_retried:
            parts.append(f"not retried: {self.not_retried}")
        return f" ({'; '.join(parts)})" if parts else ""


class APIError(_RetryContext, BotpressError):
    """The API answered with an error status.

    Catch a status with its base (`NotFoundError`, `RateLimitError`, `ServerError` ...) or
    one API error type with its own class (`ResourceNotFoundError` ...).

    Attributes:
        status: the HTTP status code.
        type: the API's error type (``"ResourceNotFound"``...), or ``None`` when the body had none.
        message: the API's message, or the trimmed raw body when it was not the API's error shape.
        error_id: the server's id of this error (``err_...``), useful when reporting a problem.
        metadata: the ``metadata`` object of the error body, when present.
        method: the HTTP method of the request.
        path: the request path (without query string).
        body: the raw response text, trimmed to a couple of kilobytes.
        retry_after: for 429 and 503, the seconds the server asked to wait (``Retry-After``),
            when it said.
        attempts: the attempts made; ``elapsed`` the seconds they took.
        not_retried: why no further attempt was made, when it was not the retry count (a
            ``Retry-After`` over ``max_retry_after``, the spent retry budget, the deadline).
    """

    #: The API error type this class stands for; ``None`` on the bases.
    error_type: str | None = None
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int,
        type: str | None = None,
        error_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        method: str = "",
        path: str = "",
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.error_id = error_id
        self.metadata = dict(metadata) if metadata else {}
        self.method = method
        self.path = path
        self.body = body[:_RAW_TEXT_LIMIT]

    def __str__(self) -> str:
        kind = self.type or "HTTP error"
        where = f" on {self.method} {self.path}" if self.method else ""
        ident = f" [{self.error_id}]" if self.error_id else ""
        return f"{kind} ({self.status}){where}: {self.message}{ident}{self.retry_context()}"

    def __reduce__(self) -> Any:
        # Exceptions with keyword-only constructors do not pickle by default; process pools need it.
        return (_rebuild_api_error, (type(self), self.message, self.__dict__))


def _rebuild_api_error(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err
