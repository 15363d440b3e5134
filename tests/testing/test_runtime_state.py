"""Runtime semantics: getOrCreate idempotency, pagination, states with expiry, validation."""

from __future__ import annotations

import aiohttp
import pytest

from botpress_async.testing import Emulator

from .world import World, call

pytestmark = pytest.mark.anyio


async def test_get_or_create_user_is_idempotent(
    world: World, session: aiohttp.ClientSession
) -> None:
    """The same discriminating tags give back the same user, flagged as not created."""
    h = world.runtime_headers()
    body = {"tags": {"email": "a@example.com"}}
    s1, first = await call(session, "POST", "/v1/chat/users/get-or-create", h, body)
    s2, second = await call(session, "POST", "/v1/chat/users/get-or-create", h, body)
    assert (s1, s2) == (200, 200)
    assert first["meta"]["created"] is True
    assert second["meta"]["created"] is False
    assert first["user"]["id"] == second["user"]["id"]


async def test_get_or_create_conversation_discriminates_by_chosen_tags(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Only the tags named in discriminateByTags decide whether a conversation is the same."""
    h = world.runtime_headers()
    base = {"channel": "web", "discriminateByTags": ["thread"]}
    _, a = await call(
        session,
        "POST",
        "/v1/chat/conversations/get-or-create",
        h,
        {**base, "tags": {"thread": "1", "x": "a"}},
    )
    _, b = await call(
        session,
        "POST",
        "/v1/chat/conversations/get-or-create",
        h,
        {**base, "tags": {"thread": "1", "x": "b"}},
    )
    _, c = await call(
        session,
        "POST",
        "/v1/chat/conversations/get-or-create",
        h,
        {**base, "tags": {"thread": "2"}},
    )
    assert a["conversation"]["id"] == b["conversation"]["id"] != c["conversation"]["id"]
    assert [a["meta"]["created"], b["meta"]["created"], c["meta"]["created"]] == [True, False, True]


async def test_get_or_create_message_and_workflow_are_idempotent(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Repeating getOrCreateMessage or getOrCreateWorkflow creates nothing the second time."""
    h, ids = world.runtime_headers(), world.ids
    msg = {
        "payload": {},
        "userId": ids["user"],
        "conversationId": ids["conv"],
        "type": "text",
        "tags": {"externalId": "42"},
    }
    _, m1 = await call(session, "POST", "/v1/chat/messages/get-or-create", h, msg)
    _, m2 = await call(session, "POST", "/v1/chat/messages/get-or-create", h, msg)
    assert m1["message"]["id"] == m2["message"]["id"]
    assert m2["meta"]["created"] is False
    flow = {"name": "onboarding", "status": "pending", "tags": {"k": "v"}}
    _, w1 = await call(session, "POST", "/v1/chat/workflows/get-or-create", h, flow)
    _, w2 = await call(session, "POST", "/v1/chat/workflows/get-or-create", h, flow)
    assert w1["workflow"]["id"] == w2["workflow"]["id"]
    _, conv = await call(session, "GET", f"/v1/chat/conversations/{ids['conv']}", h)
    assert conv["conversation"]["messageCount"] == 2


async def test_pagination_walks_every_item_once(
    world: World, session: aiohttp.ClientSession
) -> None:
    """With pages of two, nextToken walks all users once and is absent on the last page."""
    h = world.runtime_headers()
    for i in range(4):
        await call(session, "POST", "/v1/chat/users", h, {"tags": {"n": str(i)}})
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        params = {"nextToken": token} if token else None
        status, page = await call(session, "GET", "/v1/chat/users", h, params=params)
        assert status == 200
        assert len(page["users"]) <= 2
        seen += [u["id"] for u in page["users"]]
        token = page["meta"].get("nextToken")
        if token is None:
            break
    assert len(seen) == 5
    assert len(set(seen)) == 5


async def test_page_size_is_configurable(
    emu: Emulator, world: World, session: aiohttp.ClientSession
) -> None:
    """Changing page_size on a running emulator changes the next list's page length."""
    h = world.runtime_headers()
    for _ in range(3):
        await call(session, "POST", "/v1/chat/users", h, {"tags": {}})
    emu.page_size = 3
    _, page = await call(session, "GET", "/v1/chat/users", h)
    assert len(page["users"]) == 3


async def test_list_filters_by_tags(world: World, session: aiohttp.ClientSession) -> None:
    """Query tags (tags.key=value) narrow a conversation list."""
    h = world.runtime_headers()
    await call(
        session, "POST", "/v1/chat/conversations", h, {"channel": "web", "tags": {"color": "blue"}}
    )
    _, page = await call(session, "GET", "/v1/chat/conversations", h, params={"tags.color": "blue"})
    assert [c["tags"]["color"] for c in page["conversations"]] == ["blue"]


async def test_state_expires_with_the_emulator_clock(
    emu: Emulator, world: World, session: aiohttp.ClientSession
) -> None:
    """A state set with an expiry is found before it and gone (404) after it."""
    h = world.runtime_headers()
    path = f"/v1/chat/states/user/{world.ids['user']}/session"
    status, _ = await call(session, "POST", path, h, {"payload": {"step": 1}, "expiry": 60_000})
    assert status == 200
    status, got = await call(session, "GET", path, h)
    assert (status, got["state"]["payload"]) == (200, {"step": 1})
    emu.advance_time(61)
    status, body = await call(session, "GET", path, h)
    assert (status, body["type"]) == (404, "ResourceNotFound")


async def test_state_patch_get_or_set_and_expiry_removal(
    emu: Emulator, world: World, session: aiohttp.ClientSession
) -> None:
    """patchState merges, getOrSet keeps an existing state, a null expiry makes it permanent."""
    h = world.runtime_headers()
    path = f"/v1/chat/states/bot/{emu.bot_id}/config"
    await call(session, "POST", path, h, {"payload": {"a": 1}, "expiry": 1000})
    _, patched = await call(session, "PATCH", path, h, {"payload": {"b": 2}})
    assert patched["state"]["payload"] == {"a": 1, "b": 2}
    _, kept = await call(session, "POST", path + "/get-or-set", h, {"payload": {"c": 3}})
    assert kept["state"]["payload"] == {"a": 1, "b": 2}
    await call(session, "POST", path + "/expiry", h, {"expiry": None})
    emu.advance_time(10)
    status, _ = await call(session, "GET", path, h)
    assert status == 200


async def test_invalid_payload_names_the_field(
    world: World, session: aiohttp.ClientSession
) -> None:
    """A body that breaks the schema gets 400 InvalidPayload with the field in the message."""
    h = world.runtime_headers()
    status, body = await call(session, "POST", "/v1/chat/conversations", h, {"tags": {}})
    assert (status, body["type"]) == (400, "InvalidPayload")
    assert "channel" in body["message"]
    status, body = await call(session, "POST", "/v1/chat/users", h, {"tags": {"k": 5}})
    assert status == 400
    assert "tags.k" in body["message"]


async def test_messages_need_an_existing_conversation(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Creating a message in a conversation that does not exist is a 404."""
    h = world.runtime_headers()
    body = {
        "payload": {},
        "userId": world.ids["user"],
        "conversationId": "conv_" + "0" * 26,
        "type": "text",
        "tags": {},
    }
    status, answer = await call(session, "POST", "/v1/chat/messages", h, body)
    assert (status, answer["type"]) == (404, "ResourceNotFound")


async def test_participants_and_deletes(world: World, session: aiohttp.ClientSession) -> None:
    """Removing a participant and deleting a conversation are visible to the next reads."""
    h, ids = world.runtime_headers(), world.ids
    conv = f"/v1/chat/conversations/{ids['conv']}"
    assert (await call(session, "GET", f"{conv}/participants/{ids['user']}", h))[0] == 200
    assert (await call(session, "DELETE", f"{conv}/participants/{ids['user']}", h, {}))[0] == 200
    assert (await call(session, "GET", f"{conv}/participants/{ids['user']}", h))[0] == 404
    assert (await call(session, "DELETE", conv, h, {}))[0] == 200
    assert (await call(session, "GET", conv, h))[0] == 404
    assert (await call(session, "GET", f"/v1/chat/messages/{ids['msg']}", h))[0] == 404


async def test_unknown_route_and_method(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """An unknown path is 404 and a known path with the wrong method is 405, both in API shape."""
    h = {"Authorization": f"Bearer {emu.pat}"}
    status, body = await call(session, "GET", "/v1/nothing/here", h)
    assert (status, body["type"]) == (404, "ResourceNotFound")
    status, body = await call(session, "PATCH", "/v1/chat/users", h, {})
    assert (status, body["type"]) == (405, "MethodNotFound")
