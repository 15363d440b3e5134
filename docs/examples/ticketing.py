"""A self-hosted "ticketing" integration and a bot that answers, both served from Python.

The integration connects Botpress to an external ticket system reached over HTTP:

- the action ``createTicket`` opens a ticket and a conversation in the ``ticket`` channel;
- the bot's messages in that channel are posted to the ticket as comments (and acked with the
  comment's id);
- the ticket system calls the installation's webhook URL when an agent replies, and the reply
  becomes a message of the conversation, which Botpress hands to the bot.

The bot answers every text it receives. Serve each one with its own key::

    BP_TOKEN=<integration access key> python docs/examples/ticketing.py integration --port 8081
    BP_TOKEN=<bot access key> python docs/examples/ticketing.py bot --port 8082

then register their URLs (``botpress integration register`` and ``updateBot(url=...)``).
``tests/examples`` runs both against the emulator with a stand-in ticket system.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import aiohttp
import attrs

import botpress_async
from botpress_async.bot import Bot, BotContext, BotMessage
from botpress_async.integration import (
    Integration,
    IntegrationContext,
    IntegrationMessage,
    WebhookRequest,
    WebhookResponse,
)


@attrs.frozen
class TicketingConfig:
    """What the bot's owner enters when installing the integration."""

    system_url: str


integration = Integration("ticketing", configuration=TicketingConfig)


async def ticket_system(ctx: IntegrationContext, method: str, path: str, body: Any) -> Any:
    """One call to the external ticket system; its failures become messages for the bot owner."""
    config: TicketingConfig = ctx.configuration
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, config.system_url + path, json=body) as resp,
        ):
            if resp.status >= 300:
                raise botpress_async.RuntimeFailureError(
                    f"the ticket system answered {resp.status} to {method} {path}", status=400
                )
            return await resp.json()
    except aiohttp.ClientError as exc:
        raise botpress_async.RuntimeFailureError(
            f"the ticket system is unreachable: {type(exc).__name__}", status=400
        ) from exc


@integration.register
async def check_system(ctx: IntegrationContext, webhook_url: str) -> None:
    """On installation, tell the ticket system where to send the agents' replies."""
    await ticket_system(ctx, "PUT", "/webhook", {"url": webhook_url})


@integration.action("createTicket")
async def create_ticket(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
    """Open a ticket and the conversation that follows it."""
    ticket = await ticket_system(ctx, "POST", "/tickets", {"title": input["title"]})
    found = await ctx.client.call(
        "getOrCreateConversation",
        {
            "channel": "ticket",
            "tags": {"ticketId": ticket["id"]},
            "discriminateByTags": ["ticketId"],
        },
    )
    return {"ticketId": ticket["id"], "conversationId": found["conversation"]["id"]}


@integration.message("ticket", "text")
async def post_comment(ctx: IntegrationContext, message: IntegrationMessage) -> None:
    """Deliver one of the bot's messages to the ticket as a comment."""
    ticket_id = message.conversation["tags"]["ticketId"]
    body = {"author": "bot", "text": message.payload["text"]}
    comment = await ticket_system(ctx, "POST", f"/tickets/{ticket_id}/comments", body)
    await message.ack({"commentId": str(comment["id"])})


@integration.webhook
async def agent_replied(ctx: IntegrationContext, request: WebhookRequest) -> WebhookResponse:
    """Turn an agent's reply, sent by the ticket system, into a message of the conversation."""
    reply = request.json()
    if not isinstance(reply, dict) or not {"ticketId", "agent", "text"} <= reply.keys():
        return WebhookResponse(status=400, body={"error": "expected ticketId, agent and text"})
    conversation = await ctx.client.call(
        "getOrCreateConversation",
        {
            "channel": "ticket",
            "tags": {"ticketId": reply["ticketId"]},
            "discriminateByTags": ["ticketId"],
        },
    )
    agent = await ctx.client.call(
        "getOrCreateUser", {"tags": {"agent": reply["agent"]}, "name": reply["agent"]}
    )
    await ctx.client.call(
        "createMessage",
        {
            "conversationId": conversation["conversation"]["id"],
            "userId": agent["user"]["id"],
            "type": "text",
            "payload": {"text": reply["text"]},
            "tags": {},
        },
    )
    return WebhookResponse(status=202, body={"received": True})


bot = Bot()


@bot.on_message("text")
async def answer(ctx: BotContext, message: BotMessage) -> None:
    """Acknowledge every text the bot receives."""
    await message.reply(
        {"text": f"Thanks {message.user.get('name', '')}, noted: {message.payload['text']}"}
    )


def main(argv: list[str]) -> int:
    """Serve the integration or the bot until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["integration", "bot"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--path", default="/", help="an unguessable path in production")
    args = parser.parse_args(argv)
    app = integration if args.which == "integration" else bot
    app.run(args.host, args.port, path=args.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
