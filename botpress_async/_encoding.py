"""Pure functions that turn call arguments into the bytes the API expects.

Paths, query strings and JSON bodies follow what the official TypeScript client sends, with
the fixes the SDK owes its users (dot segments and empty path parameters are refused).
"""

from __future__ import annotations

import dataclasses as _dataclasses
import datetime as _dt
import enum
import json as _json
import marshal
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import quote

from ._errors import ArgumentTypeError, ConfigurationError
from ._types import NotGiven

__all__ = [
    "FRAGMENT_TYPE",
    "JSON_LIBRARY",
    "check_text",
    "dumps",
    "encode_path",
    "encode_path_param",
    "encode_query",
    "encoded_fragment",
    "loads",
    "plain_fragment",
]

# encodeURIComponent leaves these unescaped besides letters, digits and "-_.~".
_PATH_SAFE: Final = "!*'()"


def _default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, uuid.UUID):
        return str(value)  # as orjson writes one
    if _dataclasses.is_dataclass(value) and not isinstance(value, type):
        # an object of every field, as orjson writes a dataclass instance itself
        return {f.name: getattr(value, f.name) for f in _dataclasses.fields(value)}
    raise TypeError(f"cannot send a {type(value).__name__} as JSON: {value!r:.80}")


def _find_orjson() -> Any:
    try:
        import orjson
    except ImportError:  # pragma: no cover - depends on the optional "fast" extra
        return None
    return orjson


_orjson: Any = _find_orjson()

_NON_FINITE_MESSAGE: Final = "cannot send NaN or infinity as JSON; use None to send null"

#: The JSON library in use: "orjson" when installed, else the standard library's "json".
JSON_LIBRARY: str
#: orjson's type of pre-encoded JSON, sent as the text it holds; None without it.
FRAGMENT_TYPE: Any

if _orjson is not None:
    JSON_LIBRARY = "orjson"
    _ORJSON_OPTS: Final = _orjson.OPT_PASSTHROUGH_DATETIME
    # Keys that are not strings (an int, an enum) need this option, which makes every dict
    # about twice as slow to encode; bodies with only string keys, nearly all, go without.
    _ORJSON_ANY_KEYS: Final = _ORJSON_OPTS | _orjson.OPT_NON_STR_KEYS

    def dumps(obj: Any) -> bytes:
        """Encode ``obj`` as compact UTF-8 JSON."""
        encoded: bytes
        try:
            encoded = _orjson.dumps(obj, default=_default, option=_ORJSON_OPTS)
        except _orjson.JSONEncodeError:
            encoded = _orjson.dumps(obj, default=_default, option=_ORJSON_ANY_KEYS)
        # orjson writes NaN and infinities as null, which would clear a field; refuse them as
        # the standard library does. Only bodies with a null can hold one, so most skip the check.
        if b"null" in encoded and _may_hold_non_finite(obj) and _non_finite(obj):
            raise ValueError(_NON_FINITE_MESSAGE)
        return encoded

    def loads(data: bytes | str) -> Any:
        """Decode JSON text or bytes."""
        return _orjson.loads(data)

    # What orjson must not encode by itself for `plain_fragment`: dates, which the SDK writes
    # in its own way, and dataclasses and subclasses of the built-in types, which the row
    # checks look at closely (a float subclass may hide a NaN from orjson).
    _PLAIN_ONLY: Final = (
        _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS
        | _orjson.OPT_PASSTHROUGH_SUBCLASS
    )

    # orjson.Fragment came with orjson 3.9; an older orjson, found installed, encodes rows
    # with the body instead.
    FRAGMENT_TYPE = getattr(_orjson, "Fragment", None)

    def plain_fragment(value: Any) -> Any:
        """``value`` encoded, as a piece of JSON that `dumps` puts into a body as it is, when
        it holds only what JSON carries as it is; else None.

        That is strings, integers from -2**63 to 2**64 - 1, finite floats, booleans, nulls,
        and lists, tuples and string-keyed dicts of them, plus enums (IntEnum and StrEnum
        included), UUIDs and fragments, which orjson writes as their value, their string and
        their text. Anything else, a date or a subclass of a built-in type included, gets
        None and the caller looks at the value more closely. One orjson pass checks and
        encodes: the bytes are the ones `dumps` would have written.
        """
        if FRAGMENT_TYPE is None:  # pragma: no cover - depends on the installed orjson
            return None
        try:
            encoded = _orjson.dumps(value, option=_PLAIN_ONLY)
        except _orjson.JSONEncodeError:
            return None
        # orjson writes NaN and infinities as null: only a value with a null may hold one.
        if b"null" in encoded and _may_hold_non_finite(value) and _non_finite(value):
            return None
        return FRAGMENT_TYPE(encoded)

    def encoded_fragment(value: Any) -> Any:
        """``value`` encoded by `dumps`, as a piece of JSON that `dumps` puts into a body as
        it is (None with an orjson too old for that); raises what `dumps` raises."""
        encoded = dumps(value)
        return None if FRAGMENT_TYPE is None else FRAGMENT_TYPE(encoded)

else:  # pragma: no cover - exercised when orjson is missing
    FRAGMENT_TYPE = None
    JSON_LIBRARY = "json"
    _ENCODER: Final = _json.JSONEncoder(
        separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
    )

    def dumps(obj: Any) -> bytes:
        """Encode ``obj`` as compact UTF-8 JSON."""
        try:
            text = _ENCODER.encode(obj)
        except ValueError as exc:
            if not str(exc).startswith("Out of range float"):
                raise
            # the same words as with orjson, and the fix
            raise ValueError(_NON_FINITE_MESSAGE) from None
        return text.encode("utf-8")

    def loads(data: bytes | str) -> Any:
        """Decode JSON text or bytes."""
        return _json.loads(data)

    def plain_fragment(value: Any) -> Any:
        """None: without orjson, a value is checked by its caller and encoded with the body."""
        return None

    def encoded_fragment(value: Any) -> Any:
        """None once `dumps` has encoded ``value``; raises what `dumps` raises.

        The standard library has no way to put encoded JSON into a body, so the body encodes
        the value again: the check costs one more encode, in the slow mode without orjson.
        """
        dumps(value)
        return None


# marshal writes a float as its eight little-endian IEEE bytes; those of a NaN or an infinity,
# whatever its payload, end with every exponent bit set: a byte >= 0xf0 then 0x7f or 0xff.
_EXPONENT_BYTES: Final = (b"\x7f", b"\xff")
_FLOAT_CODES: Final = (0x67, 0xE7)


def _may_hold_non_finite(value: Any) -> bool:
    """Whether ``value`` may hold a NaN or an infinity; ``False`` only when it cannot.

    A body with ``null`` in it (a cleared cell in one row out of ten, say) is serialised again
    by ``marshal``, which walks it in C at about orjson's speed and writes floats as raw IEEE
    bytes, whose few candidate bytes are then found with ``bytes.find``. Walking the body in
    Python instead costs some thirty times the orjson encode. A candidate (or a body
    ``marshal`` cannot take, such as one with datetimes) is confirmed by the exact walk, so
    the answer is never wrong.
    """
    try:
        packed = marshal.dumps(value)
    except ValueError:  # a type marshal does not know: let the exact walk decide
        return True
    for last in _EXPONENT_BYTES:
        at = packed.find(last, 8)
        while at != -1:
            # A float is its type code ("g", or 0xe7 when marshal may refer back to it) then
            # eight bytes; mantissa bytes alone seldom look like that, so few hits are false.
            if packed[at - 1] >= 0xF0 and packed[at - 8] in _FLOAT_CODES:
                return True
            at = packed.find(last, at + 1)
    return False


# Exact types the walk below passes over at once: nearly every leaf of a body is one.
_FINITE_LEAVES: Final = frozenset({str, int, bool, type(None)})


def _non_finite(value: Any) -> bool:
    """Whether ``value`` holds a NaN or an infinity anywhere orjson would write it as null."""
    # The exact types first: a body with a date (which marshal cannot take) is walked here
    # value by value, and the general checks below cost over twice as much per value.
    kind = type(value)
    if kind in _FINITE_LEAVES:
        return False
    if kind is float:
        return not math.isfinite(value)
    if kind is dict:
        return any(map(_non_finite, value.values()))
    if kind is list:
        return any(map(_non_finite, value))
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Mapping):
        return any(map(_non_finite, value.values()))
    if isinstance(value, (list, tuple, set, frozenset)):  # sets are sent as lists
        return any(map(_non_finite, value))
    if isinstance(value, enum.Enum):  # sent as its value
        return _non_finite(value.value)
    if _dataclasses.is_dataclass(value) and not isinstance(value, type):
        # orjson writes a dataclass instance as an object of all its fields
        return any(_non_finite(getattr(value, f.name)) for f in _dataclasses.fields(value))
    return False


def _iso(value: _dt.datetime) -> str:
    # JavaScript's toISOString: UTC, milliseconds, "Z"; naive datetimes are taken as UTC.
    if value.tzinfo is not None:
        try:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        except OverflowError:  # datetime.min or .max in a zone away from UTC
            raise ConfigurationError(
                f"the datetime {value.isoformat()} has no UTC form within years 1 to 9999"
            ) from None
    return value.isoformat(timespec="milliseconds") + "Z"


def encode_path_param(name: str, value: Any) -> str:
    """Percent-encode one path parameter as JavaScript's ``encodeURIComponent`` would.

    Args:
        name: the parameter's name, for error messages.
        value: its value; strings and integers are accepted.

    Raises:
        ConfigurationError: the value is empty, not a string or integer, or not encodable.
    """
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigurationError(
            f"path parameter {name!r} must be a string, not {type(value).__name__}"
        )
    try:
        text = str(value)
    except ValueError:  # an int past Python's limit on digits converted to text
        raise ConfigurationError(
            f"path parameter {name!r} is an integer too large to be an id"
        ) from None
    if not text:
        raise ConfigurationError(
            f"path parameter {name!r} is empty; pass the id of an existing resource"
        )
    if text in (".", ".."):
        # A bare dot segment would be resolved away by URL normalisation and hit another route.
        return text.replace(".", "%2E")
    return quote(check_text(f"path parameter {name!r}", text), safe=_PATH_SAFE)


def check_text(what: str, text: str, *, secret: bool = False) -> str:
    """Return ``text`` if it encodes as UTF-8, else raise `ConfigurationError` naming ``what``.

    A lone surrogate (``"\\ud800"``, from a bad decode upstream) has no UTF-8 form: it would
    either be dropped on the way or fail deep inside the transport.

    Args:
        what: the value, for the message (``"path parameter 'id'"``).
        text: the text to check.
        secret: when true the message never quotes the value.
    """
    if not isinstance(text, str):
        raise ConfigurationError(f"{what} must be a string, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        shown = "" if secret else f" {text!r:.80}"
        raise ConfigurationError(
            f"{what}{shown} holds a lone surrogate ({text[exc.start]!r} at index {exc.start}), "
            "which has no UTF-8 form; decode the source text properly "
            "(errors='surrogateescape' data cannot be sent)"
        ) from None
    return text


def encode_path(template: str, params: Mapping[str, Any] | None) -> str:
    """Fill ``{name}`` placeholders of a path template with encoded parameters."""
    if not params:
        if "{" in template:
            raise ConfigurationError(f"path {template!r} needs parameters but none were given")
        return template
    out = template
    for name, value in params.items():
        placeholder = "{" + name + "}"
        if placeholder not in out:
            raise ConfigurationError(f"path {template!r} has no parameter {name!r}")
        out = out.replace(placeholder, encode_path_param(name, value))
    if "{" in out:
        missing = out[out.index("{") + 1 : out.index("}")]
        raise ConfigurationError(f"path parameter {missing!r} of {template!r} was not given")
    return out


def _scalar(key: str, value: Any) -> str | None:
    """The query text of a scalar, or ``None`` when ``value`` is not a scalar."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # past Python's limit on digits converted to text
            raise ConfigurationError(
                f"query parameter {key!r} is an integer too large to send as text"
            ) from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(
                f"query parameter {key!r} is {value!r}: NaN and infinity cannot be sent; "
                "leave the parameter out or pass a finite number"
            )
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _scalar(key, value.value)
    return None


def _pairs(key: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, NotGiven):
        return
    text = _scalar(key, value)
    if text is not None:
        yield key, text
    elif isinstance(value, Mapping):
        for sub, item in value.items():
            yield from _pairs(f"{key}.{sub}", item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _pairs(key, item)
    else:
        raise ConfigurationError(
            f"query parameter {key!r} cannot be a {type(value).__name__}; "
            "use a string, number, boolean, date, list or dict"
        )


def encode_query(query: Mapping[str, Any] | None) -> str:
    """Encode query parameters as the API expects; returns ``""`` when nothing is to be sent.

    Lists repeat the key, dicts use dotted keys, ``None`` and ``""`` are sent as ``key=``;
    not-given values, empty lists and empty dicts are left out.
    """
    if not query:
        return ""
    if not isinstance(query, Mapping):
        raise ArgumentTypeError(
            f"query parameters must be a mapping of name to value, not {type(query).__name__}",
            argument="query",
        )
    parts: list[str] = []
    try:
        for name, value in query.items():
            if value.__class__ is str:
                # Most parameters are ids and tokens: no trip through the _pairs walk.
                parts.append(_quoted(name) + "=" + _quoted(value))
            elif not isinstance(value, NotGiven):
                parts.extend(_quoted(k) + "=" + _quoted(v) for k, v in _pairs(name, value))
    except (UnicodeEncodeError, TypeError):
        # Rare: walk again, checking each name and value, to say which one is at fault.
        for name, value in query.items():
            check_text("a query parameter name", name)
            for k, v in _pairs(name, value):
                check_text(f"query parameter {k!r}", v)
        raise ConfigurationError("the query parameters cannot be encoded") from None
    return "&".join(parts)


#: What ``quote(text, safe="")`` leaves as it is: ASCII letters, digits and ``_.-~``.
_UNRESERVED: Final = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quoted(text: str) -> str:
    """``text`` percent-encoded for a query. Ids and tokens need no escapes: one regex match
    tells so at a third of the cost of urllib's ``quote``, which encodes to bytes and back."""
    if _UNRESERVED(text) is not None:
        return text
    return quote(text, safe="")
