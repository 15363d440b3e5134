"""The emulator calls registered integrations and bots as Botpress does, and reports failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest

import botpress_async
from botpress_async import AsyncClient, TokenKind
from botpress_async.bot import Bot, BotContext, BotEvent, BotMessage
from botpress_async.integration import (
    Integration,
    IntegrationContext,
    IntegrationMessage,
    WebhookRequest,
    WebhookResponse,
)
from botpress_async.testing import Emulator, Wired, wire

pytestmark = pytest.mark.anyio

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@attrs.define
class World:
    """An emulator with a ticketing integration and a bot served and wired to it."""

    emu: Emulator
    wired: Wired
    seen: dict[str, Any]
    bak: AsyncClient
    integration_id: str

    async def conversation(self) -> str:
        """A conversation of the ticketing channel, with one user, created by the bot."""
        conv = await self.bak.call(
            "createConversation",
            {"channel": "ticket", "tags": {}, "integrationName": "ticketing"},
        )
        return str(conv["conversation"]["id"])

    async def say(self, text: str) -> Any:
        """The bot writes ``text`` in a new conversation of the ticketing channel."""
        body = {
            "conversationId": await self.conversation(),
            "userId": self.emu.bot_id,
            "type": "text",
            "payload": {"text": text},
            "tags": {},
        }
        return await self.bak.call("createMessage", body)


def build_apps(seen: dict[str, Any]) -> tuple[Integration, Bot]:
    """A ticketing integration and a bot that answers every text with an echo."""
    integration = Integration("ticketing")
    bot = Bot()

    @integration.message("ticket", "text")
    async def deliver(ctx: IntegrationContext, message: IntegrationMessage) -> None:
        seen.setdefault("delivered", []).append((message.payload["text"], ctx.configuration))
        seen["client_kind"] = ctx.client.token_kind
        if message.payload["text"] == "explode":
            raise LookupError("the ticket system rejected it")
        if message.payload["text"] == "slow":
            await asyncio.sleep(5)
        await message.ack({"ticketMessageId": "M-" + message.id[-4:]})

    @integration.action("createTicket")
    async def create_ticket(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        seen["trace"] = ctx.trace_headers.get("traceparent")
        return {"ticketId": "T-" + input["title"]}

    @integration.webhook
    async def replies(ctx: IntegrationContext, request: WebhookRequest) -> WebhookResponse:
        data = request.json()
        user = await ctx.client.call("getOrCreateUser", {"tags": {}, "name": data["author"]})
        await ctx.client.call(
            "createMessage",
            {
                "conversationId": data["conversationId"],
                "userId": user["user"]["id"],
                "type": "text",
                "payload": {"text": data["text"]},
                "tags": {},
            },
        )
        return WebhookResponse(status=201, body={"accepted": True})

    @integration.register
    async def on_register(ctx: IntegrationContext, webhook_url: str) -> None:
        seen.setdefault("registered", []).append((webhook_url, ctx.configuration))
        if ctx.configuration.get("refuse"):
            raise botpress_async.RuntimeFailureError(
                "bad API key for the ticket system", status=400
            )

    @bot.on_event("ticketing:ticketClosed")
    async def closed(ctx: BotContext, event: BotEvent) -> None:
        seen["closed"] = (event.payload, event.event.get("conversationId"))

    @integration.action("closeTicket")
    async def close_ticket(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        await ctx.client.call(
            "createEvent",
            {"type": "ticketing:ticketClosed", "payload": {"ticketId": input["ticketId"]}},
        )
        return {}

    @bot.on_message("text")
    async def answer(ctx: BotContext, message: BotMessage) -> None:
        seen.setdefault("bot_got", []).append(message.payload["text"])
        await message.reply({"text": "echo: " + message.payload["text"]})

    return integration, bot


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """The emulator, the integration and the bot in this loop."""
    seen: dict[str, Any] = {}
    integration, bot = build_apps(seen)
    async with (
        Emulator() as emu,
        wire(emu, integration, bot) as wired,
        AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as bak,
    ):
        yield World(emu, wired, seen, bak, wired.integration_ids["ticketing"])


async def test_wiring_registers_the_integration(world: World) -> None:
    """Wiring sends register with the installation's webhook URL; the status says registered."""
    ((url, configuration),) = world.seen["registered"]
    assert url.startswith(world.emu.url + "/_emulator/webhooks/wh_")
    assert configuration == {}
    entry = world.emu.store.bots[world.emu.bot_id].record["integrations"][world.integration_id]
    assert entry["status"] == "registered"


async def test_bot_message_reaches_the_integration_and_is_acked(world: World) -> None:
    """A bot message in the channel is delivered as message_created, with the IAK-scoped client."""
    created = await world.say("hello")
    assert world.seen["delivered"] == [("hello", {})]
    assert world.seen["client_kind"] is TokenKind.IAK
    message = await world.bak.call("getMessage", {"id": created["message"]["id"]})
    assert message["message"]["tags"]["ticketMessageId"].startswith("M-")
    assert any(e.operation_id == "deliver:message_created" and e.processed for e in world.emu.log)


async def test_webhook_reply_becomes_an_event_for_the_bot_and_its_answer_goes_out(
    world: World,
) -> None:
    """External system → webhook → message → bot event → bot reply → integration delivery."""
    conv = await world.conversation()
    entry = world.emu.store.bots[world.emu.bot_id].record["integrations"][world.integration_id]
    async with aiohttp.ClientSession() as http:
        body = {"conversationId": conv, "author": "Ada", "text": "printer fixed?"}
        async with http.post(entry["webhookUrl"] + "/replies", json=body) as resp:
            assert resp.status == 201
            assert await resp.json() == {"accepted": True}
    assert world.seen["bot_got"] == ["printer fixed?"]
    assert world.seen["delivered"] == [("echo: printer fixed?", {})]


async def test_call_action_answers_the_integrations_output_with_the_trace(world: World) -> None:
    """callAction runs the action on the integration's URL, forwarding traceparent."""
    answer = await world.bak.call(
        "callAction",
        {"type": "ticketing:createTicket", "input": {"title": "Printer"}},
        extra_headers={"traceparent": TRACE},
    )
    assert answer["output"] == {"ticketId": "T-Printer"}
    assert world.seen["trace"] == TRACE


async def test_call_action_without_a_url_is_a_clear_400(world: World) -> None:
    """An integration with no URL cannot run actions: callAction says so, inventing nothing."""
    with pytest.raises(botpress_async.RuntimeFailureError, match="has no URL"):
        await world.bak.call("callAction", {"type": "emulated-integration:x", "input": {}})
    with pytest.raises(botpress_async.InvalidPayloadError, match="no integration 'nope'"):
        await world.bak.call("callAction", {"type": "nope:x", "input": {}})


async def test_failing_handler_fails_the_call_that_caused_it(world: World) -> None:
    """A handler that raises makes createMessage fail with the delivery's 500 in the message."""
    with pytest.raises(
        botpress_async.RuntimeFailureError, match=r"message_created .* answered 500"
    ):
        await world.say("explode")
    failed = [e for e in world.emu.log if e.operation_id == "deliver:message_created"]
    assert failed[-1].status == 500
    assert not failed[-1].processed


async def test_slow_handler_times_out(world: World) -> None:
    """A handler slower than the emulator's delivery timeout fails the call with a timeout."""
    world.emu.outbound.timeout = 0.2
    with pytest.raises(botpress_async.RuntimeFailureError, match=r"no answer within 0\.2s"):
        await world.say("slow")
    assert [e.fault for e in world.emu.log if e.operation_id == "deliver:message_created"] == [
        "timeout"
    ]


async def test_configuring_sends_register_and_a_refusal_marks_registration_failed(
    world: World,
) -> None:
    """updateBot with a configuration re-registers; a refused register fails the call."""
    async with AsyncClient(
        world.emu.pat, workspace_id=world.emu.workspace_id, api_url=world.emu.url
    ) as pat:
        spec = {"enabled": True, "configuration": {"region": "eu"}}
        await pat.call(
            "updateBot", {"id": world.emu.bot_id, "integrations": {world.integration_id: spec}}
        )
        assert world.seen["registered"][-1][1] == {"region": "eu"}
        spec = {"enabled": True, "configuration": {"refuse": True}}
        with pytest.raises(botpress_async.RuntimeFailureError, match="bad API key"):
            await pat.call(
                "updateBot", {"id": world.emu.bot_id, "integrations": {world.integration_id: spec}}
            )
        bot = await pat.call("getBot", {"id": world.emu.bot_id})
    entry = bot["bot"]["integrations"][world.integration_id]
    assert entry["status"] == "registration_failed"
    assert "bad API key" in entry["statusReason"]


async def test_unknown_webhook_id_is_404(world: World) -> None:
    """A request to a webhook id no installation has answers 404."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(world.emu.url + "/_emulator/webhooks/wh_nope", json={}) as resp,
    ):
        assert resp.status == 404


async def test_an_integrations_event_is_delivered_to_the_bot(world: World) -> None:
    """createEvent with the IAK reaches the bot's on_event handler as event_received."""
    await world.bak.call(
        "callAction", {"type": "ticketing:closeTicket", "input": {"ticketId": "T-7"}}
    )
    assert world.seen["closed"] == ({"ticketId": "T-7"}, None)
