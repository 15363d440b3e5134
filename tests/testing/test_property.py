"""A property-based run over every operation: generated requests never get a 5xx, and every
answer the emulator gives stays inside the document's response schema."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botpress_async.testing import Emulator
from botpress_async.testing._spec import Operation, load_operations
from botpress_async.testing._validation import Validators

from .strategies import from_schema
from .world import World, build_world, valid_request

OPERATIONS = load_operations()
VALIDATORS = Validators()


def _pairs(key: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, bool):
        yield key, "true" if value else "false"
    elif value is None:
        yield key, ""
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(key, item)
    elif isinstance(value, dict):
        for sub, item in value.items():
            yield from _pairs(f"{key}.{sub}", item)
    else:
        yield key, str(value)


def _segment(text: str) -> str:
    return text.replace(".", "%2E") if text in (".", "..") else quote(text, safe="")


@st.composite
def _requests(draw: st.DrawFn, world: World) -> tuple[Operation, str, str, Any]:
    op = draw(st.sampled_from(OPERATIONS))
    path, query, body = valid_request(world, op)
    destructive = op.method == "DELETE" or op.operation_id.startswith(("delete", "remove"))
    if op.path_params and (destructive or draw(st.integers(0, 4)) == 0):
        # Aim at resources that do not exist: sometimes, and always for deletes, so that the
        # shared world keeps its resources for the other examples.
        path = op.template
        for param in op.path_params:
            path = path.replace(
                "{" + param.name + "}", _segment(draw(st.text(min_size=1, max_size=8)))
            )
    for param in op.query_params:
        if not param.required and draw(st.booleans()):
            query += list(_pairs(param.name, draw(from_schema(param.schema))))
    if op.body_schema is not None and draw(st.booleans()):
        body = draw(from_schema(op.body_schema))
    return op, path, urlencode(query, quote_via=quote), body


def _send(world: World, op: Operation, path: str, query: str, body: Any) -> tuple[int, Any]:
    emu = world.emu
    headers = (
        world.runtime_headers()
        if op.api in ("runtime", "files", "tables")
        else world.admin_headers()
    )
    data = None
    if op.method != "GET":
        data = json.dumps(body if body is not None else {}).encode()
        headers["content-type"] = "application/json"
    url = f"{emu.url}{path}" + (f"?{query}" if query else "")
    request = urllib.request.Request(  # noqa: S310 - an http URL on loopback
        url, data=data, headers=headers, method=op.method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - same URL
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def _world(emu: Emulator) -> World:
    async with aiohttp.ClientSession(emu.url) as session:
        return await build_world(emu, session)


def test_generated_requests_never_break_the_emulator() -> None:
    """Schema-generated requests to all operations get no 5xx and only schema-valid answers."""
    with Emulator(seed=11, page_size=3, validate_responses=True).run_in_thread() as emu:
        world = asyncio.run(_world(emu))

        @settings(
            max_examples=800,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(_requests(world))
        def check(request: tuple[Operation, str, str, Any]) -> None:
            op, path, query, body = request
            status, answer = _send(world, op, path, query, body)
            assert status < 500, (op.operation_id, path, query, body, answer)
            if 200 <= status < 300:
                VALIDATORS.check_response(op, answer)
            else:
                assert set(answer) == {"id", "code", "type", "message"}
                assert answer["code"] == status

        check()
