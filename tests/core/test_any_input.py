"""Property: whatever ``call()`` is given, it sends the route it names or raises before sending.

Every operation of the five APIs is drawn, with values of every kind for its parameters
(lone surrogates, NaN, route words, bytes, objects, empty strings ...). The outcome must be
one of two: the SDK's `ConfigurationError` with nothing sent, or a request that reached
the route of that very operation. Any other exception (a bare TypeError, ValueError,
KeyError or UnicodeError from inside the SDK) fails the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botpress_async import AsyncClient, ConfigurationError
from botpress_async._call import route_of
from botpress_async._operations import OPERATIONS
from botpress_async._reserved import RESERVED
from tests.loopback import FAKE_PAT
from tests.sync.server import ThreadedServer, serve

ROUTE_WORDS = sorted({w for params in RESERVED.values() for ws in params.values() for w in ws})

# Text of any code point, lone surrogates included (hypothesis leaves them out by default).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
SCALARS = st.one_of(
    ANY_TEXT,
    st.sampled_from(["", ".", "..", "a/b", "%2e", *ROUTE_WORDS]),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.binary(max_size=4),
    st.builds(object),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(ANY_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    yield from serve()


@pytest.fixture(scope="module")
def runner(server: ThreadedServer) -> Iterator[tuple[asyncio.AbstractEventLoop, AsyncClient]]:
    loop = asyncio.new_event_loop()
    client = AsyncClient(
        FAKE_PAT, bot_id="bot-1", workspace_id="ws-1", api_url=server.url, max_retries=0
    )
    try:
        yield loop, client
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()


@st.composite
def operation_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    operation_id = draw(st.sampled_from(sorted(OPERATIONS)))
    params: dict[str, Any] = {}
    for p in OPERATIONS[operation_id].params:
        # Required parameters are mostly given, so most examples get past the missing check.
        if draw(st.integers(0, 9)) < (9 if p.required else 4):
            params[p.wire] = draw(VALUES)
    return operation_id, params


@given(operation_calls())
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_input_is_sent_right_or_refused_before_sending(
    runner: tuple[asyncio.AbstractEventLoop, AsyncClient],
    server: ThreadedServer,
    case: tuple[str, dict[str, Any]],
) -> None:
    loop, client = runner
    operation_id, params = case
    spec = OPERATIONS[operation_id]
    before = len(server.script.seen)
    try:
        loop.run_until_complete(client.call(operation_id, params))
    except ConfigurationError:
        assert len(server.script.seen) == before, "a refused call must send nothing"
        return
    assert len(server.script.seen) == before + 1
    seen = server.script.seen[-1]
    assert seen.method == spec.method
    assert route_of(spec.method, seen.raw_path) == spec, (
        f"{operation_id} with {params!r} reached {seen.method} {seen.path}"
    )
