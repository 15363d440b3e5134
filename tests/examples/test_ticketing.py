"""docs/examples/ticketing.py: the integration and the bot work end to end on the emulator."""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from botpress_async import AsyncClient
from botpress_async.testing import Emulator, wire

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "docs" / "examples" / "ticketing.py"


def load_example() -> ModuleType:
    """A fresh copy of the example module (its apps keep keys bound by earlier tests otherwise)."""
    spec = importlib.util.spec_from_file_location("ticketing_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@attrs.define
class TicketSystem:
    """A stand-in for the external ticket system, on 127.0.0.1."""

    url: str = ""
    webhook: str = ""
    tickets: dict[str, dict[str, Any]] = attrs.Factory(dict)
    ids: Any = attrs.Factory(lambda: itertools.count(1))


@pytest.fixture
async def system() -> AsyncIterator[TicketSystem]:
    """The ticket system: create tickets, take comments, remember where to send replies."""
    state = TicketSystem()

    async def set_webhook(request: web.Request) -> web.Response:
        state.webhook = (await request.json())["url"]
        return web.json_response({})

    async def create(request: web.Request) -> web.Response:
        ticket_id = f"T-{next(state.ids)}"
        state.tickets[ticket_id] = {"title": (await request.json())["title"], "comments": []}
        return web.json_response({"id": ticket_id})

    async def comment(request: web.Request) -> web.Response:
        comments = state.tickets[request.match_info["id"]]["comments"]
        comments.append(await request.json())
        return web.json_response({"id": len(comments)})

    app = web.Application()
    app.router.add_put("/webhook", set_webhook)
    app.router.add_post("/tickets", create)
    app.router.add_post("/tickets/{id}/comments", comment)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("")).rstrip("/")
    try:
        yield state
    finally:
        await server.close()


async def test_ticketing_round_trip(system: TicketSystem) -> None:
    """Action → ticket; bot message → comment; agent reply → bot event → bot answer → comment."""
    example = load_example()
    first = {"ticketing": {"system_url": system.url}}
    async with (
        Emulator() as emu,
        wire(emu, example.integration, example.bot, configurations=first) as wired,
    ):
        integration_id = wired.integration_ids["ticketing"]
        # The integration holds only its own Integration Access Key, never the PAT.
        assert wired.keys[0].startswith("iak_")
        assert emu.store.tokens[wired.keys[0]].kind == "iak"
        async with (
            AsyncClient(emu.pat, workspace_id=emu.workspace_id, api_url=emu.url) as owner,
            AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as bot,
        ):
            assert system.webhook.startswith(emu.url + "/_emulator/webhooks/")
            system.webhook = ""
            # The bot's owner configures the installation again: Botpress sends register.
            spec = {"enabled": True, "configuration": {"system_url": system.url}}
            await owner.call(
                "updateBot", {"id": emu.bot_id, "integrations": {integration_id: spec}}
            )
            assert system.webhook.startswith(emu.url + "/_emulator/webhooks/")

            opened = await bot.call(
                "callAction", {"type": "ticketing:createTicket", "input": {"title": "Printer"}}
            )
            ticket_id = opened["output"]["ticketId"]
            conversation_id = opened["output"]["conversationId"]
            assert system.tickets[ticket_id]["title"] == "Printer"

            sent = await bot.call(
                "createMessage",
                {
                    "conversationId": conversation_id,
                    "userId": emu.bot_id,
                    "type": "text",
                    "payload": {"text": "It prints blank pages."},
                    "tags": {},
                },
            )
            assert system.tickets[ticket_id]["comments"] == [
                {"author": "bot", "text": "It prints blank pages."}
            ]
            acked = await bot.call("getMessage", {"id": sent["message"]["id"]})
            assert acked["message"]["tags"]["commentId"] == "1"

            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    system.webhook,
                    json={"ticketId": ticket_id, "agent": "Ada", "text": "Try a new cartridge."},
                ) as resp,
            ):
                assert resp.status == 202

            comments = system.tickets[ticket_id]["comments"]
            assert comments[-1] == {
                "author": "bot",
                "text": "Thanks Ada, noted: Try a new cartridge.",
            }
            messages = await bot.call("listMessages", {"conversationId": conversation_id})
            texts = sorted(m["payload"]["text"] for m in messages["messages"])
            assert "Try a new cartridge." in texts
