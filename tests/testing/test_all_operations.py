"""Every one of the 197 operations answers 2xx with a body inside its response schema."""

from __future__ import annotations

import aiohttp
import pytest

from botpress_async.testing._spec import load_operations
from botpress_async.testing._validation import Validators

from .world import World, valid_request

pytestmark = pytest.mark.anyio

OPERATIONS = load_operations()
VALIDATORS = Validators()
# callAction runs on an integration's URL, which this world has none of (tests/serve covers it).
ANSWERED_HERE = [op for op in OPERATIONS if op.operation_id != "callAction"]


def test_the_documents_hold_197_operations() -> None:
    """The vendored documents describe the 197 operations the emulator serves."""
    assert len(OPERATIONS) == 197
    assert len({op.operation_id for op in OPERATIONS}) == 197


@pytest.mark.parametrize("op", ANSWERED_HERE, ids=[op.operation_id for op in ANSWERED_HERE])
async def test_operation_answers_within_its_schema(
    op: object, world: World, session: aiohttp.ClientSession
) -> None:
    """A valid request gets a success status and an answer its response schema accepts."""
    from botpress_async.testing._spec import Operation

    assert isinstance(op, Operation)
    path, query, body = valid_request(world, op)
    headers = world.headers_for(op)
    async with session.request(op.method, path, params=query, json=body, headers=headers) as resp:
        answer = await resp.json()
        assert resp.status == op.status, answer
    VALIDATORS.check_response(op, answer)
