"""Every exception the SDK raises.

::

    BotpressError
    ├── ConfigurationError (ValueError)    bad client or call arguments, caught before sending
    │   └── ScopeError (PermissionError)   the token kind cannot reach the API asked for
    ├── APIConnectionError                 no usable response: refused, reset, DNS, TLS, truncated
    │   └── APITimeoutError (TimeoutError) a connect, read or overall deadline passed
    ├── ResponseTooLargeError              the body was over the client's size cap
    ├── ResponseDecodeError (ValueError)   a success body lacks what the documents promise
    └── APIError                           the API answered with an error status
        ├── InvalidPayloadError, ResourceNotFoundError, RateLimitedError, ...
        └── (one subclass per error type of the API, named ``<Type>Error``)

No exception of aiohttp, cattrs or json escapes the SDK; they are chained as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ERROR_TYPES",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "BotpressError",
    "BreakingChangesError",
    "ConfigurationError",
    "ForbiddenError",
    "InternalError",
    "InvalidDataFormatError",
    "InvalidIdentifierError",
    "InvalidJsonSchemaError",
    "InvalidPayloadError",
    "InvalidQueryError",
    "LimitExceededError",
    "MalformedFieldError",
    "MethodNotFoundError",
    "OperationTimeoutError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "QuotaExceededError",
    "RateLimitedError",
    "ReferenceConstraintError",
    "ReferenceNotFoundError",
    "RelationConflictError",
    "ResourceGoneError",
    "ResourceLockedConflictError",
    "ResourceNotFoundError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RuntimeError",
    "ScopeError",
    "UnauthorizedError",
    "UnknownError",
    "UnsupportedMediaTypeError",
    "error_class_for",
]

_RAW_TEXT_LIMIT = 2000


class BotpressError(Exception):
    """Base class of every exception raised by the SDK."""


class ConfigurationError(BotpressError, ValueError):
    """A client setting or call argument is missing or invalid; nothing was sent."""


class ScopeError(ConfigurationError, PermissionError):
    """The client's token kind cannot reach the API of the request; nothing was sent.

    Attributes:
        api: the API the request belongs to.
        token_kind: the kind of the client's token.
        reachable: the APIs that kind of token reaches.
    """

    def __init__(self, api: str, token_kind: str, reachable: tuple[str, ...]) -> None:
        self.api = api
        self.token_kind = token_kind
        self.reachable = reachable
        super().__init__(
            f"the client's token ({token_kind}) cannot call the {api} API: it reaches only "
            f"{', '.join(reachable)}. Use a Personal Access Token (token_kind='pat') for the "
            f"{api} API, or pass token_kind= if the kind was detected wrongly."
        )


class APIConnectionError(BotpressError):
    """No usable response arrived: the connection failed, was reset or the body was cut short.

    Attributes:
        method: the HTTP method of the request.
        path: the request path (without query string).
        sent: whether the request may have reached the server.
    """

    def __init__(
        self, message: str, *, method: str = "", path: str = "", sent: bool = True
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.sent = sent


class APITimeoutError(APIConnectionError, TimeoutError):
    """A connect, per-attempt or overall deadline passed before the response was complete."""


class ResponseTooLargeError(BotpressError):
    """The response body was larger than the client's ``max_response_size``."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ResponseDecodeError(BotpressError, ValueError):
    """A success body does not have the shape the API documents (a required field is missing)."""


class APIError(BotpressError):
    """The API answered with an error status.

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
    """

    #: The API error type this class stands for; ``None`` on the base class.
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
        return f"{kind} ({self.status}){where}: {self.message}{ident}"

    def __reduce__(self) -> Any:
        # Exceptions with keyword-only constructors do not pickle by default; process pools need it.
        return (_rebuild_api_error, (type(self), self.message, self.__dict__))


def _rebuild_api_error(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class UnknownError(APIError):
    """The API reported an unknown error (500)."""

    error_type = "Unknown"


class InternalError(APIError):
    """The API reported an internal error (500)."""

    error_type = "Internal"


class UnauthorizedError(APIError):
    """The token is missing, malformed, revoked or unknown (401)."""

    error_type = "Unauthorized"


class ForbiddenError(APIError):
    """The token may not perform this action on this resource (403)."""

    error_type = "Forbidden"


class PayloadTooLargeError(APIError):
    """The request body is too large (413)."""

    error_type = "PayloadTooLarge"


class InvalidPayloadError(APIError):
    """The request's parameters or body are invalid (400)."""

    error_type = "InvalidPayload"


class UnsupportedMediaTypeError(APIError):
    """The request's content type is not supported (415)."""

    error_type = "UnsupportedMediaType"


class MethodNotFoundError(APIError):
    """The route or method does not exist (405)."""

    error_type = "MethodNotFound"


class ResourceNotFoundError(APIError):
    """The resource does not exist (404)."""

    error_type = "ResourceNotFound"


class InvalidJsonSchemaError(APIError):
    """A JSON schema in the request is invalid (400)."""

    error_type = "InvalidJsonSchema"


class InvalidDataFormatError(APIError):
    """Data in the request does not match its JSON schema (400)."""

    error_type = "InvalidDataFormat"


class InvalidIdentifierError(APIError):
    """An identifier in the request is not valid (400)."""

    error_type = "InvalidIdentifier"


class RelationConflictError(APIError):
    """The change conflicts with a relation between resources (409)."""

    error_type = "RelationConflict"


class ReferenceConstraintError(APIError):
    """The change would break a reference held by another resource (409)."""

    error_type = "ReferenceConstraint"


class ResourceLockedConflictError(APIError):
    """The resource is locked by another operation (409)."""

    error_type = "ResourceLockedConflict"


class ResourceGoneError(APIError):
    """The resource existed but is gone (410)."""

    error_type = "ResourceGone"


class ReferenceNotFoundError(APIError):
    """A resource referenced by the request does not exist (400)."""

    error_type = "ReferenceNotFound"


class InvalidQueryError(APIError):
    """The query (a table filter, say) is invalid (400)."""

    error_type = "InvalidQuery"


class RuntimeError(APIError):
    """The bot or integration runtime failed while handling the request (400).

    Not a subclass of the builtin ``RuntimeError``; import it qualified
    (``botpress_async.RuntimeError``) so the builtin stays visible in your module.
    """

    error_type = "Runtime"


class AlreadyExistsError(APIError):
    """A resource with the same identity already exists (409)."""

    error_type = "AlreadyExists"


class RateLimitedError(APIError):
    """Too many requests (429).

    Attributes:
        retry_after: seconds the server asked to wait, when it sent ``Retry-After``.
    """

    error_type = "RateLimited"


class PaymentRequiredError(APIError):
    """The workspace's plan does not allow the action (402)."""

    error_type = "PaymentRequired"


class QuotaExceededError(APIError):
    """A usage quota of the workspace is exhausted (403)."""

    error_type = "QuotaExceeded"


class LimitExceededError(APIError):
    """A size or count limit was exceeded (413)."""

    error_type = "LimitExceeded"


class BreakingChangesError(APIError):
    """The change would break existing users of the resource (400)."""

    error_type = "BreakingChanges"


class OperationTimeoutError(APIError):
    """The server gave up on the operation before it finished (504)."""

    error_type = "OperationTimeout"


#: API error type → exception class, for all 26 types the API documents.
ERROR_TYPES: dict[str, type[APIError]] = {
    str(cls.error_type): cls
    for cls in (
        UnknownError,
        InternalError,
        UnauthorizedError,
        ForbiddenError,
        PayloadTooLargeError,
        InvalidPayloadError,
        UnsupportedMediaTypeError,
        MethodNotFoundError,
        ResourceNotFoundError,
        InvalidJsonSchemaError,
        InvalidDataFormatError,
        InvalidIdentifierError,
        RelationConflictError,
        ReferenceConstraintError,
        ResourceLockedConflictError,
        ResourceGoneError,
        ReferenceNotFoundError,
        InvalidQueryError,
        RuntimeError,
        AlreadyExistsError,
        RateLimitedError,
        PaymentRequiredError,
        QuotaExceededError,
        LimitExceededError,
        BreakingChangesError,
        OperationTimeoutError,
    )
}

# When the body names no known type, the status still says what kind of failure it was.
_BY_STATUS: dict[int, type[APIError]] = {
    401: UnauthorizedError,
    402: PaymentRequiredError,
    403: ForbiddenError,
    404: ResourceNotFoundError,
    405: MethodNotFoundError,
    410: ResourceGoneError,
    415: UnsupportedMediaTypeError,
    429: RateLimitedError,
    500: InternalError,
    504: OperationTimeoutError,
}


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
    return _BY_STATUS.get(status, APIError)


# --- Decoding (performance and strict mode) -------------------------------------------------


class MalformedFieldError(ResponseDecodeError, AttributeError):
    """A field of a decoded model cannot be read: the server sent it missing or in another shape.

    Models decode leniently, so the rest of the model stays readable; this error is raised by
    the read of the one bad field. It is also an ``AttributeError``, so ``hasattr`` answers
    ``False`` and ``getattr(model, name, default)`` gives the default. Decode with
    ``strict_decoding()`` to get such errors at the call instead.
    """
