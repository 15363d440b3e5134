"""Asynchronous Python client for the Botpress Cloud API.

Start with `AsyncClient`; blocking code uses ``botpress_sync.Client``, which has the same
methods. Models live in ``botpress_async.models``, the local emulator in
``botpress_async.testing``.
"""

from ._auth import TokenKind
from ._client import AsyncClient
from ._errors import (
    AlreadyExistsError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    BotpressError,
    BreakingChangesError,
    ConfigurationError,
    ForbiddenError,
    InternalError,
    InvalidDataFormatError,
    InvalidIdentifierError,
    InvalidJsonSchemaError,
    InvalidPayloadError,
    InvalidQueryError,
    LimitExceededError,
    MethodNotFoundError,
    OperationTimeoutError,
    PayloadTooLargeError,
    PaymentRequiredError,
    QuotaExceededError,
    RateLimitedError,
    ReferenceConstraintError,
    ReferenceNotFoundError,
    RelationConflictError,
    ResourceGoneError,
    ResourceLockedConflictError,
    ResourceNotFoundError,
    ResponseTooLargeError,
    RuntimeError,
    ScopeError,
    UnauthorizedError,
    UnknownError,
    UnsupportedMediaTypeError,
)
from ._retry import RetryBudget
from ._session import ClientStateError
from ._types import NOT_GIVEN, NotGiven, RequestOptions, Timeout
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "AsyncClient",
    "BotpressError",
    "BreakingChangesError",
    "ClientStateError",
    "ConfigurationError",
    "ForbiddenError",
    "InternalError",
    "InvalidDataFormatError",
    "InvalidIdentifierError",
    "InvalidJsonSchemaError",
    "InvalidPayloadError",
    "InvalidQueryError",
    "LimitExceededError",
    "MethodNotFoundError",
    "NOT_GIVEN",
    "NotGiven",
    "OperationTimeoutError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "QuotaExceededError",
    "RateLimitedError",
    "ReferenceConstraintError",
    "ReferenceNotFoundError",
    "RelationConflictError",
    "RequestOptions",
    "ResourceGoneError",
    "ResourceLockedConflictError",
    "ResourceNotFoundError",
    "ResponseTooLargeError",
    "RetryBudget",
    "RuntimeError",
    "ScopeError",
    "Timeout",
    "TokenKind",
    "UnauthorizedError",
    "UnknownError",
    "UnsupportedMediaTypeError",
    "__version__",
]
