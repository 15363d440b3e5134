"""The vendored OpenAPI documents, read once: operations, routes and JSON Schemas.

OpenAPI 3.0 schemas are turned into plain JSON Schema (draft 7) here, with every ``$ref`` inlined
and ``nullable`` folded into ``type``, so the validator and the value synthesizer never see
OpenAPI dialect.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

__all__ = [
    "APIS",
    "Operation",
    "Router",
    "load_operations",
    "to_json_schema",
]

APIS: Final = ("runtime", "files", "tables", "admin", "billing")
_METHODS: Final = ("get", "post", "put", "patch", "delete")
# Keys that carry prose or tooling hints; a validator has no use for them.
_DROPPED: Final = frozenset(
    {"nullable", "deprecated", "x-hidden", "title", "description", "example", "discriminator"}
)


@dataclass(frozen=True)
class Param:
    """One query, path or header parameter of an operation."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]


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


def _resolve(ref: str, document: Mapping[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def to_json_schema(
    node: Any, document: Mapping[str, Any], _seen: frozenset[str] = frozenset()
) -> Any:
    """Turn an OpenAPI 3.0 schema into a self-contained draft 7 JSON Schema.

    Args:
        node: the schema (or any value inside one).
        document: the OpenAPI document that ``$ref`` pointers resolve against.
    """
    if isinstance(node, list):
        return [to_json_schema(item, document, _seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in _seen:
            raise ValueError(f"recursive schema reference {ref!r} is not supported")
        return to_json_schema(_resolve(ref, document), document, _seen | {ref})
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub, document, _seen) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = to_json_schema(value, document, _seen)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [to_json_schema(sub, document, _seen) for sub in value]
        else:
            out[key] = value
    if node.get("nullable"):
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _json_content(node: Mapping[str, Any], document: Mapping[str, Any]) -> Any:
    if "$ref" in node:
        node = _resolve(node["$ref"], document)
    content = node.get("content", {}).get("application/json")
    if content is None:
        return None
    return to_json_schema(content.get("schema", {}), document)


def _operation(
    api: str, method: str, template: str, raw: Mapping[str, Any], document: Mapping[str, Any]
) -> Operation:
    params = []
    for item in raw.get("parameters", []):
        if "$ref" in item:
            item = _resolve(item["$ref"], document)
        name = item["name"].lower() if item["in"] == "header" else item["name"]
        params.append(
            Param(
                name=name,
                location=item["in"],
                required=bool(item.get("required")) or item["in"] == "path",
                schema=to_json_schema(item.get("schema", {}), document),
            )
        )
    body_schema = None
    body_required = False
    if "requestBody" in raw:
        body = raw["requestBody"]
        if "$ref" in body:
            body = _resolve(body["$ref"], document)
        body_schema = _json_content(body, document)
        body_required = bool(body.get("required", True))
    statuses = sorted(code for code in raw["responses"] if code.isdigit() and code.startswith("2"))
    status = int(statuses[0]) if statuses else 200
    response_schema = _json_content(raw["responses"][str(status)], document) or {}
    return Operation(
        operation_id=raw["operationId"],
        api=api,
        method=method.upper(),
        template=template,
        segments=tuple(template.strip("/").split("/")),
        params=tuple(params),
        body_schema=body_schema,
        body_required=body_required,
        status=status,
        response_schema=response_schema,
        required_headers=tuple(p.name for p in params if p.location == "header" and p.required),
    )


def load_document(api: str) -> dict[str, Any]:
    """The vendored OpenAPI document of one API, parsed."""
    text = (resources.files(__package__) / "openapi" / f"{api}.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def load_operations() -> tuple[Operation, ...]:
    """Every operation of the five vendored documents, in document order."""
    operations: list[Operation] = []
    for api in APIS:
        document = load_document(api)
        for template, item in document["paths"].items():
            for method in _METHODS:
                if method in item:
                    operations.append(_operation(api, method, template, item[method], document))
    return tuple(operations)


@functools.cache
def error_types() -> dict[str, int]:
    """The API's error types and their HTTP status, from the vendored errors.json."""
    text = (resources.files(__package__) / "openapi" / "errors.json").read_text("utf-8")
    return {item["type"]: int(item["status"]) for item in json.loads(text)["errors"]}


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
