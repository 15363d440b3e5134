"""A loopback server that checks each request against the vendored OpenAPI documents.

It answers every operation of the five APIs with a response synthesised from the document's
response schema (deterministically, every optional property filled), and records what was
wrong with each request it received: method and path, query keys and kinds, required
headers, and the JSON body against the requestBody schema (with jsonschema).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import attrs
import jsonschema
from aiohttp import web

from codegen.ir import API_NAMES

VENDORED = Path(__file__).resolve().parents[2] / "botpress_async" / "testing" / "openapi"
_METHODS = ("get", "put", "post", "patch", "delete")
_NEEDS_BOT = frozenset({"runtime", "files", "tables"})


def load_docs() -> dict[str, dict[str, Any]]:
    """The five vendored documents, by API name."""
    return {api: json.loads((VENDORED / f"{api}.json").read_text("utf-8")) for api in API_NAMES}


def deref(doc: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow ``$ref`` pointers inside ``doc``."""
    while "$ref" in node:
        target: Any = doc
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def to_json_schema(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as plain JSON Schema: refs inlined, ``nullable`` as a null branch."""
    schema = deref(doc, schema)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {k: to_json_schema(doc, v) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = to_json_schema(doc, value)
        elif key not in ("nullable", "x-hidden", "title", "deprecated", "format"):
            out[key] = value
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def synth(doc: Mapping[str, Any], schema: Mapping[str, Any], *, fill_optional: bool = True) -> Any:
    """A value valid for ``schema``, the same every time (optional properties filled too)."""
    schema = deref(doc, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties")
        if props:
            required = set(schema.get("required", ()))
            out = {}
            for key, sub in props.items():
                sub = deref(doc, sub)
                if key not in required and sub.get("nullable"):
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


@attrs.frozen
class Route:
    """One operation of a document, as the server matches it."""

    api: str
    operation_id: str
    method: str
    pattern: re.Pattern[str]
    op: Mapping[str, Any]


def routes(docs: Mapping[str, Mapping[str, Any]]) -> list[Route]:
    """Every operation of every document, literal paths before templated ones."""
    out = []
    for api, doc in docs.items():
        for path, item in doc["paths"].items():
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
            for method, op in item.items():
                if method in _METHODS:
                    out.append(
                        Route(api, op["operationId"], method.upper(), re.compile(regex + "$"), op)
                    )
    return sorted(out, key=lambda r: r.pattern.pattern.count("[^/]+"))


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

    docs: dict[str, dict[str, Any]] = attrs.Factory(load_docs)
    seen: list[Recorded] = attrs.Factory(list)
    _routes: list[Route] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._routes = routes(self.docs)

    def match(self, method: str, path: str) -> Route | None:
        """The operation a request's method and path name, if any."""
        for route in self._routes:
            if route.method == method and route.pattern.match(path):
                return route
        return None

    def check(
        self, route: Route, raw_query: str, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        """Everything in the request that the document does not allow."""
        doc = self.docs[route.api]
        problems = []
        params = [deref(doc, p) for p in route.op.get("parameters", ())]
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        query = {p["name"]: p for p in params if p["in"] == "query"}
        grouped: dict[str, list[str]] = {}
        for key, value in pairs:
            grouped.setdefault(key, []).append(value)
        for key, values in grouped.items():
            base = key.split(".", 1)[0]
            if base not in query:
                problems.append(f"unknown query parameter {key!r}")
                continue
            schema = deref(doc, query[base].get("schema", {}))
            kind = str(schema.get("type", "any"))
            if kind == "any":
                continue
            if ("." in key) != (kind == "object"):
                problems.append(f"query {key!r} is not encoded as its type {kind} requires")
            elif not _query_ok(kind, values, schema):
                problems.append(f"query {key!r}={values!r} is not a valid {kind}")
        for p in params:
            name = p["name"]
            sent = {key.split(".", 1)[0] for key in grouped}
            if p["in"] == "query" and p.get("required") and name not in sent:
                problems.append(f"missing required query {name!r}")
            if p["in"] == "header" and p.get("required") and name not in headers:
                problems.append(f"missing required header {name!r}")
        if route.api in _NEEDS_BOT and "x-bot-id" not in headers:
            problems.append("missing x-bot-id")
        if not headers.get("authorization", "").startswith("Bearer "):
            problems.append("missing bearer token")
        problems += self._check_body(route, headers, body)
        return problems

    def _check_body(self, route: Route, headers: Mapping[str, str], body: bytes) -> list[str]:
        doc = self.docs[route.api]
        if route.method == "GET":
            return ["a GET carries a body"] if body else []
        if headers.get("content-type") != "application/json":
            return [f"content-type is {headers.get('content-type')!r}"]
        try:
            value = json.loads(body)
        except ValueError:
            return ["the body is not JSON"]
        if "requestBody" not in route.op:
            return [] if value == {} else [f"unexpected body {value!r}"]
        content = deref(doc, route.op["requestBody"])["content"]["application/json"]
        schema = to_json_schema(doc, content["schema"])
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(value), key=str)
        return [f"body: {e.message} at {list(e.absolute_path)}" for e in errors]

    def response_for(self, route: Route) -> tuple[int, Any]:
        """The status and synthesised body of an operation's success response."""
        doc = self.docs[route.api]
        codes = sorted(c for c in route.op["responses"] if str(c).isdigit())
        response = deref(doc, route.op["responses"][codes[0]])
        schema = response["content"]["application/json"]["schema"]
        return int(codes[0]), synth(doc, schema)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Check the request, record it, and answer the operation's synthesised response."""
        route = self.match(request.method, request.path)
        if route is None:
            self.seen.append(Recorded(None, [f"no operation for {request.method} {request.path}"]))
            return web.json_response(
                {"id": "err_1", "code": 404, "type": "ResourceNotFound", "message": "no route"},
                status=404,
            )
        headers = {k.lower(): v for k, v in request.headers.items()}
        raw_query = request.raw_path.partition("?")[2]
        problems = self.check(route, raw_query, headers, await request.read())
        status, body = self.response_for(route)
        self.seen.append(Recorded(route.operation_id, problems, body))
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
