"""Rules the documents state: formats, 405 with Allow, fault types, table-row type errors."""

from __future__ import annotations

import aiohttp
import pytest

from botpress_async.testing import Emulator
from botpress_async.testing._server import fault_type

from .world import World, call

pytestmark = pytest.mark.anyio


async def test_a_bad_email_is_refused(world: World, session: aiohttp.ClientSession) -> None:
    """An email field that is no address answers 400 naming the field."""
    body = {"email": "not-an-address", "role": "viewer"}
    status, err = await call(
        session, "POST", "/v1/admin/workspace-members", world.admin_headers(), body
    )
    assert (status, err["type"]) == (400, "InvalidPayload")
    assert "email" in err["message"]


async def test_405_says_which_methods_are_allowed(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """A known path with an unserved method answers 405 with an Allow header."""
    async with session.request("PATCH", "/v1/chat/users") as resp:
        assert resp.status == 405
        assert set(resp.headers["Allow"].split(", ")) == {"GET", "POST"}
        assert (await resp.json())["type"] == "MethodNotFound"


@pytest.mark.parametrize(
    ("status", "type_"),
    [(500, "Internal"), (502, "Unknown"), (503, "Unknown"), (504, "OperationTimeout")],
)
async def test_injected_faults_answer_the_type_errors_json_lists(
    emu: Emulator, session: aiohttp.ClientSession, status: int, type_: str
) -> None:
    """An injected 5xx answers the type errors.json gives its status, or Unknown when none."""
    assert fault_type(status) == type_
    emu.faults.add("status", status=status)
    headers = {"Authorization": f"Bearer {emu.pat}", "x-bot-id": emu.bot_id}
    code, body = await call(session, "GET", "/v1/chat/users", headers)
    assert (code, body["type"], body["code"]) == (status, type_, status)


async def test_a_row_outside_the_table_schema_is_invalid_data(
    world: World, session: aiohttp.ClientSession
) -> None:
    """A row with a column the table lacks, or a wrong type, answers 400 InvalidDataFormat."""
    headers = world.runtime_headers()
    for row in ({"nope": 1}, {"name": 42}):
        status, err = await call(
            session, "POST", "/v1/tables/WorldTable/rows", headers, {"rows": [row]}
        )
        assert (status, err["type"]) == (400, "InvalidDataFormat")
