"""``client.call(operation_id, params)``: any operation by its official id and input shape.

The input is the camelCase object the official TypeScript client takes, with path, query,
header and body fields together. It is checked against the generated operation table
(`botpress_async._operations`) before anything is sent: unknown operation, unknown or
missing parameter, or a value of the wrong JSON kind raise `ConfigurationError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from botpress_async._errors import ConfigurationError
from botpress_async._operation_spec import Location, OperationSpec, ParamSpec
from botpress_async._types import NOT_GIVEN

__all__ = [
    "Location",
    "OperationSpec",
    "ParamSpec",
    "check_kind",
    "prepare_call",
    "route_of",
    "split_params",
]

_KIND_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (Mapping,),
}


def check_kind(value: Any, kind: str, nullable: bool) -> bool:
    """Whether ``value`` is a valid Python value for a parameter of JSON ``kind``."""
    if value is None:
        return nullable
    if kind == "any":
        return True
    if kind == "array":
        return isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    if kind in {"integer", "number"} and isinstance(value, bool):
        return False  # True is an int in Python, never a number on the wire
    return isinstance(value, _KIND_CHECKS[kind])


def _camel(header: str) -> str:
    """``x-user-id`` → ``xUserId``, the other spelling accepted for header parameters."""
    return re.sub(r"-([a-z0-9])", lambda m: m.group(1).upper(), header)


def split_params(
    operation_id: str, spec: OperationSpec, params: Mapping[str, Any]
) -> dict[Location, dict[str, Any]]:
    """Check ``params`` against ``spec`` and sort them by location (pure; raises before sending)."""
    given = dict(params)
    out: dict[Location, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "body": {}}
    for p in spec.params:
        key = p.wire
        if key not in given and p.location == "header" and _camel(key) in given:
            key = _camel(key)
        value = given.pop(key, NOT_GIVEN)
        if value is NOT_GIVEN:
            if p.required:
                raise ConfigurationError(
                    f"{operation_id}: missing required {p.location} parameter {p.wire!r}"
                )
            continue
        if not check_kind(value, p.kind, p.nullable):
            expected = p.kind + (" or null" if p.nullable else "")
            raise ConfigurationError(
                f"{operation_id}: parameter {p.wire!r} must be a JSON {expected}, "
                f"not {type(value).__name__}"
            )
        out[p.location][p.wire] = value
    if given:
        known = ", ".join(repr(p.wire) for p in spec.params) or "none"
        raise ConfigurationError(
            f"{operation_id}: unknown parameter(s) {', '.join(map(repr, sorted(given)))} "
            f"(known: {known})",
            fix="pass what the documents lack with extra_query= or extra_body=",
        )
    return out


def lookup(operation_id: str) -> OperationSpec:
    """The spec of ``operation_id``, or a `ConfigurationError` that suggests near names."""
    from botpress_async._operations import OPERATIONS

    spec = OPERATIONS.get(operation_id)
    if spec is None:
        near = difflib.get_close_matches(operation_id, list(OPERATIONS), n=3)
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
        raise ConfigurationError(f"unknown operationId {operation_id!r}{hint}")
    return spec


def prepare_call(
    operation_id: str, params: Mapping[str, Any] | None
) -> tuple[OperationSpec, dict[Location, dict[str, Any]]]:
    """The spec of ``operation_id`` and the checked ``params`` sorted by location.

    Args:
        operation_id: the official operationId, e.g. ``"getUser"``.
        params: the camelCase input object (path, query, header and body fields together).
    """
    if params is not None and not isinstance(params, Mapping):
        raise ConfigurationError(
            f"{operation_id}: params must be a mapping, not {type(params).__name__}"
        )
    spec = lookup(operation_id)
    return spec, split_params(operation_id, spec, params or {})


_ROUTES: dict[str, list[tuple[re.Pattern[str], OperationSpec]]] | None = None


def route_of(method: str, path: str) -> OperationSpec | None:
    """The documented operation a raw ``request(method, path)`` is, if any.

    Args:
        method: the HTTP method, upper case.
        path: the encoded request path, without query string.
    """
    global _ROUTES  # built once, on the first raw request that needs it
    if _ROUTES is None:
        from botpress_async._operations import OPERATIONS

        routes: dict[str, list[tuple[re.Pattern[str], OperationSpec]]] = {}
        # Literal segments must win over parameters (``/files/tags`` before ``/files/{id}``).
        for spec in sorted(OPERATIONS.values(), key=lambda s: s.path.count("{")):
            regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(spec.path))
            routes.setdefault(spec.method, []).append((re.compile(regex + "/?"), spec))
        _ROUTES = routes
    for pattern, spec in _ROUTES.get(method, ()):
        if pattern.fullmatch(path):
            return spec
    return None
