"""Emit ``botpress_async/_api_errors.py``: one class per API error type, under status bases.

The types and their statuses come from ``errors.json`` (vendored with the documents). Each
type class derives from the base of its status (``NotFoundError`` for 404 ...), so callers
can catch a whole status whatever the type. The texts below are the SDK's own.
"""

from __future__ import annotations

import builtins
from pathlib import Path

from botpress_async import _openapi
from codegen.ir import Api
from codegen.writer import header

__all__ = ["STATUS_BASES", "class_name", "emit", "emit_errors_module", "load_errors"]

#: Status base classes: name, the statuses it stands for, docstring.
STATUS_BASES: tuple[tuple[str, tuple[int, ...], str], ...] = (
    ("BadRequestError", (400,), "The API found the request invalid (400), whatever the type."),
    ("AuthenticationError", (401,), "The API did not accept the token (401), whatever the type."),
    (
        "PermissionDeniedError",
        (403,),
        "The token may not do this, or a quota forbids it (403), whatever the type.",
    ),
    ("NotFoundError", (404,), "What the request names does not exist (404), whatever the type."),
    (
        "ConflictError",
        (409,),
        "The request conflicts with the current state (409), whatever the type.",
    ),
    ("RateLimitError", (429,), "The API asks the client to slow down (429), whatever the type."),
    (
        "ServerError",
        tuple(range(500, 600)),
        "The API failed on its side (5xx), whatever the type; often worth a later retry.",
    ),
)

# Our one-line description of each error type (the API documents carry none).
_DESCRIPTIONS: dict[str, str] = {
    "Unknown": "The API reported an unknown error",
    "Internal": "The API reported an internal error",
    "Unauthorized": "The token is missing, malformed, revoked or unknown",
    "Forbidden": "The token may not perform this action on this resource",
    "PayloadTooLarge": "The request body is too large",
    "InvalidPayload": "The request's parameters or body are invalid",
    "UnsupportedMediaType": "The request's content type is not supported",
    "MethodNotFound": "The route or method does not exist",
    "ResourceNotFound": "The resource does not exist",
    "InvalidJsonSchema": "A JSON schema in the request is invalid",
    "InvalidDataFormat": "Data in the request does not match its JSON schema",
    "InvalidIdentifier": "An identifier in the request is not valid",
    "RelationConflict": "The change conflicts with a relation between resources",
    "ReferenceConstraint": "The change would break a reference held by another resource",
    "ResourceLockedConflict": "The resource is locked by another operation",
    "ResourceGone": "The resource existed but is gone",
    "ReferenceNotFound": "A resource referenced by the request does not exist",
    "InvalidQuery": "The query (a table filter, say) is invalid",
    "Runtime": "The bot or integration runtime failed while handling the request",
    "AlreadyExists": "A resource with the same identity already exists",
    "RateLimited": "Too many requests",
    "PaymentRequired": "The workspace's plan does not allow the action",
    "QuotaExceeded": "A usage quota of the workspace is exhausted",
    "LimitExceeded": "A size or count limit was exceeded",
    "BreakingChanges": "The change would break existing users of the resource",
    "OperationTimeout": "The server gave up on the operation before it finished",
}

# When an error body names no known type and several types share its status, the class
# a bare status maps to (the most common meaning of that status).
_STATUS_DEFAULT_TYPE: dict[int, str] = {403: "Forbidden", 500: "Internal"}


def load_errors() -> list[tuple[str, int]]:
    """The (type, status) pairs of ``errors.json``, in document order."""
    return list(_openapi.error_types())


def class_name(error_type: str) -> str:
    """``ResourceNotFound`` → ``ResourceNotFoundError``; never the name of a builtin."""
    name = f"{error_type}Error"
    if hasattr(builtins, name):
        # ``RuntimeError`` would shadow Python's own in any star import.
        name = f"{error_type}FailureError"
    return name


def _base_of(status: int) -> str:
    for name, statuses, _ in STATUS_BASES:
        if status in statuses:
            return name
    return "APIError"


def emit_errors_module(apis: tuple[Api, ...], errors: list[tuple[str, int]]) -> str:
    """The error classes module."""
    names = [name for name, _, _ in STATUS_BASES] + [class_name(t) for t, _ in errors]
    lines = [
        header(apis),
        '"""The API\'s error types as exceptions, under one base per status.',
        "",
        "Built on `APIError` of ``botpress_async._error_base`` and exported from",
        "``botpress_async._errors`` with every exception of the SDK; import them from",
        "``botpress_async``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "from botpress_async._error_base import APIError",
        "",
        "__all__ = [",
        *[f"    {n!r}," for n in sorted([*names, "BY_STATUS", "ERROR_TYPES"])],
        "]",
        "",
    ]
    for name, statuses, doc in STATUS_BASES:
        shown = repr(statuses)
        if len(statuses) > 4:
            shown = f"tuple(range({statuses[0]}, {statuses[-1] + 1}))"
        lines += [
            "",
            f"class {name}(APIError):",
            f'    """{doc}"""',
            "",
            "    #: The HTTP statuses this class stands for.",
            f"    statuses: tuple[int, ...] = {shown}",
            "",
        ]
    for error_type, status in errors:
        description = _DESCRIPTIONS.get(error_type, f"The API's {error_type} error")
        lines += [
            "",
            f"class {class_name(error_type)}({_base_of(status)}):",
            f'    """{description} ({status}).',
            "",
            f"    The class of the API's ``{error_type}`` error type.",
            '    """',
            "",
            f"    error_type = {error_type!r}",
            "",
        ]
    lines += [
        "",
        "#: API error type → exception class, for every type the API documents.",
        "ERROR_TYPES: Final[dict[str, type[APIError]]] = {",
        *[f"    {t!r}: {class_name(t)}," for t, _ in errors],
        "}",
        "",
    ]
    by_status: dict[int, list[str]] = {}
    for error_type, status in errors:
        by_status.setdefault(status, []).append(error_type)
    fallback: dict[int, str] = {}
    for status, types in sorted(by_status.items()):
        if len(types) == 1:
            fallback[status] = class_name(types[0])
        elif status in _STATUS_DEFAULT_TYPE:
            fallback[status] = class_name(_STATUS_DEFAULT_TYPE[status])
        else:
            fallback[status] = _base_of(status)
    for name, statuses, _ in STATUS_BASES:
        if len(statuses) == 1:
            fallback.setdefault(statuses[0], name)
    lines += [
        "#: Status → the class of an error whose body names no known type",
        "#: (5xx statuses missing here are `ServerError`, others `APIError`).",
        "BY_STATUS: Final[dict[int, type[APIError]]] = {",
        *[f"    {s}: {c}," for s, c in sorted(fallback.items())],
        "}",
    ]
    return "\n".join(lines) + "\n"


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The error classes."""
    text = emit_errors_module(apis, load_errors())
    return {root / "botpress_async" / "_api_errors.py": text}
