"""Every exception the SDK raises, in one module; import them from ``botpress_async``.

```text
BotpressError
├── ConfigurationError (ValueError)   bad arguments, caught before sending
│   ├── ScopeError (PermissionError)  the token kind cannot reach that API
│   └── InvalidItemError              one bulk item cannot be sent
├── ClientStateError                  the client is closed, or on another loop
├── LoopThreadError (RuntimeError)    a blocking call would wait for its own loop
├── LoopStoppedError (RuntimeError)   the blocking client's loop stopped at exit
├── APIConnectionError                refused, reset, DNS, TLS
│   └── APITimeoutError (TimeoutError)
├── ResponseTooLargeError             the body was over the client's size cap
├── ResponseDecodeError (ValueError)  a success body lacks a promised field
├── UploadError / DownloadError       bytes did not reach, or come from, storage
├── BulkError / RowsError             a bulk job did not succeed for every item
├── BulkCancelled                     an item's call was in flight at the stop
└── APIError                          the API answered with an error status
    ├── BadRequestError (400)         InvalidPayloadError, InvalidQueryError, ...
    ├── AuthenticationError (401)     UnauthorizedError
    ├── PermissionDeniedError (403)   ForbiddenError, QuotaExceededError
    ├── NotFoundError (404)           ResourceNotFoundError
    ├── ConflictError (409)           AlreadyExistsError, RelationConflictError, ...
    ├── RateLimitError (429)          RateLimitedError
    ├── ServerError (5xx)             InternalError, UnknownError, ...
    └── PaymentRequiredError (402), MethodNotFoundError (405), ...
```

The status bases and the 26 type classes are generated from the API's ``errors.json``. No
exception of aiohttp, cattrs or json escapes the SDK; they are chained as ``__cause__``.
Errors raised after retries say how many attempts were made, over how long, and why the
last one was not retried (`APIError.attempts`, ``elapsed``, ``not_retried``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ._api_errors import (
    BY_STATUS,
    ERROR_TYPES,
    AlreadyExistsError,
    AuthenticationError,
    BadRequestError,
    BreakingChangesError,
    ConflictError,
    ForbiddenError,
    InternalError,
    InvalidDataFormatError,
    InvalidIdentifierError,
    InvalidJsonSchemaError,
    InvalidPayloadError,
    InvalidQueryError,
    LimitExceededError,
    MethodNotFoundError,
    NotFoundError,
    OperationTimeoutError,
    PayloadTooLargeError,
    PaymentRequiredError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitedError,
    RateLimitError,
    ReferenceConstraintError,
    ReferenceNotFoundError,
    RelationConflictError,
    ResourceGoneError,
    ResourceLockedConflictError,
    ResourceNotFoundError,
    RuntimeFailureError,
    ServerError,
    UnauthorizedError,
    UnknownError,
    UnsupportedMediaTypeError,
)
from ._error_base import APIError, BotpressError, _RetryContext

__all__ = [
    "BY_STATUS",
    "ERROR_TYPES",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "AuthenticationError",
    "BadRequestError",
    "BotpressError",
    "BreakingChangesError",
    "BulkCancelled",
    "BulkError",
    "ClientPicklingError",
    "ClientStateError",
    "ArgumentTypeError",
    "ConfigurationError",
    "ConflictError",
    "CoordinatorError",
    "DownloadError",
    "ForbiddenError",
    "InternalError",
    "InvalidDataFormatError",
    "InvalidIdentifierError",
    "InvalidItemError",
    "InvalidJsonSchemaError",
    "InvalidPayloadError",
    "InvalidQueryError",
    "LimitExceededError",
    "LoopStoppedError",
    "LoopThreadError",
    "MalformedFieldError",
    "MethodNotFoundError",
    "NotFoundError",
    "OperationTimeoutError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimitedError",
    "ReferenceConstraintError",
    "ReferenceNotFoundError",
    "RelationConflictError",
    "ResourceGoneError",
    "ResourceLockedConflictError",
    "ResourceNotFoundError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RowsError",
    "RuntimeFailureError",
    "ScopeError",
    "ServerError",
    "TokenSourceError",
    "UnauthorizedError",
    "UnknownError",
    "UnsupportedMediaTypeError",
    "UploadError",
    "error_class_for",
    "failure_summary",
    "install_hint",
]


class ConfigurationError(BotpressError, ValueError):
    """A client setting or call argument is missing or invalid; nothing was sent.

    The message says what is wrong and how a Python caller fixes it; the fields say the same
    in parts, for tools that tell the fix in their own terms (the command line names its
    options and environment variables instead of Python arguments).

    Args:
        problem: what is wrong.
        fix: how to put it right from Python, appended to the message after ``"; "``.
        argument: the client or call argument that is missing or wrong.
        env_var: the environment variable that can set it instead.
        header: the HTTP header the setting is sent as.

    Attributes:
        problem: what is wrong, without the Python advice.
        fix: the Python advice, or ``None``.
        argument: the argument concerned, or ``None``.
        env_var: the environment variable that can set it, or ``None``.
        header: the HTTP header concerned, or ``None``.
    """

    def __init__(
        self,
        problem: str,
        *,
        fix: str | None = None,
        argument: str | None = None,
        env_var: str | None = None,
        header: str | None = None,
    ) -> None:
        super().__init__(f"{problem}; {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix
        self.argument = argument
        self.env_var = env_var
        self.header = header

    def __reduce__(self) -> tuple[Any, ...]:
        # The fields are keyword-only (and subclasses take other arguments): rebuild the
        # error bare and restore its attributes, so a pickled error keeps its parts.
        return (_bare_error, (type(self), self.args), self.__dict__)


def _bare_error(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    return error


class ArgumentTypeError(ConfigurationError, TypeError):
    """A call argument is of a type the SDK cannot take; nothing was sent.

    It is also a `TypeError`, so code written against Python's own convention for a wrongly
    typed argument keeps working, while ``except BotpressError`` catches it too.
    """


class InvalidItemError(ConfigurationError):
    """One item of a bulk job cannot be sent as it is; it was not sent.

    Unlike other configuration errors, which stop a job at once because every item would meet
    them, this one concerns its own item only: the job reports it among the failed items and
    goes on with the others.
    """


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "an Integration Access Key", "a Bot Access Key"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


class ScopeError(ConfigurationError, PermissionError):
    """The client's token kind cannot reach the API of the request; nothing was sent.

    Attributes:
        api: the API the request belongs to.
        token_kind: the kind of the client's token.
        reachable: the APIs that kind of token reaches.
        accepted: the token kinds that do reach ``api``.
    """

    def __init__(
        self,
        api: str,
        token_kind: str,
        reachable: tuple[str, ...],
        accepted: tuple[str, ...] = (),
    ) -> None:
        self.api = api
        self.token_kind = token_kind
        self.reachable = reachable
        self.accepted = accepted
        takes = " or ".join(_a(kind) for kind in accepted) or "another kind of token"
        super().__init__(
            f"{_a(token_kind)} cannot call the {api} API (it reaches only "
            f"{', '.join(reachable)}); the {api} API takes {takes}: make a client with "
            f"such a token for these calls"
        )


class ClientStateError(BotpressError):
    """The client cannot be used now: it is closed, or it belongs to another event loop."""


class LoopThreadError(BotpressError, RuntimeError):
    """A blocking call would wait for the event loop it runs on, which can never happen.

    Raised when blocking code runs on the blocking client's own loop, or when a blocking
    client calls a server (the emulator, say) served by the loop its caller blocks.
    """


class LoopStoppedError(BotpressError, RuntimeError):
    """The blocking client's event loop was shut down (interpreter exit) before the call ended."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "the SDK's event loop was shut down before the call finished")


class APIConnectionError(_RetryContext, BotpressError):
    """No usable response arrived: the connection failed, was reset or the body was cut short.

    Attributes:
        method: the HTTP method of the request.
        path: the request path (without query string).
        sent: whether the request may have reached the server.
        attempts: the attempts made; ``elapsed`` the seconds they took.
        not_retried: why no further attempt was made, when it was not the retry count.
    """

    def __init__(
        self, message: str, *, method: str = "", path: str = "", sent: bool = True
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.sent = sent

    def __str__(self) -> str:
        return super().__str__() + self.retry_context()


class APITimeoutError(APIConnectionError, TimeoutError):
    """A connect, per-attempt (read) or total time limit passed before the response was complete.

    Attributes:
        limit: which limit fired: ``"connect"``, ``"read"`` or ``"total"`` (``None`` if unknown).
        seconds: that limit's value in seconds.
    """

    limit: str | None = None
    seconds: float | None = None


class ResponseTooLargeError(BotpressError):
    """The response body was larger than the client's ``max_response_size``."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ResponseDecodeError(BotpressError, ValueError):
    """A success body does not have the shape the API documents (a required field is missing)."""


class UploadError(BotpressError):
    """The file's record was made but its bytes did not reach storage.

    Uploading again with the same key replaces the record; nothing needs cleaning up first.

    Attributes:
        file: the record as ``upsertFile`` returned it (status ``upload_pending``).
        status: the storage's HTTP status, or ``None`` when no response arrived.
        body: the storage's answer, trimmed (often an XML error document).
    """

    def __init__(self, message: str, *, file: Any, status: int | None, body: str = "") -> None:
        super().__init__(message)
        self.file = file
        self.status = status
        self.body = body


class DownloadError(BotpressError):
    """The bytes behind a URL (a file's ``url``, or ``url=`` of an upload) could not be fetched.

    Attributes:
        url: the URL without its query string (a presigned query is a credential).
        status: the HTTP status, or ``None`` when no response arrived.
        body: the answer, trimmed.
    """

    def __init__(self, message: str, *, url: str, status: int | None, body: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body


def failure_summary(errors: Iterable[BaseException]) -> str:
    """``"; first error: X: ...; by type: 3 X, 1 Y"`` for the message of a bulk error.

    Args:
        errors: the failures' exceptions, in input order.
    """
    counts: Counter[str] = Counter()
    first: BaseException | None = None
    for error in errors:
        if first is None:
            first = error
        counts[type(error).__name__] += 1
    if first is None:
        return ""
    by_type = ", ".join(f"{n} {name}" for name, n in counts.most_common())
    return f"; first error: {type(first).__name__}: {first}; by type: {by_type}"


class _JobError(BotpressError):
    """A job's failure: ``result`` holds what happened; ``__cause__`` is the first error."""

    def __init__(self, result: Any, counts: str) -> None:
        self.result = result
        errors = [f.error for f in result.failed]
        reason = getattr(result, "stop_reason", None)
        stop = f"; stopped: {reason}" if reason else ""
        super().__init__(f"{counts}{stop}{failure_summary(errors)}")
        if errors:
            self.__cause__ = errors[0]


class BulkCancelled(BotpressError):
    """Stands for the error of an item whose call was in flight when the job was stopped."""

    sent = True


class BulkError(_JobError):
    """A bulk job did not succeed for every item; ``result`` says what happened to each.

    The message names the first error and counts the errors by type; ``__cause__`` is the
    first item's exception.
    """

    def __init__(self, result: Any) -> None:
        super().__init__(
            result,
            f"bulk job: {result.succeeded_count} succeeded, {len(result.failed)} failed, "
            f"{len(result.not_run)} not run",
        )


class RowsError(_JobError):
    """A bulk row job did not succeed for every row; ``result`` holds the details.

    The message names the first error and counts the failed requests by error type;
    ``__cause__`` is the first failed request's exception.
    """

    def __init__(self, result: Any) -> None:
        super().__init__(
            result,
            f"bulk rows job: {result.succeeded_rows} rows succeeded, "
            f"{len(result.failed_rows)} in {len(result.failed)} failed requests "
            f"({len(result.unknown_rows)} with unknown outcome), {len(result.not_run)} not sent",
        )


def error_class_for(error_type: str | None, status: int) -> type[APIError]:
    """Pick the exception class for an error response.

    Args:
        error_type: the ``type`` field of the error body, if any.
        status: the HTTP status, used when the type is missing or unknown.
    """
    if error_type is not None:
        cls = ERROR_TYPES.get(error_type)
        if cls is not None:
            return cls
    cls = BY_STATUS.get(status)
    if cls is not None:
        return cls
    return ServerError if 500 <= status <= 599 else APIError


def install_hint(extra: str) -> str:
    """How to install an extra, for messages: from a clone, as the package is not on PyPI yet.

    Args:
        extra: the extra's name in pyproject.toml (``"testing"``, ``"progress"`` ...).
    """
    return f"install the {extra!r} extra: python -m pip install '.[{extra}]' in a clone of the SDK"


# ---------------------------------------------------------------------------------------------
# Exceptions of other features: each adds its own clearly delimited block below, deriving
# from the bases above (BotpressError, ConfigurationError, APIError ...).
# ---------------------------------------------------------------------------------------------


# --- Chat API (botpress_async.chat) ---------------------------------------------------------


class ChatStreamError(APIConnectionError):
    """A conversation's signal stream was lost and could not be opened again.

    Raised by a chat listener after its bounded reconnection attempts fail (or at once when
    reconnecting is off). A refused key (401) or conversation (403) raises the API's own
    error instead, since reconnecting cannot fix it.
    """


__all__ += ["ChatStreamError"]


# --- distributed jobs (botpress_async.distributed) ------------------------------------------


class ClientPicklingError(ConfigurationError, TypeError):
    """A client was pickled (into a task graph, a process pool's payload...).

    A client holds a connection pool and its token, so it never travels between processes;
    send a `botpress_async.distributed.ClientSpec` instead and build the client in the worker.
    It is also a ``TypeError``, which is what pickle's callers expect for unpicklable objects.
    """

    # Exported from botpress_async.distributed: tracebacks and pickles name that module.
    __module__ = "botpress_async.distributed"


class TokenSourceError(ConfigurationError):
    """A `ClientSpec`'s token source gave no token in this process; nothing was sent.

    The message names the source (``env:BP_TOKEN``, ``file:/run/secrets/bp``, ...), never a token.
    """

    # Exported from botpress_async.distributed: tracebacks and pickles name that module.
    __module__ = "botpress_async.distributed"


class CoordinatorError(BotpressError):
    """The shared rate coordinator (Redis, Dask) cannot be used: unreachable, or it timed out.

    Raised before the request it was guarding is sent, so the request did not happen.
    """

    # Exported from botpress_async.distributed: tracebacks and pickles name that module.
    __module__ = "botpress_async.distributed"


# --- tables: rows and table jobs ----------------------------------------------------------------

__all__ += ["ColumnNotFoundError", "InvalidRowError", "TableJobError"]


class ColumnNotFoundError(BotpressError, KeyError):
    """A row was read for a column it does not have (``row["sku"]``).

    It is a `KeyError` too, so ``row.get`` and ``Mapping`` code treat it as a missing key.

    Attributes:
        column: the column asked for.
    """

    def __init__(self, column: str, *, system: bool = False) -> None:
        self.column = column
        if system:
            text = (
                f"{column!r} is a field the API sets on every row, not a column: read it as an "
                f"attribute (row.id, row.created_at, row.updated_at, row.computed, ...)"
            )
        else:
            text = f"the row has no column {column!r}"
        super().__init__(text)

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidRowError(InvalidItemError):
    """A row of a bulk job that was not sent because it cannot be: it is reported as failed.

    Attributes:
        index: the row's position in the input.
        column: the column at fault, if one is.
    """

    def __init__(self, message: str, *, index: int, column: str | None = None) -> None:
        self.index = index
        self.column = column
        super().__init__(message)


class TableJobError(BotpressError):
    """A server-side import or export job of a table failed.

    Attributes:
        job: the job's record as the API last returned it (``status``, ``progress`` ...).
        result: for an import, what the run did before the job failed (an ``ImportResult``).
    """

    def __init__(self, message: str, *, job: Mapping[str, Any], result: Any = None) -> None:
        self.job = dict(job)
        self.result = result
        super().__init__(message)


# --- Decoding (performance and strict mode) -------------------------------------------------


class MalformedFieldError(ResponseDecodeError, AttributeError):
    """A field of a decoded model cannot be read: the server sent it missing or in another shape.

    Models decode leniently, so the rest of the model stays readable; this error is raised by
    the read of the one bad field. It is also an ``AttributeError``, so ``hasattr`` answers
    ``False`` and ``getattr(model, name, default)`` gives the default. Decode with
    ``strict_decoding()`` to get such errors at the call instead.
    """
