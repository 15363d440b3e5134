"""What the generated methods put on the wire, and how the pagers walk pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from botpress_async import AsyncClient, ConfigurationError
from botpress_async.models.runtime import CreateEventBodySchedule, ListUsersResponse, User
from tests.loopback import FAKE_PAT, Script

pytestmark = pytest.mark.anyio

USER: dict[str, Any] = {"id": "u", "createdAt": "x", "updatedAt": "y", "tags": {}}


def _client(server: Script) -> AsyncClient:
    return AsyncClient(FAKE_PAT, bot_id="bot-1", workspace_id="ws-1", api_url=server.url)


def _pages(server: Script, count: int, per_page: int = 2) -> None:
    """Queue ``count`` pages of users; every page but the last points at the next."""
    for n in range(count):
        meta = {"nextToken": f"t{n + 1}"} if n < count - 1 else {}
        users = [{**USER, "id": f"u{n}-{i}"} for i in range(per_page)]
        server.reply(body={"users": users, "meta": meta})


async def test_body_sends_null_for_none_and_leaves_out_not_given(server: Script) -> None:
    """None is sent as JSON null; arguments not given are not sent at all."""
    server.reply(body={})
    async with _client(server) as client:
        await client.runtime.configure_integration(identifier=None)
    assert json.loads(server.seen[0].body) == {"identifier": None}


async def test_nested_model_argument_is_encoded_with_wire_names(server: Script) -> None:
    """A model argument travels as its camelCase JSON object."""
    event = {"id": "e", "createdAt": "x", "type": "t", "payload": {}, "status": "scheduled"}
    server.reply(body={"event": {**event, "failureReason": None}})
    async with _client(server) as client:
        await client.runtime.create_event(
            type="t",
            payload={},
            schedule=CreateEventBodySchedule(date_time="2026-01-01T00:00:00.000Z"),
        )
    sent = json.loads(server.seen[0].body)
    assert sent["schedule"] == {"dateTime": "2026-01-01T00:00:00.000Z"}


async def test_query_and_header_arguments(server: Script) -> None:
    """Query arguments use their wire names and encoding; header parameters are headers."""
    server.reply(body={"users": [], "meta": {}})
    server.reply(body={"file": _file()})
    async with _client(server) as client:
        await client.runtime.list_users(conversation_id="c 1", tags={"k": "v"})
        await client.files.copy_file(
            id_or_key="a/b", destination_key="k", x_destination_bot_id="bot-2"
        )
    assert server.seen[0].query_string == "conversationId=c%201&tags.k=v"
    assert server.seen[1].raw_path == "/v1/files/a%2Fb/k"
    assert server.seen[1].headers["x-destination-bot-id"] == "bot-2"


def _file() -> dict[str, Any]:
    return {
        "id": "f",
        "botId": "b",
        "key": "k",
        "url": "https://example.com/f",
        "size": None,
        "contentType": "text/plain",
        "tags": {},
        "metadata": {},
        "createdAt": "x",
        "updatedAt": "y",
        "accessPolicies": [],
        "index": False,
        "status": "upload_pending",
        "owner": {"type": "bot", "id": "b"},
    }


async def test_per_call_options(server: Script) -> None:
    """extra_query, extra_headers and extra_body reach the wire next to the method's own."""
    server.reply(body={"users": [], "meta": {}})
    server.reply(body={"user": USER})
    async with _client(server) as client:
        await client.runtime.list_users(extra_query={"pageSize": 5}, extra_headers={"x-a": "1"})
        await client.runtime.create_user(tags={}, extra_body={"newField": True})
    assert server.seen[0].query_string == "pageSize=5"
    assert server.seen[0].headers["x-a"] == "1"
    assert json.loads(server.seen[1].body) == {"tags": {}, "newField": True}


async def test_required_context_header_is_checked_before_sending(server: Script) -> None:
    """A runtime call without a bot id fails before any request."""
    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="bot"):
            await client.runtime.get_user(id="u")
    assert server.seen == []


async def test_pager_walks_items_lazily(server: Script) -> None:
    """async for fetches a page only when the previous page's items are used up."""
    _pages(server, 3)
    async with _client(server) as client:
        seen_at: list[int] = []
        ids = []
        async for user in client.runtime.list_users():
            assert isinstance(user, User)
            ids.append(user.id)
            seen_at.append(len(server.seen))
    assert ids == ["u0-0", "u0-1", "u1-0", "u1-1", "u2-0", "u2-1"]
    assert seen_at == [1, 1, 2, 2, 3, 3]
    assert [s.query_string for s in server.seen] == ["", "nextToken=t1", "nextToken=t2"]


async def test_pager_pages_and_first_page(server: Script) -> None:
    """pages() yields the response models; awaiting the pager gives the first page only."""
    _pages(server, 2)
    _pages(server, 1)
    async with _client(server) as client:
        pages = [page async for page in client.runtime.list_users().pages()]
        first = await client.runtime.list_users()
    assert [type(p) for p in pages] == [ListUsersResponse, ListUsersResponse]
    assert pages[0].meta.next_token == "t1"
    assert isinstance(first, ListUsersResponse)
    assert len(server.seen) == 3


async def test_pager_collect_stops_at_limit(server: Script) -> None:
    """collect(limit=...) returns that many items and fetches no page past them."""
    _pages(server, 3)
    async with _client(server) as client:
        users = await client.runtime.list_users().collect(limit=3)
    assert [u.id for u in users] == ["u0-0", "u0-1", "u1-0"]
    assert len(server.seen) == 2


async def test_pager_reuses_first_page_and_starts_at_given_token(server: Script) -> None:
    """An awaited pager does not fetch its first page again; next_token is where it starts."""
    _pages(server, 2)
    async with _client(server) as client:
        pager = client.runtime.list_users(next_token="t5")
        first = await pager.first_page()
        items = await pager.collect()
    assert first.users[0].id == "u0-0"
    assert len(items) == 4
    assert [s.query_string for s in server.seen] == ["nextToken=t5", "nextToken=t1"]


async def test_pager_stops_on_a_repeated_token(server: Script) -> None:
    """A server answering the same token again ends the walk instead of looping."""
    page = {"users": [USER], "meta": {"nextToken": "same"}}
    server.reply(body=page)
    server.reply(body=page)
    server.reply(body=page)
    async with _client(server) as client:
        users = await client.runtime.list_users().collect()
    assert len(users) == 2
    assert len(server.seen) == 2


async def test_top_level_token_pagination(server: Script) -> None:
    """Operations whose response carries nextToken at the top level page the same way."""
    log = {"timestamp": "x", "level": "info", "message": "m"}
    server.reply(body={"logs": [log], "nextToken": "n1"})
    server.reply(body={"logs": [log, log]})
    async with AsyncClient(FAKE_PAT, workspace_id="ws-1", api_url=server.url) as client:
        logs = await client.admin.get_bot_logs(
            id="b", time_start="2026-01-01", time_end="2026-01-02"
        ).collect()
    assert len(logs) == 3
    assert server.seen[1].query_string.endswith("nextToken=n1")


async def test_call_rejects_bad_input_before_sending(server: Script) -> None:
    """Unknown ids, missing or mistyped parameters and unknown keys fail without a request."""
    async with _client(server) as client:
        with pytest.raises(ConfigurationError, match="did you mean 'getUser'"):
            await client.call("getUsr", {})
        with pytest.raises(ConfigurationError, match="missing required path parameter 'id'"):
            await client.call("getUser", {})
        with pytest.raises(ConfigurationError, match="'id' must be a JSON string"):
            await client.call("getUser", {"id": 3})
        with pytest.raises(ConfigurationError, match="must be a JSON number"):
            await client.call("upsertFile", {"key": "k", "size": True})
        with pytest.raises(ConfigurationError, match="unknown parameter"):
            await client.call("getUser", {"id": "u", "pageSize": 3})
        with pytest.raises(ConfigurationError, match="mapping"):
            await client.call("getUser", ["u"])  # type: ignore[arg-type]
    assert server.seen == []


async def test_call_sorts_parameters_by_location(server: Script) -> None:
    """call() puts path, query, header and body fields where the document says."""
    server.reply(body={"file": _file()})

    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response({"users": [], "meta": {}})

    server.reply_with(echo)
    async with _client(server) as client:
        await client.call(
            "copyFile",
            {
                "idOrKey": "a",
                "destinationKey": "b",
                "xDestinationBotId": "bot-2",
                "overwrite": True,
            },
        )
        await client.call("listUsers", {"conversationId": "c"}, extra_query={"pageSize": 2})
    assert server.seen[0].raw_path == "/v1/files/a/b"
    assert server.seen[0].headers["x-destination-bot-id"] == "bot-2"
    assert json.loads(server.seen[0].body) == {"overwrite": True}
    assert server.seen[1].query_string == "conversationId=c&pageSize=2"
