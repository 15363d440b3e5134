"""The emulator's view of the vendored OpenAPI documents: operations with JSON Schemas, and routes.

The documents are read by `botpress_async._openapi`, which the generator uses too; here each
operation's schemas become plain JSON Schema (draft 7, every ``$ref`` inlined, ``nullable``
folded into ``type``), so the validator and the value synthesizer never see OpenAPI dialect.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from botpress_async import _openapi
from botpress_async._openapi import API_NAMES, Document, OperationDoc, ParameterDoc

__all__ = ["Operation", "Router", "error_types", "load_operations"]

_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


# One query, path or header parameter, its schema in JSON Schema form.
Param = ParameterDoc


@dataclass(frozen=True)
class Operation:
    """One operation of one API document, with its schemas already in JSON Schema form."""

    operation_id: str
    api: str
    method: str
    template: str
    segments: tuple[str, ...]
    params: tuple[Param, ...]
    body_schema: dict[str, Any] | None
    body_required: bool
    status: int
    response_schema: dict[str, Any]
    required_headers: tuple[str, ...] = field(default=())

    @property
    def query_params(self) -> tuple[Param, ...]:
        """The operation's query parameters."""
        return tuple(p for p in self.params if p.location == "query")

    @property
    def path_params(self) -> tuple[Param, ...]:
        """The operation's path parameters."""
        return tuple(p for p in self.params if p.location == "path")

    @property
    def header_params(self) -> tuple[Param, ...]:
        """The operation's header parameters."""
        return tuple(p for p in self.params if p.location == "header")


def _operation(doc: OperationDoc, document: Document) -> Operation:
    params = tuple(
        Param(
            # Header names compare lower case, as aiohttp hands them over.
            name=p.name.lower() if p.location == "header" else p.name,
            location=p.location,
            required=p.required,
            schema=document.json_schema(p.schema),
        )
        for p in doc.parameters
    )
    return Operation(
        operation_id=doc.operation_id,
        api=doc.api,
        method=doc.method,
        template=doc.path,
        segments=tuple(doc.path.strip("/").split("/")),
        params=params,
        body_schema=None if doc.body is None else document.json_schema(doc.body),
        body_required=doc.body_required,
        status=doc.status,
        response_schema=document.json_schema(doc.response),
        required_headers=tuple(p.name for p in params if p.location == "header" and p.required),
    )


@functools.cache
def load_operations() -> tuple[Operation, ...]:
    """Every operation of the five vendored documents, in document order."""
    operations: list[Operation] = []
    for api in API_NAMES:
        document = _openapi.document(api)
        # Within a path, GET first and then the writes, the order the coverage page lists.
        paths = {path: n for n, path in enumerate(document.data["paths"])}
        ordered = sorted(
            document.operations(), key=lambda op: (paths[op.path], _METHOD_ORDER.index(op.method))
        )
        operations.extend(_operation(op, document) for op in ordered)
    return tuple(operations)


@functools.cache
def error_types() -> dict[str, int]:
    """The API's error types and their HTTP status, from the vendored errors.json."""
    return dict(_openapi.error_types())


def _specificity(segments: tuple[str, ...]) -> tuple[int, ...]:
    # A literal segment beats a parameter at the same depth: /files/tags before /files/{id}.
    return tuple(1 if seg.startswith("{") else 0 for seg in segments)


class Router:
    """Matches a method and a raw path to an operation and its decoded path parameters."""

    def __init__(self, operations: tuple[Operation, ...]) -> None:
        # Every template starts with two literal segments (/v1/chat, /v1/admin, /v2/billing...),
        # so they narrow the candidates before any segment-by-segment comparison.
        table: dict[tuple[str, int, str, str], list[Operation]] = {}
        for op in operations:
            key = (op.method, len(op.segments), op.segments[0], op.segments[1])
            table.setdefault(key, []).append(op)
        self._table = {
            key: sorted(ops, key=lambda op: _specificity(op.segments)) for key, ops in table.items()
        }
        self._lengths: dict[int, set[str]] = {}
        for method, length, _, _ in self._table:
            self._lengths.setdefault(length, set()).add(method)

    def match(self, method: str, segments: list[str]) -> tuple[Operation, dict[str, str]] | None:
        """The operation for ``method`` and already-decoded path ``segments``, or ``None``."""
        if len(segments) < 2:
            return None
        candidates = self._table.get((method, len(segments), segments[0], segments[1]))
        if not candidates:
            return None
        for op in candidates:
            params: dict[str, str] = {}
            for pattern, actual in zip(op.segments, segments, strict=True):
                if pattern[0] == "{":
                    if not actual:
                        break
                    params[pattern[1:-1]] = actual
                elif pattern != actual:
                    break
            else:
                return op, params
        return None

    def allowed_methods(self, segments: list[str]) -> list[str]:
        """Methods that some operation serves at this path (for a 405 answer)."""
        return sorted(
            method
            for method in self._lengths.get(len(segments), set())
            if self.match(method, segments) is not None
        )
