"""The pure encoders: path parameters, query strings and JSON bodies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import re
import uuid
from urllib.parse import parse_qsl, quote, unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from botpress_async import NOT_GIVEN, ConfigurationError
from botpress_async._encoding import (
    JSON_LIBRARY,
    _non_finite,
    _quoted,
    dumps,
    encode_path,
    encode_path_param,
    encode_query,
    loads,
    plain_fragment,
)

UNRESERVED_PATH = re.compile(r"[A-Za-z0-9\-_.!~*'()%]*")
UNRESERVED_QUERY = re.compile(r"[A-Za-z0-9\-_.~%]*")


@given(st.text(min_size=1))
@settings(max_examples=300, deadline=None)
def test_path_param_round_trips_and_stays_one_segment(value: str) -> None:
    """Any non-empty text encodes to one segment of safe characters that decodes back."""
    encoded = encode_path_param("id", value)
    assert UNRESERVED_PATH.fullmatch(encoded)
    assert "/" not in encoded
    assert encoded not in (".", "..")
    assert unquote(encoded, errors="strict") == value


def test_path_param_matches_encode_uri_component() -> None:
    """The characters JavaScript leaves alone are left alone, the rest escaped in UTF-8."""
    assert encode_path_param("id", "a-_.!~*'()b") == "a-_.!~*'()b"
    assert encode_path_param("id", "a/b?c#d&e=f+g h") == "a%2Fb%3Fc%23d%26e%3Df%2Bg%20h"
    assert encode_path_param("id", "é☃") == "%C3%A9%E2%98%83"
    assert encode_path_param("n", 42) == "42"


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segments_cannot_change_the_route(value: str) -> None:
    """`.` and `..` are escaped so URL normalisation cannot resolve them away."""
    assert encode_path("/v1/chat/users/{id}", {"id": value}) == "/v1/chat/users/" + value.replace(
        ".", "%2E"
    )


def test_path_errors() -> None:
    """Empty, missing and unknown parameters are errors before any request."""
    with pytest.raises(ConfigurationError, match="empty"):
        encode_path("/x/{id}", {"id": ""})
    with pytest.raises(ConfigurationError, match="not given"):
        encode_path("/x/{id}/{key}", {"id": "a"})
    with pytest.raises(ConfigurationError, match="no parameter"):
        encode_path("/x/{id}", {"id": "a", "other": "b"})
    with pytest.raises(ConfigurationError):
        encode_path("/x/{id}", {"id": None})


def test_query_rules_from_the_wire_format() -> None:
    """Lists repeat, dicts dot, booleans are words, None and '' are `key=`, empties vanish."""
    query = {
        "participantIds": ["a", "b"],
        "tags": {"foo": "bar", "neg": {"not": "z"}},
        "flag": True,
        "off": False,
        "n": 3,
        "f": 2.5,
        "whole": 2.0,
        "none": None,
        "blank": "",
        "empty_list": [],
        "empty_dict": {},
        "skip": NOT_GIVEN,
        "date": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
    }
    assert encode_query(query) == (
        "participantIds=a&participantIds=b&tags.foo=bar&tags.neg.not=z&flag=true&off=false"
        "&n=3&f=2.5&whole=2&none=&blank=&date=2024-01-02T03%3A04%3A05.000Z"
    )


def test_query_percent_encoding() -> None:
    """Everything outside A-Z a-z 0-9 - _ . ~ is escaped; space is %20, never +."""
    assert encode_query({"q": "a b+c/d?é~"}) == "q=a%20b%2Bc%2Fd%3F%C3%A9~"
    assert encode_query({"k y": "v"}) == "k%20y=v"
    assert encode_query({}) == ""
    assert encode_query(None) == ""


scalars = st.one_of(st.text(), st.integers(), st.booleans(), st.none())
values = st.one_of(
    scalars,
    st.lists(st.text(), max_size=4),
    st.dictionaries(st.text(min_size=1, alphabet="abcxyz_"), st.text(), max_size=3),
)


@given(st.dictionaries(st.text(min_size=1, alphabet="abcdefXYZ"), values, max_size=6))
@settings(max_examples=300, deadline=None)
def test_query_round_trips(query: dict[str, object]) -> None:
    """The encoded query decodes back to the same pairs, and uses only safe characters."""
    encoded = encode_query(query)
    for part in encoded.split("&") if encoded else []:
        key, _, value = part.partition("=")
        assert UNRESERVED_QUERY.fullmatch(key)
        assert UNRESERVED_QUERY.fullmatch(value)
        assert "+" not in part
    expected: list[tuple[str, str]] = []
    for key, value in query.items():
        if isinstance(value, list):
            expected += [(key, v) for v in value]
        elif isinstance(value, dict):
            expected += [(f"{key}.{k}", v) for k, v in value.items()]
        elif value is None:
            expected.append((key, ""))
        elif isinstance(value, bool):
            expected.append((key, "true" if value else "false"))
        else:
            expected.append((key, str(value)))
    decoded = parse_qsl(encoded, keep_blank_values=True) if encoded else []
    # parse_qsl turns "+" into space; the encoder never emits "+", so compare after unquoting.
    assert (
        [(unquote(k), unquote(v)) for k, v in (p.split("=", 1) for p in encoded.split("&"))]
        == (expected)
        if encoded
        else expected == []
    )
    assert len(decoded) == len(expected)


@given(st.one_of(st.text(), st.text(alphabet="azAZ09_.~-%+/ é")))
@settings(max_examples=300, deadline=None)
def test_the_quoting_shortcut_equals_urllib(text: str) -> None:
    """Skipping ``quote`` for text that needs no escapes changes no query."""
    try:
        expected = quote(text, safe="")
    except UnicodeEncodeError:  # a lone surrogate: the shortcut must not take it either
        with pytest.raises(UnicodeEncodeError):
            _quoted(text)
        return
    assert _quoted(text) == expected


def test_query_refuses_unencodable_values() -> None:
    """Objects the API cannot read are refused with the parameter's name."""
    with pytest.raises(ConfigurationError, match="'bad'"):
        encode_query({"bad": object()})
    with pytest.raises(ValueError, match="nan"):
        encode_query({"x": float("nan")})


@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text()),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(), children, max_size=4)
        ),
        max_leaves=20,
    )
)
@settings(max_examples=300, deadline=None)
def test_json_is_compact_utf8_and_round_trips(value: object) -> None:
    """Bodies equal the stdlib's compact, non-ASCII-preserving encoding and decode back."""
    encoded = dumps(value)
    assert encoded == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert loads(encoded) == value


def test_json_dates_and_errors() -> None:
    """Datetimes become ISO strings in UTC; unknown objects are refused clearly."""
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert dumps({"at": when}) == b'{"at":"2024-05-06T05:08:09.123Z"}'
    with pytest.raises(TypeError, match="object"):
        dumps({"x": object()})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_refused(value: float) -> None:
    """NaN and infinities are refused whichever JSON library is installed, never sent as null."""
    with pytest.raises(ValueError, match="NaN"):
        dumps({"a": None, "b": [value]})


@given(
    st.recursive(
        st.one_of(
            st.none(),
            # Huge finite values, both infinities, and the NaNs Python and numpy make (signed or
            # not); a NaN with a hand-made payload is the documented exception of the quick check.
            st.floats(allow_nan=False),
            st.sampled_from([math.nan, -math.nan, float("-nan"), math.inf - math.inf]),
            st.integers(-(2**63), 2**63 - 1),
            st.text(),
            st.dates(),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.tuples(children, children),
            st.dictionaries(st.text(max_size=3), children, max_size=5),
        ),
        max_leaves=30,
    )
)
@settings(max_examples=200, deadline=None)
def test_bodies_with_nulls_refuse_exactly_the_non_finite_numbers(value: object) -> None:
    """The quick check for NaN behind a null never lets one through and never refuses a body
    without one, whatever else the body holds (dates and tuples take the slow, exact way)."""
    body = {"cleared": None, "value": value}
    if _non_finite(value):  # the exact walk in Python is the oracle of the quick check
        with pytest.raises(ValueError, match="NaN"):
            dumps(body)
    else:
        assert b'"cleared":null' in dumps(body)


class _Odd(enum.Enum):
    NAN = math.nan


@dataclasses.dataclass
class _Point:
    x: float
    tags: frozenset[float] = frozenset()


@pytest.mark.parametrize(
    "value",
    [
        {math.nan},
        frozenset({math.inf}),
        _Odd.NAN,
        _Point(math.nan),
        _Point(1.0, frozenset({-math.inf})),
    ],
    ids=["set", "frozenset", "enum", "dataclass", "dataclass-set"],
)
def test_non_finite_numbers_inside_sets_enums_and_dataclasses_are_refused(value: object) -> None:
    """Sets go out as lists, enums as their value and dataclasses as objects, so a NaN inside
    one would be written as null: it is refused like a bare one, with or without other nulls."""
    for body in ({"v": value}, {"cleared": None, "v": [value]}):
        with pytest.raises(ValueError, match="NaN"):
            dumps(body)
    assert dumps({"v": _Point(1.5)}) == b'{"v":{"x":1.5,"tags":[]}}'


def test_non_string_keys_are_still_sent() -> None:
    """Integer keys are written as strings, as before, though most bodies skip that option."""
    assert dumps({1: None, "a": {2: [1.5]}}) == b'{"1":null,"a":{"2":[1.5]}}'


class _Shade(enum.Enum):
    DARK = "dark"


class _Text(str):
    pass


class _Count(enum.IntEnum):
    ONE = 1


class _Label(str, enum.Enum):
    A = "a"


class _Ratio(float):
    pass


def _sent_as_is(value: object) -> bool:
    """The oracle of `plain_fragment`: whether orjson alone writes ``value`` as `dumps` would."""
    kind = type(value)
    if kind in (str, bool, type(None), uuid.UUID, _Shade, _Count, _Label):
        return True
    if kind is int:
        return -(2**63) <= value < 2**64  # type: ignore[operator]
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    if kind in (list, tuple):
        return all(map(_sent_as_is, value))  # type: ignore[call-overload]
    if kind is dict:
        items = value.items()  # type: ignore[attr-defined]
        return all(type(k) is str and _sent_as_is(v) for k, v in items)
    return False


@pytest.mark.skipif(JSON_LIBRARY != "orjson", reason="fragments need orjson")
@given(
    st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.floats(),
            st.integers(-(2**64), 2**65),
            st.text(),
            st.dates(),
            st.uuids(),
            st.just(_Shade.DARK),
            st.text().map(_Text),
            st.just(b"raw"),
            st.just({1, 2}),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.tuples(children, children),
            st.dictionaries(
                st.one_of(st.text(max_size=3), st.integers(0, 3)), children, max_size=4
            ),
        ),
        max_leaves=20,
    )
)
@example(math.nan)
@example([None, math.inf])
@example({"a": [None, -math.nan]})
@example([_Count.ONE, _Label.A])
@example(2**64 - 1)
@example(2**64)
@example(-(2**63) - 1)
@example([_Ratio(0.5)])
@settings(max_examples=300, deadline=None)
def test_a_plain_fragment_is_the_bytes_dumps_writes(value: object) -> None:
    """A value of plain JSON kinds becomes a fragment whose body bytes are those `dumps`
    writes for the value itself; anything else (a date, a str subclass, NaN, a set, bytes, a
    key that is not a string, an integer past 64 bits) gets None, to be checked closely."""
    fragment = plain_fragment(value)
    assert (fragment is not None) == _sent_as_is(value)
    if fragment is not None:
        assert dumps({"rows": fragment, "n": None}) == dumps({"rows": value, "n": None})
