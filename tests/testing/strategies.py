"""Hypothesis strategies for the draft 7 schemas the emulator builds from the documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

_JSON_LEAF = st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=5)
_NAMES = st.text(alphabet="abcxyz_", min_size=1, max_size=6)


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="milliseconds") + "Z"


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    fmt = schema.get("format")
    if fmt == "date-time":
        return st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)).map(_iso)
    if fmt == "date":
        return st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat)
    if fmt == "uuid":
        return st.uuids().map(str)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: len(s) <= int(schema.get("maxLength", 1 << 30))
        )
    lo = int(schema.get("minLength", 0))
    hi = min(int(schema.get("maxLength", lo + 12)), lo + 12)
    return st.text(min_size=lo, max_size=hi)


def _number(schema: Mapping[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    lo = schema.get("minimum", -1000)
    hi = schema.get("maximum", 1000)
    ints = st.integers(int(lo) if float(lo).is_integer() else int(lo) + 1, int(hi))
    if integer:
        return ints
    return ints | st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False)


def _object(schema: Mapping[str, Any], depth: int) -> st.SearchStrategy[Any]:
    props: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fixed = {k: from_schema(v, depth + 1) for k, v in props.items() if k in required}
    optional = {k: from_schema(v, depth + 1) for k, v in props.items() if k not in required}
    base = st.fixed_dictionaries(fixed, optional=optional if depth < 3 else {})
    extra = schema.get("additionalProperties", True)
    if isinstance(extra, dict) and not props:
        return st.dictionaries(_NAMES, from_schema(extra, depth + 1), max_size=2)
    if extra is True and not props:
        return st.dictionaries(_NAMES, _JSON_LEAF, max_size=2)
    return base


def from_schema(schema: Mapping[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (small ones: short strings, lists of at most 3)."""
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    kinds = schema.get("type")
    if kinds is None:
        return _JSON_LEAF
    options = []
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind == "null":
            options.append(st.none())
        elif kind == "string":
            options.append(_string(schema))
        elif kind in ("integer", "number"):
            options.append(_number(schema, kind == "integer"))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "array":
            lo = int(schema.get("minItems", 0))
            hi = min(int(schema.get("maxItems", lo + 3)), lo + 3)
            options.append(
                st.lists(from_schema(schema.get("items", {}), depth + 1), min_size=lo, max_size=hi)
            )
        elif kind == "object":
            options.append(_object(schema, depth))
    return st.one_of(options)
