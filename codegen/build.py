"""Build the intermediate representation from the vendored OpenAPI documents.

Pure functions over parsed JSON, apart from `load_apis`, which reads the files.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import attrs

from botpress_async._openapi import Document, OperationDoc, is_nullable
from codegen.ir import (
    API_NAMES,
    CONTEXT_HEADERS,
    AnyT,
    Api,
    ArrayT,
    EnumT,
    Field,
    MapT,
    Model,
    ModelT,
    Nullable,
    Operation,
    Pagination,
    Parameter,
    Prim,
    TypeNode,
)
from codegen.overrides import apply_overrides
from codegen.pytypes import annotation

__all__ = [
    "ROOT",
    "VENDORED",
    "build_api",
    "is_idempotent",
    "load_api",
    "load_apis",
    "pascal",
    "snake",
]

ROOT = Path(__file__).resolve().parent.parent
# The vendored documents, package data of botpress_async read by the emulator at run time too.
VENDORED = ROOT / "botpress_async" / "_openapi"
# POSTs that only read, or create-if-absent, so repeating them is harmless.
_IDEMPOTENT_POST_PREFIXES = ("getOrCreate", "getOrSet", "upsert", "list", "find", "search", "get")
# Names the model base class uses; a property with one of them gets a trailing underscore.
_RESERVED_FIELD_NAMES = frozenset({"to_dict", "from_dict", "extra_fields"})
_RESERVED_ARG_NAMES = frozenset(
    {"self", "timeout", "max_retries", "extra_headers", "extra_query", "extra_body"}
)


def snake(name: str) -> str:
    """Return the snake_case Python identifier for a camelCase (or dashed) wire name."""
    out = re.sub(r"[^0-9a-zA-Z]+", "_", name)
    out = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", out)
    out = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", out)
    out = out.lower().strip("_") or "field"
    if out[0].isdigit():
        out = "n_" + out
    if keyword.iskeyword(out):
        out += "_"
    return out


def pascal(name: str) -> str:
    """Return the PascalCase form of a camelCase or dashed name (``x-zui`` → ``XZui``)."""
    parts = [p for p in re.split(r"[^0-9a-zA-Z]+", name) if p]
    return "".join(p[0].upper() + p[1:] for p in parts) or "Anonymous"


def is_idempotent(method: str, operation_id: str) -> bool:
    """Whether an operation may be retried after its request may have reached the server."""
    if method in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}:
        return True
    return method == "POST" and operation_id.startswith(_IDEMPOTENT_POST_PREFIXES)


@attrs.define
class _Draft:
    """A model being collected; frozen into `Model` once every use is known."""

    name: str
    fields: list[Field]
    request: bool
    source: str
    aliases: list[str] = attrs.Factory(list)


class _Builder:
    """Walks one document, naming and deduplicating its object schemas."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.deref = doc.deref
        self.drafts: dict[str, _Draft] = {}
        self.by_structure: dict[str, str] = {}
        self.names: set[str] = set()

    def unique(self, name: str) -> str:
        """Return ``name``, or ``name`` with a number when it is taken by another structure."""
        candidate, n = name, 2
        while candidate in self.names:
            candidate, n = f"{name}{n}", n + 1
        self.names.add(candidate)
        return candidate

    def type_of(self, schema: Mapping[str, Any], hint: str, *, request: bool) -> TypeNode:
        """Return the type of ``schema``; ``hint`` names a model made from it."""
        if "$ref" in schema:
            ref = str(schema["$ref"])
            if ref.startswith("#/components/schemas/"):
                return self.model(
                    self.deref(schema), pascal(ref.rsplit("/", 1)[1]), request=request
                )
            return self.type_of(self.deref(schema), hint, request=request)
        node = self.plain_type(schema, hint, request=request)
        return Nullable(node) if is_nullable(schema) else node

    def plain_type(self, schema: Mapping[str, Any], hint: str, *, request: bool) -> TypeNode:
        """The type of ``schema`` ignoring ``nullable``."""
        kind = schema.get("type")
        if kind == "string":
            if "enum" in schema:
                return EnumT(tuple(str(v) for v in schema["enum"]))
            return Prim("str", schema.get("format"))
        if kind == "integer":
            return Prim("int")
        if kind == "number":
            return Prim("float")
        if kind == "boolean":
            return Prim("bool")
        if kind == "array":
            item = schema.get("items", {})
            return ArrayT(self.type_of(item, hint + "Item", request=request))
        if kind == "object":
            if schema.get("properties"):
                return self.model(schema, hint, request=request)
            extra = schema.get("additionalProperties", True)
            if isinstance(extra, Mapping):
                return MapT(self.type_of(extra, hint + "Value", request=request))
            return MapT(AnyT())
        return AnyT()

    def model(
        self,
        schema: Mapping[str, Any],
        hint: str,
        *,
        request: bool,
        source: str = "",
        share: bool = True,
    ) -> ModelT:
        """Return the model for an object schema, making it on first sight.

        A structure met again reuses the first model (its new name becomes an alias), unless
        ``share`` is false: each operation's response keeps a class named after it.
        """
        key = json.dumps({k: v for k, v in schema.items() if k != "title"}, sort_keys=True)
        known = self.by_structure.get(key) if share else None
        if known is not None:
            draft = self.drafts[known]
            if hint != known and hint not in draft.aliases and hint not in self.names:
                self.names.add(hint)
                draft.aliases.append(hint)
            if request and not draft.request:
                self.mark_request(known)
            return ModelT(known)
        name = self.unique(hint)
        self.by_structure.setdefault(key, name)
        draft = _Draft(name=name, fields=[], request=request, source=source)
        self.drafts[name] = draft
        required = set(schema.get("required", ()))
        seen: set[str] = set()
        for wire, prop in schema.get("properties", {}).items():
            py = snake(wire)
            if py in _RESERVED_FIELD_NAMES or py in seen:
                py += "_"
            seen.add(py)
            ftype = self.type_of(prop, name + pascal(wire), request=request)
            draft.fields.append(Field(name=py, wire=wire, type=ftype, required=wire in required))
        return ModelT(name)

    def mark_request(self, name: str) -> None:
        """Mark a model, and every model inside it, as one the SDK may send."""
        draft = self.drafts[name]
        if draft.request:
            return
        draft.request = True
        for field in draft.fields:
            for inner in _models_in(field.type):
                self.mark_request(inner)

    def frozen_models(self) -> tuple[Model, ...]:
        """The collected models, each one before the models that use it."""
        return tuple(
            Model(
                name=d.name,
                fields=tuple(d.fields),
                request=d.request,
                aliases=tuple(d.aliases),
                source=d.source,
            )
            for d in reversed(list(self.drafts.values()))
        )


def _models_in(node: TypeNode) -> list[str]:
    """The names of the models a type refers to directly."""
    if isinstance(node, ModelT):
        return [node.name]
    if isinstance(node, (ArrayT,)):
        return _models_in(node.item)
    if isinstance(node, MapT):
        return _models_in(node.value)
    if isinstance(node, Nullable):
        return _models_in(node.inner)
    return []


def _operation(b: _Builder, op: OperationDoc) -> Operation:
    """Build one operation (and the models it uses)."""
    op_id = op.operation_id
    params: list[Parameter] = []
    requires: list[str] = []
    for prm in op.parameters:
        wire, where = prm.name, prm.location
        if where == "header" and wire.lower() in CONTEXT_HEADERS:
            if prm.required:
                requires.append(wire.lower())
            continue
        name = snake(wire)
        if name in _RESERVED_ARG_NAMES:
            name += "_"
        ptype = b.type_of(prm.schema, pascal(op_id) + pascal(wire), request=True)
        location = cast(Literal["path", "query", "header"], where)
        params.append(Parameter(name, wire, location, ptype, prm.required))
    has_body = op.body is not None
    if op.body is not None:
        body = b.deref(op.body)
        required_props = set(body.get("required", ()))
        hint = pascal(op_id) + "Body"
        for wire, prop in body.get("properties", {}).items():
            name = snake(wire)
            if name in _RESERVED_ARG_NAMES:
                name += "_"
            ptype = b.type_of(prop, hint + pascal(wire), request=True)
            params.append(Parameter(name, wire, "body", ptype, wire in required_props))
    schema = b.deref(op.response)
    resp_name = pascal(str(schema.get("title") or op_id + "Response"))
    resp_type: TypeNode
    free_form = not schema.get("properties") and schema.get("additionalProperties", False)
    if schema.get("type", "object") == "object" and not free_form:
        resp_type = b.model(
            schema, resp_name, request=False, source=f"{op_id} response", share=False
        )
    else:
        resp_type = b.type_of(schema, resp_name, request=False)
    ordered = tuple(
        sorted(params, key=lambda p: not p.required)  # stable: document order within each group
    )
    pagination = None
    if any(p.wire == "nextToken" and p.location == "query" for p in params):
        assert isinstance(resp_type, ModelT)
        pagination = _pagination(b, resp_type.name)
    return Operation(
        api=op.api,
        operation_id=op_id,
        name=snake(op_id),
        method=op.method,
        path=op.path,
        parameters=ordered,
        has_body=has_body,
        response=annotation(resp_type),
        response_type=resp_type,
        status=op.status,
        requires=tuple(requires),
        idempotent=is_idempotent(op.method, op_id),
        pagination=pagination,
        hidden=op.hidden,
        deprecated=op.deprecated,
    )


def _pagination(b: _Builder, response: str) -> Pagination:
    """Find the items list and the next-page token of a list response."""
    fields = b.drafts[response].fields
    lists = [f for f in fields if isinstance(f.type, ArrayT)]
    if len(lists) != 1:
        raise ValueError(f"{response}: expected exactly one list field, found {len(lists)}")
    items = lists[0]
    assert isinstance(items.type, ArrayT)
    by_wire = {f.wire: f for f in fields}
    token_path: tuple[str, ...]
    if "meta" in by_wire and isinstance(by_wire["meta"].type, ModelT):
        meta = b.drafts[by_wire["meta"].type.name]
        token = next(f for f in meta.fields if f.wire == "nextToken")
        token_path = (by_wire["meta"].name, token.name)
    elif "nextToken" in by_wire:
        token_path = (by_wire["nextToken"].name,)
    else:
        raise ValueError(f"{response}: no nextToken in the response")
    return Pagination(items_field=items.name, item_type=items.type.item, token_path=token_path)


def build_api(name: str, doc: Mapping[str, Any], *, source: str, sha256: str) -> Api:
    """Build one API's IR from its parsed (vendored) document."""
    document = Document(name, doc)
    b = _Builder(document)
    for schema_name, schema in document.schemas.items():
        b.model(schema, pascal(schema_name), request=False, source=f"schema {schema_name}")
    operations = [_operation(b, op) for op in document.operations()]
    info = doc.get("info", {})
    api = Api(
        name=name,
        title=str(info.get("title", name)),
        version=str(info.get("version", "")),
        source=source,
        sha256=sha256,
        models=b.frozen_models(),
        operations=tuple(operations),
    )
    return apply_overrides(api)


def load_apis() -> tuple[Api, ...]:
    """Read the five vendored documents and build their IR."""
    return tuple(load_api(name) for name in API_NAMES)


def load_api(name: str) -> Api:
    """Build the IR of one vendored document, recording its path and the hash of its bytes."""
    path = VENDORED / f"{name}.json"
    raw = path.read_bytes()
    source = path.relative_to(ROOT).as_posix()
    return build_api(name, json.loads(raw), source=source, sha256=hashlib.sha256(raw).hexdigest())
