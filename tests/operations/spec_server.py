"""A loopback server that checks each request against the vendored OpenAPI documents.

It answers every operation of the five APIs with a response synthesised from the document's
response schema (deterministically, every optional property filled), and records what was
wrong with each request it received: method and path, query keys and kinds, required
headers, and the JSON body against the requestBody schema (with jsonschema).

The documents are parsed by the shared reader (`botpress_async._openapi`), as the generator
and the emulator parse them; the answers come from this module's own synthesiser, written apart
from the emulator's, so that the two check each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import attrs
import jsonschema
from aiohttp import web

from botpress_async import _openapi
from botpress_async._openapi import API_NAMES, Document, OperationDoc, is_nullable

_NEEDS_BOT = frozenset({"runtime", "files", "tables"})


def load_docs() -> dict[str, Document]:
    """The five vendored documents, by API name, as the shared reader parses them."""
    return {api: _openapi.document(api) for api in API_NAMES}


def synth(doc: Document, schema: Mapping[str, Any], *, fill_optional: bool = True) -> Any:
    """A value valid for ``schema``, the same every time (optional properties filled too)."""
    schema = doc.deref(schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties")
        if props:
            required = set(schema.get("required", ()))
            out = {}
            for key, sub in props.items():
                sub = doc.deref(sub)
                if key not in required and is_nullable(sub):
                    out[key] = None  # optional and nullable: exercise null on the way back
                elif key in required or fill_optional:
                    out[key] = synth(doc, sub, fill_optional=fill_optional)
            return out
        extra = schema.get("additionalProperties", True)
        if extra is False:
            return {}
        if isinstance(extra, Mapping):
            return {"key1": synth(doc, extra, fill_optional=fill_optional)}
        return {"any": "value"}
    if kind == "array":
        item = schema.get("items", {})
        count = max(1, min(2, schema.get("maxItems", 2)), schema.get("minItems", 0))
        return [synth(doc, item, fill_optional=fill_optional) for _ in range(count)]
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1.5, float(schema.get("minimum", 1.5)))
    if kind == "boolean":
        return True
    return {"any": "value"}


def _string(schema: Mapping[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-01-02T03:04:05.000Z"
    if fmt == "date":
        return "2026-01-02"
    if fmt == "uuid":
        return "0b6ae4a6-8c47-4e55-9d3e-1f0a2b3c4d5e"
    if fmt == "uri":
        return "https://example.com/x"
    if fmt == "email":
        return "someone@example.com"
    text = "abc"
    text += "a" * max(0, int(schema.get("minLength", 0)) - len(text))
    return text[: int(schema.get("maxLength", len(text)))]


def pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching the paths of a template, each placeholder one segment."""
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def routes(docs: Mapping[str, Document]) -> list[tuple[re.Pattern[str], OperationDoc]]:
    """Every operation of every document, literal paths before templated ones."""
    found = [(pattern(op.path), op) for doc in docs.values() for op in doc.operations()]
    return sorted(found, key=lambda route: route[0].pattern.count("[^/]+"))


def _query_ok(kind: str, values: list[str], schema: Mapping[str, Any]) -> bool:
    if kind == "array":
        item_enum = schema.get("items", {}).get("enum")
        return not item_enum or all(v in item_enum for v in values)
    if len(values) != 1:
        return False
    value = values[0]
    if "enum" in schema:
        return value in schema["enum"]
    if kind == "boolean":
        return value in ("true", "false")
    if kind == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == "number":
        return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
    return True


@attrs.define
class Recorded:
    """What one request was matched to, and what was wrong with it."""

    operation_id: str | None
    problems: list[str]
    response: Any = None


@attrs.define
class SpecServer:
    """The checking server's state: documents, routes and the requests seen so far."""

    docs: dict[str, Document] = attrs.Factory(load_docs)
    seen: list[Recorded] = attrs.Factory(list)
    _routes: list[tuple[re.Pattern[str], OperationDoc]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._routes = routes(self.docs)

    def match(self, method: str, path: str) -> OperationDoc | None:
        """The operation a request's method and path name, if any."""
        for regex, op in self._routes:
            if op.method == method and regex.match(path):
                return op
        return None

    def check(
        self, op: OperationDoc, raw_query: str, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        """Everything in the request that the document does not allow."""
        doc = self.docs[op.api]
        problems = []
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        query = {p.name: p for p in op.parameters if p.location == "query"}
        grouped: dict[str, list[str]] = {}
        for key, value in pairs:
            grouped.setdefault(key, []).append(value)
        for key, values in grouped.items():
            base = key.split(".", 1)[0]
            if base not in query:
                problems.append(f"unknown query parameter {key!r}")
                continue
            schema = doc.deref(query[base].schema)
            kind = str(schema.get("type", "any"))
            if kind == "any":
                continue
            if ("." in key) != (kind == "object"):
                problems.append(f"query {key!r} is not encoded as its type {kind} requires")
            elif not _query_ok(kind, values, schema):
                problems.append(f"query {key!r}={values!r} is not a valid {kind}")
        sent = {key.split(".", 1)[0] for key in grouped}
        for p in op.parameters:
            if p.location == "query" and p.required and p.name not in sent:
                problems.append(f"missing required query {p.name!r}")
            if p.location == "header" and p.required and p.name.lower() not in headers:
                problems.append(f"missing required header {p.name!r}")
        if op.api in _NEEDS_BOT and "x-bot-id" not in headers:
            problems.append("missing x-bot-id")
        if not headers.get("authorization", "").startswith("Bearer "):
            problems.append("missing bearer token")
        problems += self._check_body(op, headers, body)
        return problems

    def _check_body(self, op: OperationDoc, headers: Mapping[str, str], body: bytes) -> list[str]:
        if op.method == "GET":
            return ["a GET carries a body"] if body else []
        if headers.get("content-type") != "application/json":
            return [f"content-type is {headers.get('content-type')!r}"]
        try:
            value = json.loads(body)
        except ValueError:
            return ["the body is not JSON"]
        if op.body is None:
            return [] if value == {} else [f"unexpected body {value!r}"]
        schema = self.docs[op.api].json_schema(op.body)
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(value), key=str)
        return [f"body: {e.message} at {list(e.absolute_path)}" for e in errors]

    def response_for(self, op: OperationDoc) -> tuple[int, Any]:
        """The status and synthesised body of an operation's success response."""
        return op.status, synth(self.docs[op.api], op.response)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Check the request, record it, and answer the operation's synthesised response."""
        op = self.match(request.method, request.path)
        if op is None:
            self.seen.append(Recorded(None, [f"no operation for {request.method} {request.path}"]))
            return web.json_response(
                {"id": "err_1", "code": 404, "type": "ResourceNotFound", "message": "no route"},
                status=404,
            )
        headers = {k.lower(): v for k, v in request.headers.items()}
        raw_query = request.raw_path.partition("?")[2]
        problems = self.check(op, raw_query, headers, await request.read())
        status, body = self.response_for(op)
        self.seen.append(Recorded(op.operation_id, problems, body))
        if problems:
            return web.json_response(
                {
                    "id": "err_1",
                    "code": 400,
                    "type": "InvalidPayload",
                    "message": "; ".join(problems),
                },
                status=400,
            )
        return web.json_response(body, status=status)

    def app(self) -> web.Application:
        """The aiohttp application answering every path."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app
