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
    ColumnNotFoundError,
    ConfigurationError,
    ForbiddenError,
    InternalError,
    InvalidDataFormatError,
    InvalidIdentifierError,
    InvalidJsonSchemaError,
    InvalidPayloadError,
    InvalidQueryError,
    InvalidRowError,
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
    ResponseDecodeError,
    ResponseTooLargeError,
    RuntimeError,
    ScopeError,
    TableJobError,
    UnauthorizedError,
    UnknownError,
    UnsupportedMediaTypeError,
)
from ._retry import RetryBudget
from ._row import Row
from ._rows import RowsError, RowsFailure, RowsMessages, RowsResult
from ._session import ClientStateError
from ._storage import DownloadError, UploadError
from ._table_handle import AsyncTableHandle
from ._table_jobs import ImportResult
from ._types import NOT_GIVEN, NotGiven, RequestOptions, Timeout
from ._upload import FileContent, UploadItem
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyExistsError",
    "AsyncClient",
    "AsyncTableHandle",
    "BotpressError",
    "BreakingChangesError",
    "BulkCancelled",
    "BulkError",
    "BulkProgress",
    "BulkResult",
    "CancelToken",
    "ClientStateError",
    "ColumnNotFoundError",
    "ConfigurationError",
    "DownloadError",
    "FileContent",
    "FileRecord",
    "ForbiddenError",
    "ImportResult",
    "InternalError",
    "InvalidDataFormatError",
    "InvalidIdentifierError",
    "InvalidJsonSchemaError",
    "InvalidPayloadError",
    "InvalidQueryError",
    "InvalidRowError",
    "ItemFailure",
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
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryBudget",
    "Row",
    "RowsError",
    "RowsFailure",
    "RowsMessages",
    "RowsResult",
    "RuntimeError",
    "ScopeError",
    "TableJobError",
    "Timeout",
    "TokenKind",
    "UnauthorizedError",
    "UnknownError",
    "UnsupportedMediaTypeError",
    "UploadError",
    "UploadItem",
    "__version__",
    "run_bulk",
]
