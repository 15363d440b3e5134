"""The vendored OpenAPI documents of the Botpress APIs, and the one reader of them.

The generator (``codegen/``) and the emulator (`botpress_async.testing`) both read the documents
through this module, so they agree on what an operation is: its parameters, its request body, its
success status and response, and how a ``$ref`` resolves. OpenAPI 3.0 schemas become plain JSON
Schema (draft 7) in `to_json_schema`, the only converter, with one rule for ``nullable``
(`is_nullable`) that the generator's type builder follows too.

The documents are copies stripped of Botpress's prose (``python -m codegen.vendor``, which also
writes ``PROVENANCE.json``); the ``overlay/`` folder beside them holds our own descriptions, which
only the generator reads.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from botpress_async._auth import API_NAMES

__all__ = [
    "API_NAMES",
    "DOCUMENT_NAMES",
    "METHODS",
    "Document",
    "OperationDoc",
    "ParameterDoc",
    "document",
    "error_types",
    "is_nullable",
    "read_bytes",
    "to_json_schema",
]

#: Every vendored document: the five Cloud APIs, then the Chat API's.
DOCUMENT_NAMES: Final = (*API_NAMES, "chat")
#: The HTTP methods an operation may have; other keys of a path item are not operations.
METHODS: Final = ("get", "put", "post", "patch", "delete")
# Keys that carry prose or tooling hints; a validator has no use for them.
_DROPPED: Final = frozenset(
    {"nullable", "deprecated", "x-hidden", "title", "description", "example", "discriminator"}
)


def is_nullable(schema: Mapping[str, Any]) -> bool:
    """Whether an OpenAPI 3.0 schema also admits JSON ``null``.

    ``nullable`` beside a ``$ref`` is ignored, as OpenAPI 3.0 ignores every sibling of ``$ref``:
    the referenced schema decides.
    """
    return "$ref" not in schema and bool(schema.get("nullable"))


@dataclass(frozen=True)
class ParameterDoc:
    """One path, query or header parameter of an operation, as the document writes it.

    Attributes:
        name: the wire name (header names as the document spells them).
        location: ``path``, ``query`` or ``header``.
        required: whether a request must carry it; path parameters always must.
        schema: its OpenAPI schema, ``$ref`` pointers left in place (the emulator keeps the
            same class with the schema in JSON Schema form).
    """

    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class OperationDoc:
    """One operation of one document, its references to parameters and bodies followed.

    Schemas stay OpenAPI (``$ref`` pointers in place, so that the generator can name models after
    the component they point to); `Document.json_schema` turns one into JSON Schema.

    Attributes:
        api: the document's name (``runtime``, ``chat``...).
        operation_id: the operationId.
        method: the HTTP method, upper case.
        path: the path template, e.g. ``/v1/chat/users/{id}``.
        parameters: the path, query and header parameters, in document order.
        body: the JSON schema of the request body, or ``None`` when the operation takes none.
        body_required: whether the request body must be sent.
        status: the success status: the lowest 2xx code the document lists (200 when none).
        response: the JSON schema of the success response (empty when it has no JSON body).
        hidden: the document marks the operation ``x-hidden``.
        deprecated: the document marks the operation deprecated.
    """

    api: str
    operation_id: str
    method: str
    path: str
    parameters: tuple[ParameterDoc, ...]
    body: Mapping[str, Any] | None
    body_required: bool
    status: int
    response: Mapping[str, Any]
    hidden: bool = False
    deprecated: bool = False


def _resolve(ref: str, data: Mapping[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = data
    for part in ref[2:].split("/"):
        node = node[part]
    return node


class Document:
    """One parsed OpenAPI document: reference resolution and its operations."""

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        self.name = name
        self.data = data

    def resolve(self, ref: str) -> Any:
        """The node a local ``#/...`` reference points to."""
        return _resolve(ref, self.data)

    def deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """``node``, or the node its ``$ref`` chain ends at."""
        while "$ref" in node:
            node = self.resolve(str(node["$ref"]))
        return node

    @property
    def schemas(self) -> Mapping[str, Any]:
        """The component schemas, by name."""
        found: Mapping[str, Any] = self.data.get("components", {}).get("schemas", {})
        return found

    def json_schema(self, schema: Mapping[str, Any]) -> Any:
        """``schema`` as self-contained JSON Schema (see `to_json_schema`)."""
        return to_json_schema(schema, self.data)

    def operations(self) -> Iterator[OperationDoc]:
        """Every operation, in document order (paths, then methods as each path lists them)."""
        for path, item in self.data["paths"].items():
            for method, raw in item.items():
                if method in METHODS:
                    yield self._operation(path, method, raw)

    def _json_schema_of(self, holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
        content = self.deref(holder).get("content", {}).get("application/json")
        if content is None:
            return None
        schema: Mapping[str, Any] = content.get("schema", {})
        return schema

    def _operation(self, path: str, method: str, raw: Mapping[str, Any]) -> OperationDoc:
        parameters = []
        for item in raw.get("parameters", ()):
            prm = self.deref(item)
            where = str(prm["in"])
            parameters.append(
                ParameterDoc(
                    name=str(prm["name"]),
                    location=where,
                    required=bool(prm.get("required")) or where == "path",
                    schema=prm.get("schema", {}),
                )
            )
        body = None
        body_required = False
        if "requestBody" in raw:
            request_body = self.deref(raw["requestBody"])
            body = self._json_schema_of(request_body)
            body_required = bool(request_body.get("required", True))
        responses: Mapping[str, Any] = raw["responses"]
        codes = (int(code) for code in responses if str(code).isdigit())
        successes = sorted(code for code in codes if 200 <= code < 300)
        if successes:
            status, answer = successes[0], responses[str(successes[0])]
        else:
            status, answer = 200, responses.get("default", {})
        return OperationDoc(
            api=self.name,
            operation_id=str(raw["operationId"]),
            method=method.upper(),
            path=path,
            parameters=tuple(parameters),
            body=body,
            body_required=body_required,
            status=status,
            response=self._json_schema_of(answer) or {},
            hidden=bool(raw.get("x-hidden")),
            deprecated=bool(raw.get("deprecated")),
        )


def read_bytes(name: str) -> bytes:
    """The bytes of one vendored file (``runtime.json``, ``errors.json``...)."""
    return (resources.files(__name__) / name).read_bytes()


@functools.cache
def document(name: str) -> Document:
    """The vendored document of one API (one of `DOCUMENT_NAMES`), parsed once."""
    return Document(name, json.loads(read_bytes(f"{name}.json")))


@functools.cache
def error_types() -> tuple[tuple[str, int], ...]:
    """The API's error types and their HTTP status, in the order ``errors.json`` lists them."""
    data = json.loads(read_bytes("errors.json"))
    return tuple((str(item["type"]), int(item["status"])) for item in data["errors"])


def to_json_schema(
    node: Any, document: Mapping[str, Any], _seen: frozenset[str] = frozenset()
) -> Any:
    """Turn an OpenAPI 3.0 schema into a self-contained draft 7 JSON Schema.

    Every ``$ref`` is inlined; a nullable schema (`is_nullable`) gets ``"null"`` added to its
    ``type`` and ``None`` to its ``enum``; prose and tooling keys are dropped.

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
    if is_nullable(node):
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out
