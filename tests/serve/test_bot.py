"""`Bot` answers the operations Botpress sends to a bot's URL."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from botpress_async import ConfigurationError
from botpress_async.bot import Bot, BotContext, BotEvent, BotMessage
from tests.loopback import FAKE_BAK, FAKE_PAT, Script

from .conftest import BOT_ID, Served, serve

pytestmark = pytest.mark.anyio


def bot_headers(operation: str, type_: str = "message_created", **extra: str) -> dict[str, str]:
    """The headers Botpress sends to a bot."""
    config = base64.b64encode(json.dumps({"greeting": "Hi"}).encode()).decode()
    headers = {
        "x-bp-operation": operation,
        "x-bot-id": BOT_ID,
        "x-bp-type": type_,
        "x-bp-configuration": config,
        "content-type": "application/json",
    }
    headers.update(extra)
    return headers


def message_event(type_: str = "text", text: str = "hello") -> dict[str, Any]:
    """An event_received body for a new message."""
    message = {"id": "msg_1", "type": type_, "payload": {"text": text}, "conversationId": "conv_1"}
    return {
        "event": {
            "id": "evt_1",
            "type": "message_created",
            "payload": {
                "message": message,
                "user": {"id": "user_1"},
                "conversation": {"id": "conv_1", "channel": "ticket"},
            },
        }
    }


@pytest.fixture
async def served(server: Script) -> AsyncIterator[tuple[Served, dict[str, Any], Script]]:
    """A bot with message, event and action handlers, calling back to the recording server."""
    bot = Bot(token=FAKE_BAK, api_url=server.url)
    seen: dict[str, Any] = {}

    @bot.on_message("text")
    async def on_text(ctx: BotContext, message: BotMessage) -> None:
        seen["text"] = message
        await message.reply({"text": ctx.configuration["greeting"] + " " + message.payload["text"]})

    @bot.on_message()
    def on_other(ctx: BotContext, message: BotMessage) -> None:
        seen["other"] = (message.type, threading.current_thread().name)

    @bot.on_event("ticketing:ticketClosed")
    async def on_closed(ctx: BotContext, event: BotEvent) -> None:
        seen["event"] = event

    @bot.action("lookup")
    async def lookup(ctx: BotContext, input: dict[str, Any]) -> Any:
        return {"found": input["key"]}

    async for client in serve(bot.aiohttp_app()):
        yield client, seen, server


async def test_message_reaches_its_type_handler_and_reply_creates_a_message(served: Any) -> None:
    """A message_created event calls the type's handler; reply() posts as the bot with the BAK."""
    client, seen, api = served
    api.reply(200, {"message": {"id": "msg_2"}})
    reply = await client.post(bot_headers("event_received"), message_event())
    assert reply.status == 200
    assert seen["text"].payload == {"text": "hello"}
    sent = api.seen[0]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/messages")
    assert sent.headers["authorization"] == "Bearer " + FAKE_BAK
    assert sent.headers["x-bot-id"] == BOT_ID
    body = json.loads(sent.body)
    assert body["payload"] == {"text": "Hi hello"}
    assert (body["conversationId"], body["userId"]) == ("conv_1", BOT_ID)


async def test_other_message_types_go_to_the_catch_all_in_a_thread(served: Any) -> None:
    """Without a handler of its own, a message type goes to on_message(); sync runs in a thread."""
    client, seen, _ = served
    reply = await client.post(bot_headers("event_received"), message_event("image"))
    assert reply.status == 200
    assert seen["other"][0] == "image"
    assert seen["other"][1] != threading.current_thread().name


async def test_events_and_actions(served: Any) -> None:
    """Other events reach on_event handlers; action_triggered answers {output}."""
    client, seen, _ = served
    body = {"event": {"id": "evt_2", "type": "ticketing:ticketClosed", "payload": {"id": "T-1"}}}
    reply = await client.post(bot_headers("event_received", "ticketing:ticketClosed"), body)
    assert reply.status == 200
    assert seen["event"].payload == {"id": "T-1"}
    reply = await client.post(
        bot_headers("action_triggered", "lookup"), {"type": "lookup", "input": {"key": "k"}}
    )
    assert reply.json() == {"output": {"found": "k"}}


async def test_register_unregister_ping_and_unhandled_events_answer_200(served: Any) -> None:
    """The lifecycle operations and events without a handler answer 200."""
    client, _, _ = served
    for operation in ("register", "unregister", "ping"):
        assert (await client.post(bot_headers(operation))).status == 200
    body = {"event": {"id": "e", "type": "nobody:cares", "payload": {}}}
    assert (await client.post(bot_headers("event_received", "nobody:cares"), body)).status == 200


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (bot_headers("teleport"), "unknown operation"),
        ({k: v for k, v in bot_headers("event_received").items() if k != "x-bot-id"}, "x-bot-id"),
        ({k: v for k, v in bot_headers("event_received").items() if k != "x-bp-type"}, "x-bp-type"),
        (bot_headers("event_received", **{"x-bp-configuration": "%%%"}), "x-bp-configuration"),
    ],
)
async def test_bad_requests_are_400(served: Any, headers: dict[str, str], words: str) -> None:
    """Unknown operations, missing headers and a bad configuration answer 400 naming them."""
    client, _, _ = served
    reply = await client.post(headers, message_event())
    assert reply.status == 400
    assert words in reply.json()["message"]


async def test_unknown_action_is_400(served: Any) -> None:
    """An action the bot does not have answers 400."""
    client, _, _ = served
    reply = await client.post(bot_headers("action_triggered", "x"), {"type": "x", "input": {}})
    assert reply.status == 400


def test_a_personal_access_token_is_refused() -> None:
    """A bot's handlers never call with a PAT."""
    with pytest.raises(ConfigurationError, match="Bot Access Key"):
        Bot(token=FAKE_PAT).check_token()
