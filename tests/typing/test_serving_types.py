"""Pinned public types of the integration and bot servers; checked by mypy, never run by pytest."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from typing_extensions import assert_type

from botpress_async import AsyncClient
from botpress_async.bot import Bot, BotContext, BotMessage
from botpress_async.integration import (
    Integration,
    IntegrationContext,
    IntegrationKey,
    IntegrationMessage,
    WebhookRequest,
    WebhookResponse,
    create_integration_key,
)


def ctx_of() -> IntegrationContext:
    raise NotImplementedError


async def serving_types(client: AsyncClient) -> None:
    app = Integration("ticketing")

    @app.action("createTicket")
    async def create(ctx: IntegrationContext, input: dict[str, Any]) -> dict[str, str]:
        assert_type(ctx.client, AsyncClient)
        assert_type(ctx.bot_id, str)
        assert_type(ctx.webhook_id, str)
        return {"ticketId": "T-1"}

    # The decorators give the function back unchanged.
    kept: Callable[[IntegrationContext, dict[str, Any]], Coroutine[Any, Any, dict[str, str]]]
    kept = create
    assert_type(await kept(ctx_of(), {}), dict[str, str])

    @app.message("ticket", "text")
    def deliver(ctx: IntegrationContext, message: IntegrationMessage) -> None:
        assert_type(message.payload, dict[str, Any])

    @app.webhook
    async def hook(ctx: IntegrationContext, request: WebhookRequest) -> WebhookResponse:
        return WebhookResponse(status=202, body={"ok": True})

    assert_type(app.aiohttp_app(path="/bp/x"), web.Application)

    bot = Bot()

    @bot.on_message("text")
    async def answer(ctx: BotContext, message: BotMessage) -> None:
        assert_type(await message.reply({"text": "hi"}), dict[str, Any])

    key = await create_integration_key(client, "intver_1")
    assert_type(key, IntegrationKey)
    assert_type(key.value, str | None)
