"""Pure functions over JSON Schemas: make a valid value, bend a value into shape, read a query.

``synthesize`` answers the operations the emulator keeps no state for; ``conform`` is the safety
net that makes every answer of a stateful handler valid against the document even when the
handler does not know every required field.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = ["conform", "iso_now", "parse_query", "synthesize"]

_EPOCH_TEXT: Final = "1970-01-01T00:00:00.000Z"
_SAMPLE_UUID: Final = "00000000-0000-4000-8000-000000000000"


def iso_now() -> str:
    """The current time as the API writes it: ISO-8601, UTC, milliseconds, ``Z``."""
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    return now.isoformat(timespec="milliseconds") + "Z"


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    return list(kind) if isinstance(kind, list) else [kind]


def _string(schema: Mapping[str, Any], hint: str) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return iso_now()
    if fmt == "date":
        return iso_now()[:10]
    if fmt == "uuid":
        return _SAMPLE_UUID
    if fmt == "email":
        return "someone@example.com"
    if fmt == "uri":
        return "https://example.com/"
    low = hint.lower()
    if (low.endswith("at") and len(low) > 2) or low in ("date", "timestamp"):
        text = _EPOCH_TEXT
    else:
        text = "abc" if "pattern" in schema else (hint or "value")
    lo = int(schema.get("minLength", 0))
    hi = int(schema.get("maxLength", 1 << 30))
    if len(text) < lo:
        text = text + "x" * (lo - len(text))
    return text[:hi]


def _number(schema: Mapping[str, Any]) -> int:
    lo = schema.get("minimum")
    hi = schema.get("maximum")
    value = 0
    if lo is not None and value < lo:
        value = int(lo) if float(lo).is_integer() else int(lo) + 1
    if hi is not None and value > hi:
        value = int(hi)
    return value


def synthesize(schema: Mapping[str, Any], hint: str = "") -> Any:
    """A value valid against ``schema``: required properties only, the smallest lists.

    Args:
        schema: a draft 7 JSON Schema as produced by ``to_json_schema``.
        hint: the property name the value is for; it shapes strings (``createdAt`` gets a date).
    """
    if "enum" in schema:
        choices = [c for c in schema["enum"] if c is not None]
        return choices[0] if choices else None
    kinds = [k for k in _types(schema) if k != "null"]
    if not kinds:
        return None if "null" in _types(schema) else {}
    kind = kinds[0]
    if kind == "string":
        return _string(schema, hint)
    if kind in ("number", "integer"):
        return _number(schema)
    if kind == "boolean":
        return False
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [synthesize(schema.get("items", {}), hint) for _ in range(count)]
    if kind == "object":
        props = schema.get("properties", {})
        return {name: synthesize(props.get(name, {}), name) for name in schema.get("required", ())}
    return None


def _fits(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "null":
        return value is None
    return True


def conform(schema: Mapping[str, Any], value: Any, hint: str = "") -> Any:
    """``value`` made valid against ``schema``: unknown fields dropped, missing ones filled.

    Fields the value already carries with the right type are kept as they are, so a handler's
    state shows through; anything else is replaced by ``synthesize``.
    """
    if "enum" in schema:
        return value if value in schema["enum"] else synthesize(schema, hint)
    kind = schema.get("type")
    if kind is None:
        return value
    if isinstance(kind, list):
        kind = next((k for k in kind if _fits(value, k)), None)
        if kind is None:
            return synthesize(schema, hint)
    elif not _fits(value, kind):
        return synthesize(schema, hint)
    if kind == "string":
        if "minLength" in schema or "maxLength" in schema:
            lo = int(schema.get("minLength", 0))
            if len(value) < lo:
                return value + "x" * (lo - len(value))
            if "maxLength" in schema:
                return value[: int(schema["maxLength"])]
        return value
    if kind == "object":
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        out: dict[str, Any] = {}
        for name, item in value.items():
            sub = props.get(name)
            if sub is not None:
                out[name] = conform(sub, item, name)
            elif isinstance(extra, dict):
                out[name] = conform(extra, item, name) if extra else item
            elif extra is not False:
                out[name] = item
        for name in schema.get("required", ()):
            if name not in out:
                out[name] = synthesize(props.get(name, {}), name)
        return out
    if kind == "array":
        items = schema.get("items", {})
        seq = [conform(items, item, hint) for item in value]
        if "maxItems" in schema:
            seq = seq[: int(schema["maxItems"])]
        while len(seq) < int(schema.get("minItems", 0)):
            seq.append(synthesize(items, hint))
        return seq
    if kind in ("number", "integer"):
        if kind == "integer":
            value = int(value)
        if "minimum" in schema and value < schema["minimum"]:
            return _number(schema)
        if "maximum" in schema and value > schema["maximum"]:
            return _number(schema)
    return value


def _scalar(text: str, schema: Mapping[str, Any]) -> Any:
    kinds = _types(schema)
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    if "integer" in kinds or "number" in kinds:
        try:
            number = float(text)
        except ValueError:
            return text
        if number.is_integer() and "e" not in text.lower():
            return int(number)
        return number
    if "null" in kinds and text == "":
        return None
    return text


def _nest(target: dict[str, Any], dotted: list[str], text: str) -> None:
    for part in dotted[:-1]:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            return
        target = child
    target[dotted[-1]] = text


def parse_query(
    pairs: Iterable[tuple[str, str]], params: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """Read a query string the way the official client writes it, typed by the parameters.

    Arrays repeat their key, objects use dotted keys, booleans are ``true``/``false``. A text
    that does not parse as its declared type is kept as text so validation names the field.

    Args:
        pairs: the decoded ``(key, value)`` pairs, in order.
        params: each query parameter's name and JSON Schema.
    """
    schemas = dict(params)
    out: dict[str, Any] = {}
    for key, text in pairs:
        base, _, rest = key.partition(".")
        schema = schemas.get(base)
        if schema is None:
            out.setdefault(key, text)
            continue
        kinds = _types(schema)
        if rest and (not kinds or "object" in kinds):
            obj = out.setdefault(base, {})
            if isinstance(obj, dict):
                _nest(obj, rest.split("."), text)
        elif "array" in kinds:
            seq = out.setdefault(base, [])
            if isinstance(seq, list):
                seq.append(_scalar(text, schema.get("items", {})))
        else:
            out[base] = _scalar(text, schema)
    return out
