"""Asynchronous Python client for the Botpress Cloud API.

Start with `AsyncClient`; blocking code uses ``botpress_sync.Client``, which has the same
methods. Models live in ``botpress_async.models``, the local emulator in
``botpress_async.testing``.
"""

from ._auth import TokenKind
from ._bulk import (
    BulkCancelled,
    BulkError,
    BulkProgress,
    BulkResult,
    CancelToken,
    ItemFailure,
    run_bulk,
)
from ._client import AsyncClient
from ._download import FileRecord
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
    MalformedFieldError,
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
    ResponseDecodeError,
    ResponseTooLargeError,
    RuntimeError,
    ScopeError,
    UnauthorizedError,
    UnknownError,
    UnsupportedMediaTypeError,
)
from ._retry import RetryBudget
from ._rows import RowsError, RowsFailure, RowsMessages, RowsResult
from ._session import ClientStateError
from ._storage import DownloadError, UploadError
from ._strict import strict_decoding
from ._types import NOT_GIVEN, NotGiven, RequestOptions, Timeout
from ._upload import FileContent, UploadItem
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "AsyncClient",
    "BotpressError",
    "BreakingChangesError",
    "BulkCancelled",
    "BulkError",
    "BulkProgress",
    "BulkResult",
    "CancelToken",
    "ClientStateError",
    "ConfigurationError",
    "DownloadError",
    "FileContent",
    "FileRecord",
    "ForbiddenError",
    "InternalError",
    "InvalidDataFormatError",
    "InvalidIdentifierError",
    "InvalidJsonSchemaError",
    "InvalidPayloadError",
    "InvalidQueryError",
    "ItemFailure",
    "LimitExceededError",
    "MalformedFieldError",
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
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryBudget",
    "RowsError",
    "RowsFailure",
    "RowsMessages",
    "RowsResult",
    "RuntimeError",
    "ScopeError",
    "Timeout",
    "TokenKind",
    "UnauthorizedError",
    "UnknownError",
    "UnsupportedMediaTypeError",
    "UploadError",
    "UploadItem",
    "__version__",
    "run_bulk",
    "strict_decoding",
]
