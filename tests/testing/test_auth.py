"""Authentication and token scopes, exactly as the API describes them, and the token lifecycle."""

from __future__ import annotations

import aiohttp
import pytest

from botpress_async.testing import Emulator

from .world import call

pytestmark = pytest.mark.anyio

# One representative operation per API: (method, path, context header).
PROBES = {
    "runtime": ("GET", "/v1/chat/users", "x-bot-id"),
    "files": ("GET", "/v1/files", "x-bot-id"),
    "tables": ("GET", "/v1/tables", "x-bot-id"),
    "admin": ("GET", "/v1/admin/bots", "x-workspace-id"),
    "billing": ("GET", "/v2/billing/readonly", "x-workspace-id"),
}
REACH = {
    "pat": {"runtime", "files", "tables", "admin", "billing"},
    "bak": {"runtime", "files", "tables"},
    "iak": {"runtime", "files"},
}
MATRIX = [
    (kind, api, right)
    for kind in ("pat", "bak", "iak")
    for api in PROBES
    for right in (True, False)
]


def _context(emu: Emulator, header: str, right: bool) -> str:
    if header == "x-bot-id":
        return emu.bot_id if right else emu.other_bot_id
    return emu.workspace_id if right else emu.other_workspace_id


def _assert_error_shape(body: object, status: int, type_: str) -> None:
    assert isinstance(body, dict)
    assert set(body) == {"id", "code", "type", "message"}
    assert body["id"].startswith("err_")
    assert (body["code"], body["type"]) == (status, type_)


@pytest.mark.parametrize(
    ("kind", "api", "right"),
    MATRIX,
    ids=[f"{k}-{a}-{'own' if r else 'other'}" for k, a, r in MATRIX],
)
async def test_scope_matrix(
    emu: Emulator, session: aiohttp.ClientSession, kind: str, api: str, right: bool
) -> None:
    """Each token kind reaches its own APIs on its own bot or workspace only; the rest is 403."""
    method, path, header = PROBES[api]
    token = {"pat": emu.pat, "bak": emu.bak, "iak": emu.iak}[kind]
    headers = {"Authorization": f"Bearer {token}", header: _context(emu, header, right)}
    status, body = await call(session, method, path, headers)
    if api in REACH[kind] and right:
        assert status == 200, body
    else:
        assert status == 403, body
        _assert_error_shape(body, 403, "Forbidden")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer bp_pat_" + "x" * 40, "Basic abc", "Bearer ", "bp_pat_" + "x" * 40],
    ids=["missing", "unknown", "basic", "empty", "no-scheme"],
)
async def test_missing_or_unknown_token_is_401(
    emu: Emulator, session: aiohttp.ClientSession, authorization: str | None
) -> None:
    """No bearer token, or one the emulator never issued, gets 401 Unauthorized."""
    headers = {"x-bot-id": emu.bot_id}
    if authorization is not None:
        headers["Authorization"] = authorization
    status, body = await call(session, "GET", "/v1/chat/users", headers)
    assert status == 401
    _assert_error_shape(body, 401, "Unauthorized")


async def test_missing_bot_header_names_it(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """A runtime call without x-bot-id is refused with a message naming the header."""
    status, body = await call(
        session, "GET", "/v1/chat/users", {"Authorization": f"Bearer {emu.bak}"}
    )
    assert status == 400
    _assert_error_shape(body, 400, "InvalidPayload")
    assert "x-bot-id" in body["message"]


async def test_missing_workspace_header_names_it(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """An admin call that needs x-workspace-id is refused without it, naming the header."""
    status, body = await call(
        session, "GET", "/v1/admin/bots", {"Authorization": f"Bearer {emu.pat}"}
    )
    assert status == 400
    assert "x-workspace-id" in body["message"]


async def test_unknown_bot_is_404(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """A bot id that does not exist is a 404, not a silent success."""
    headers = {"Authorization": f"Bearer {emu.pat}", "x-bot-id": "bot_doesnotexist"}
    status, body = await call(session, "GET", "/v1/chat/users", headers)
    assert status == 404
    _assert_error_shape(body, 404, "ResourceNotFound")


async def test_pat_lifecycle(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """A PAT made through the API works at once and fails with 401 once deleted."""
    admin = {"Authorization": f"Bearer {emu.pat}"}
    status, made = await call(session, "POST", "/v1/admin/account/pats", admin, {"note": "ci"})
    assert status == 200
    new = {"Authorization": f"Bearer {made['pat']['value']}"}
    assert made["pat"]["value"].startswith("bp_pat_")
    status, _ = await call(session, "GET", "/v1/admin/account/me", new)
    assert status == 200
    status, listed = await call(session, "GET", "/v1/admin/account/pats", admin)
    assert made["pat"]["id"] in {p["id"] for p in listed["pats"]}
    assert all("value" not in p for p in listed["pats"])
    status, _ = await call(
        session, "DELETE", f"/v1/admin/account/pats/{made['pat']['id']}", admin, {}
    )
    assert status == 200
    status, body = await call(session, "GET", "/v1/admin/account/me", new)
    assert status == 401
    _assert_error_shape(body, 401, "Unauthorized")


async def test_bak_lifecycle(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """A bot key made through the admin API reaches its bot, then fails with 401 once deleted."""
    admin = {"Authorization": f"Bearer {emu.pat}", "x-workspace-id": emu.workspace_id}
    status, made = await call(
        session, "POST", "/v1/admin/bots/baks", admin, {"botId": emu.bot_id, "note": "ci"}
    )
    assert status == 200
    assert made["value"].startswith("bp_bak_")
    runtime = {"Authorization": f"Bearer {made['value']}", "x-bot-id": emu.bot_id}
    assert (await call(session, "GET", "/v1/tables", runtime))[0] == 200
    status, listed = await call(
        session, "GET", "/v1/admin/bots/baks", admin, params={"botId": emu.bot_id}
    )
    assert made["id"] in {k["id"] for k in listed["baks"]}
    status, _ = await call(session, "DELETE", f"/v1/admin/bots/baks/{made['id']}", admin, {})
    assert status == 200
    assert (await call(session, "GET", "/v1/tables", runtime))[0] == 401


async def test_iak_lifecycle(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """A self-hosted integration gets its own key through the API; deleting it revokes it."""
    admin = {"Authorization": f"Bearer {emu.pat}", "x-workspace-id": emu.workspace_id}
    status, made = await call(
        session, "POST", "/v1/admin/integrations/iaks", admin, {"integrationId": emu.integration_id}
    )
    assert status == 200
    assert not made["value"].startswith("bp_")
    runtime = {"Authorization": f"Bearer {made['value']}", "x-bot-id": emu.bot_id}
    assert (await call(session, "GET", "/v1/chat/conversations", runtime))[0] == 200
    assert (await call(session, "GET", "/v1/tables", runtime))[0] == 403
    status, _ = await call(
        session, "DELETE", f"/v1/admin/integrations/iaks/{made['id']}", admin, {}
    )
    assert status == 200
    assert (await call(session, "GET", "/v1/chat/conversations", runtime))[0] == 401


async def test_installing_an_integration_extends_its_key(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """An integration key reaches a new bot once the integration is installed in it."""
    admin = {"Authorization": f"Bearer {emu.pat}", "x-workspace-id": emu.workspace_id}
    _, made = await call(session, "POST", "/v1/admin/bots", admin, {"name": "second"})
    bot_id = made["bot"]["id"]
    runtime = {"Authorization": f"Bearer {emu.iak}", "x-bot-id": bot_id}
    assert (await call(session, "GET", "/v1/chat/users", runtime))[0] == 403
    status, _ = await call(
        session,
        "PUT",
        f"/v1/admin/bots/{bot_id}",
        admin,
        {"integrations": {emu.integration_id: {"enabled": True}}},
    )
    assert status == 200
    assert (await call(session, "GET", "/v1/chat/users", runtime))[0] == 200


async def test_tokens_stay_out_of_reprs(emu: Emulator) -> None:
    """No token value shows in the emulator's repr or in the repr of its token records."""
    texts = [repr(emu), *(repr(t) for t in emu.store.tokens.values())]
    for token in (emu.pat, emu.bak, emu.iak):
        assert all(token not in text for text in texts)
