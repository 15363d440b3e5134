"""Page tokens: opaque, bound to their list and filters, stable when the list changes."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from botpress_async.testing import Emulator

from .world import call

pytestmark = pytest.mark.anyio


async def _users(emu: Emulator, session: aiohttp.ClientSession, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {emu.pat}", "x-bot-id": emu.bot_id}
    ids = []
    for n in range(count):
        _, made = await call(
            session, "POST", "/v1/chat/users", headers, {"tags": {"team": "a"}, "name": f"u{n}"}
        )
        ids.append(made["user"]["id"])
    return ids


def _headers(emu: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.pat}", "x-bot-id": emu.bot_id}


async def _page(
    emu: Emulator, session: aiohttp.ClientSession, params: dict[str, str]
) -> tuple[int, Any]:
    return await call(session, "GET", "/v1/chat/users", _headers(emu), params=params)


async def test_deleting_after_a_page_neither_skips_nor_repeats(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """Items deleted between pages vanish from the walk; every survivor comes exactly once."""
    ids = await _users(emu, session, 7)
    seen: list[str] = []
    params: dict[str, str] = {}
    deleted: set[str] = set()
    for _ in range(10):
        status, page = await _page(emu, session, params)
        assert status == 200, page
        seen += [u["id"] for u in page["users"]]
        if not deleted:
            # Delete the first item of the page just read and one not read yet.
            for victim in (seen[0], ids[-1]):
                await call(session, "DELETE", f"/v1/chat/users/{victim}", _headers(emu))
                deleted.add(victim)
        if "nextToken" not in page["meta"]:
            break
        params = {"nextToken": page["meta"]["nextToken"]}
    assert len(seen) == len(set(seen))
    assert set(seen) == set(ids) - {ids[-1]}


async def test_a_replayed_token_answers_the_same_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """Asking twice with one token (a retried request) answers the same items."""
    await _users(emu, session, 5)
    _, first = await _page(emu, session, {})
    token = {"nextToken": first["meta"]["nextToken"]}
    _, again = await _page(emu, session, token)
    _, replay = await _page(emu, session, token)
    assert [u["id"] for u in again["users"]] == [u["id"] for u in replay["users"]]
    assert {u["id"] for u in first["users"]}.isdisjoint(u["id"] for u in again["users"])


async def test_tokens_are_opaque_and_bound_to_their_filters(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """A token is no offset, and it is refused with other filters or made up by hand."""
    await _users(emu, session, 5)
    _, first = await _page(emu, session, {})
    token = first["meta"]["nextToken"]
    assert not token[1:].isdigit()
    status, body = await _page(emu, session, {"nextToken": token, "tags.team": "b"})
    assert (status, body["type"]) == (400, "InvalidPayload")
    assert "other filters" in body["message"]
    status, body = await _page(emu, session, {"nextToken": "p2"})
    assert (status, body["type"]) == (400, "InvalidPayload")
