"""Asynchronous Python client for the Botpress Cloud API.

Start with `AsyncClient`; blocking code uses ``botpress_sync.Client``, which has the same
methods. Models live in ``botpress_async.models``, the local emulator in
``botpress_async.testing``.
"""

from ._auth import TokenKind
from ._bulk import run_bulk
from ._bulk_options import (
    BulkOptions,
    JobOptions,
    ProgressOptions,
    RequestJobOptions,
    RunBulkOptions,
)
from ._bulk_results import BulkProgress, BulkResult, CancelToken, ItemFailure
from ._client import AsyncClient
from ._download import FileRecord
from ._errors import (
    AlreadyExistsError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    ArgumentTypeError,
    AuthenticationError,
    BadRequestError,
    BotpressError,
    BreakingChangesError,
    BulkCancelled,
    BulkError,
    ChatStreamError,
    ClientStateError,
    ColumnNotFoundError,
    ConfigurationError,
    ConflictError,
    DownloadError,
    ForbiddenError,
    InternalError,
    InvalidDataFormatError,
    InvalidIdentifierError,
    InvalidItemError,
    InvalidJsonSchemaError,
    InvalidPayloadError,
    InvalidQueryError,
    InvalidRowError,
    LimitExceededError,
    LoopStoppedError,
    LoopThreadError,
    MalformedFieldError,
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
    ResponseDecodeError,
    ResponseTooLargeError,
    RowsError,
    RuntimeFailureError,
    ScopeError,
    ServerError,
    TableJobError,
    UnauthorizedError,
    UnknownError,
    UnsupportedMediaTypeError,
    UploadError,
)
from ._retry import RetryBudget
from ._row import Row
from ._rows import RowsFailure, RowsMessages, RowsResult
from ._strict import strict_decoding
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
    "ArgumentTypeError",
    "AsyncClient",
    "AsyncTableHandle",
    "AuthenticationError",
    "BadRequestError",
    "BotpressError",
    "BreakingChangesError",
    "BulkCancelled",
    "BulkError",
    "BulkOptions",
    "BulkProgress",
    "BulkResult",
    "CancelToken",
    "ChatStreamError",
    "ClientStateError",
    "ColumnNotFoundError",
    "ConfigurationError",
    "ConflictError",
    "DownloadError",
    "FileContent",
    "FileRecord",
    "ForbiddenError",
    "ImportResult",
    "InternalError",
    "InvalidDataFormatError",
    "InvalidIdentifierError",
    "InvalidItemError",
    "InvalidJsonSchemaError",
    "InvalidPayloadError",
    "InvalidQueryError",
    "InvalidRowError",
    "ItemFailure",
    "JobOptions",
    "LimitExceededError",
    "LoopStoppedError",
    "LoopThreadError",
    "MalformedFieldError",
    "MethodNotFoundError",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "OperationTimeoutError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProgressOptions",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimitedError",
    "ReferenceConstraintError",
    "ReferenceNotFoundError",
    "RelationConflictError",
    "RequestJobOptions",
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
    "RunBulkOptions",
    "RuntimeFailureError",
    "ScopeError",
    "ServerError",
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
    "strict_decoding",
]

# Tracebacks and reprs name the public path (botpress_async.NotFoundError), not the private
# module a class is defined in; pickling finds each class there too.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and issubclass(_obj, BaseException):
        _obj.__module__ = __name__
del _name, _obj
