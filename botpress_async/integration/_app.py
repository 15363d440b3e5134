"""`Integration`: the handlers of a self-hosted integration and how operations reach them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs

from botpress_async._errors import ConfigurationError
from botpress_async._serve import (
    DEFAULT_MAX_BODY_SIZE,
    Answer,
    BadRequest,
    BaseContext,
    Service,
    call_handler,
    check_name,
    decode_configuration,
    field,
    header,
    json_answer,
    parse_body,
)

__all__ = [
    "Integration",
    "IntegrationContext",
    "IntegrationMessage",
    "WebhookRequest",
    "WebhookResponse",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Operations answered with a plain 200 when no handler is registered for them.
_QUIET: Final = frozenset(
    {"register", "unregister", "ping", "message_updated", "conversation_updated"}
)
_DEDICATED: Final = {
    "action_triggered": "@app.action(name)",
    "message_created": "@app.message(channel, type)",
    "webhook_received": "@app.webhook",
    "register": "@app.register",
    "unregister": "@app.unregister",
}


class IntegrationContext(BaseContext):
    """What an integration's handler gets about the request, and a client to call back with.

    Attributes:
        operation: the operation (``x-bp-operation``).
        bot_id: the bot the integration is installed in (``x-bot-id``).
        bot_user_id: the bot's own user id in the integration's conversations.
        integration_id: the integration's id (``x-integration-id``).
        alias: the alias of this installation (``x-integration-alias``).
        webhook_id: the id in the installation's webhook URL (``x-webhook-id``).
        configuration: the installation's configuration, decoded.
        configuration_type: the configuration's name, when it is not the default one.
        logger: a logger for the handler.
    """

    __slots__ = (
        "alias",
        "bot_user_id",
        "configuration_type",
        "cost",
        "integration_id",
        "webhook_id",
    )

    def __init__(
        self,
        service: Service,
        *,
        headers: Mapping[str, str],
        operation: str,
        configuration: Any,
        ids: Mapping[str, str],
    ) -> None:
        super().__init__(
            service,
            operation=operation,
            bot_id=ids["x-bot-id"],
            configuration=configuration,
            headers=headers,
            client_context={
                "bot_id": ids["x-bot-id"],
                "integration_id": ids["x-integration-id"],
                "integration_alias": ids["x-integration-alias"],
            },
        )
        self.bot_user_id = ids["x-bot-user-id"]
        self.integration_id = ids["x-integration-id"]
        self.alias = ids["x-integration-alias"]
        self.webhook_id = ids["x-webhook-id"]
        self.configuration_type: str | None = headers.get("x-bp-configuration-type") or None
        #: The cost an action reports in its answer's ``meta`` (set it in the handler).
        self.cost: float = 0


@attrs.frozen(kw_only=True)
class IntegrationMessage:
    """A message the bot created in a conversation of one of the integration's channels.

    Attributes:
        id: the message's id.
        type: the message type (``"text"``, ``"image"``...).
        payload: the message's payload.
        conversation: the conversation, as the API returns it (``channel``, ``tags``...).
        user: the user the message is from (usually the bot's user).
        message: the whole message record.
    """

    id: str
    type: str
    payload: dict[str, Any]
    conversation: dict[str, Any]
    user: dict[str, Any]
    message: dict[str, Any]
    _ctx: IntegrationContext = attrs.field(repr=False, alias="ctx")

    async def ack(self, tags: Mapping[str, str] | None = None) -> None:
        """Tell Botpress the message was delivered, setting tags on it (an ``updateMessage``).

        Args:
            tags: tags to set on the message, such as the id the external system gave it.
        """
        await self._ctx.client.call("updateMessage", {"id": self.id, "tags": dict(tags or {})})


@attrs.frozen(kw_only=True)
class WebhookRequest:
    """A request someone made to the installation's webhook URL, as Botpress forwards it.

    Attributes:
        method: the HTTP method.
        path: the path after the webhook id.
        query: the raw query string.
        headers: the request's headers.
        body: the raw body as text, or ``None``.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str | None

    def json(self) -> Any:
        """The body decoded as JSON; a 400 goes back to the caller when it is not JSON."""
        from botpress_async._encoding import loads

        try:
            return loads(self.body or "")
        except (ValueError, UnicodeError):
            raise BadRequest("the webhook body is not valid JSON") from None


@attrs.frozen(kw_only=True)
class WebhookResponse:
    """The answer a webhook handler gives to whoever called the webhook URL.

    Attributes:
        status: the HTTP status.
        headers: headers of the answer.
        body: the body; a dict or list is sent as JSON.
    """

    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: str | bytes | dict[str, Any] | list[Any] | None = None


class Integration(Service):
    """A self-hosted integration: register handlers with decorators, then serve it.

    Serve it with ``app.run()``, mount ``app.aiohttp_app()`` in an aiohttp service, or give
    ``app`` itself to an ASGI server. Handlers call back with ``ctx.client``, authenticated
    with the integration's own key (``BP_TOKEN``), never a Personal Access Token.

    Args:
        name: the integration's name, as registered in Botpress (used by the test helpers
            and ``botpress integration register``).
        configuration: an attrs class to decode each installation's configuration into;
            ``None`` gives handlers the plain dict.
        expected_bot_id: answer 403 to requests for any other bot.
        expected_integration_id: answer 403 to requests naming another integration. Botpress
            signs nothing, so checking the ids and using an unguessable URL path is the defence.
        token: the Integration Access Key; ``BP_TOKEN`` when left out.
        api_url: the API's base URL; ``BP_API_URL`` or the public API when left out.
        max_body_size: the largest request body accepted, in bytes.
        logger: where handler failures are logged (``botpress.integration`` by default).
    """

    _kind = "integration"
    _key_name = "an Integration Access Key, made with createIntegrationApiKey"
    _token_kind = "iak"  # noqa: S105 - a token kind, not a token
    _handler_tables = ("_actions", "_messages", "_events")
    _messages: dict[tuple[str, str], Callable[..., Any]]
    _events: dict[str, Callable[..., Any]]

    def __init__(
        self,
        name: str | None = None,
        *,
        configuration: type[Any] | None = None,
        expected_bot_id: str | None = None,
        expected_integration_id: str | None = None,
        token: str | None = None,
        api_url: str | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(
            configuration=configuration,
            expected_bot_id=expected_bot_id,
            token=token,
            api_url=api_url,
            max_body_size=max_body_size,
            logger=logger,
        )
        self.name = name
        self.expected_integration_id = expected_integration_id

    def __repr__(self) -> str:
        return f"<Integration name={self.name!r} actions={sorted(self._actions)}>"

    # -- registering handlers -----------------------------------------------------------------

    def action(self, name: str) -> Callable[[F], F]:
        """Register ``handler(ctx, input) -> output`` for the action ``name``.

        Args:
            name: the action's name; Botpress calls it as ``"<integration>:<name>"``.
        """
        check_name("action name", name)
        return self._add(self._actions, name, f"action {name!r}")

    def message(self, channel: str, type: str = "*") -> Callable[[F], F]:
        """Register ``handler(ctx, message)`` for the bot's messages in a channel.

        Args:
            channel: the channel's name (``conversation.channel``).
            type: the message type (``"text"``...); ``"*"`` takes every type without a
                handler of its own.
        """
        check_name("channel", channel)
        check_name("message type", type)
        return self._add(self._messages, (channel, type), f"{channel!r} message {type!r}")

    def webhook(self, func: F) -> F:
        """Register ``handler(ctx, request) -> WebhookResponse | dict | None`` for the webhook."""
        return self._add(self._events, "webhook_received", "webhook")(func)

    def register(self, func: F) -> F:
        """Register ``handler(ctx, webhook_url)``, called when the integration is installed or
        its configuration changes."""
        return self._add(self._events, "register", "register")(func)

    def unregister(self, func: F) -> F:
        """Register ``handler(ctx, webhook_url)``, called when the integration is removed."""
        return self._add(self._events, "unregister", "unregister")(func)

    def event(self, operation: str) -> Callable[[F], F]:
        """Register ``handler(ctx, body) -> answer`` for another operation.

        ``message_updated``, ``conversation_updated``, ``ping``, ``create_user`` and
        ``create_conversation`` (whose answer is sent back as JSON), or one Botpress adds later.

        Args:
            operation: the ``x-bp-operation`` value.
        """
        check_name("operation", operation)
        if operation in _DEDICATED:
            raise ConfigurationError(
                f"use {_DEDICATED[operation]} for {operation!r}, not @app.event"
            )
        return self._add(self._events, operation, f"{operation!r} operation")

    # -- answering ----------------------------------------------------------------------------

    async def dispatch(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one operation of Botpress (see `Service.handle`)."""
        operation = header(headers, "x-bp-operation")
        ids = {
            name: header(headers, name)
            for name in (
                "x-bot-id",
                "x-bot-user-id",
                "x-integration-id",
                "x-integration-alias",
                "x-webhook-id",
            )
        }
        if self.expected_bot_id is not None and ids["x-bot-id"] != self.expected_bot_id:
            raise BadRequest(
                "this integration does not serve that bot", status=403, type_="Forbidden"
            )
        if (
            self.expected_integration_id is not None
            and ids["x-integration-id"] != self.expected_integration_id
        ):
            raise BadRequest("this server is not that integration", status=403, type_="Forbidden")
        configuration = decode_configuration(
            headers.get("x-bp-configuration"), self.configuration_class
        )
        data = parse_body(body)
        ctx = IntegrationContext(
            self, headers=headers, operation=operation, configuration=configuration, ids=ids
        )
        if operation == "action_triggered":
            return await self._answer_action(ctx, data)
        if operation == "message_created":
            return await self._message(ctx, data)
        if operation == "webhook_received":
            return await self._webhook(ctx, data)
        func = self._events.get(operation)
        if operation in ("register", "unregister"):
            if func is not None:
                url = data.get("webhookUrl")
                await call_handler(func, ctx, url if isinstance(url, str) else "")
            return json_answer(None)
        if func is None:
            if operation in _QUIET:
                return json_answer(None)
            raise BadRequest(
                f"unknown operation {operation!r}: this integration has no handler for it"
            )
        result = await call_handler(func, ctx, data)
        if result is None:
            return json_answer(None)
        return 200, {"content-type": "application/json"}, self.encode_result(result, operation)

    def _action_meta(self, ctx: IntegrationContext) -> dict[str, Any]:
        # The handler sets the cost on its context while it runs.
        return {"meta": {"cost": ctx.cost}}

    async def _message(self, ctx: IntegrationContext, data: Mapping[str, Any]) -> Answer:
        conversation = field(data, "conversation", dict)
        message = field(data, "message", dict)
        channel = field(conversation, "channel", str)
        type_ = field(data, "type", str)
        func = self._messages.get((channel, type_)) or self._messages.get((channel, "*"))
        if func is None:
            known = sorted({c for c, _ in self._messages})
            if channel in known:
                raise BadRequest(f"channel {channel!r} takes no message of type {type_!r}")
            raise BadRequest(f"unknown channel {channel!r}; this integration has {known}")
        payload = data.get("payload")
        user = data.get("user")
        incoming = IntegrationMessage(
            id=str(message.get("id", "")),
            type=type_,
            payload=payload if isinstance(payload, dict) else {},
            conversation=conversation,
            user=user if isinstance(user, dict) else {},
            message=message,
            ctx=ctx,
        )
        await call_handler(func, ctx, incoming)
        return json_answer(None)

    async def _webhook(self, ctx: IntegrationContext, data: Mapping[str, Any]) -> Answer:
        func = self._events.get("webhook_received")
        if func is None:
            raise BadRequest("this integration has no webhook handler")
        req = field(data, "req", dict)
        raw_headers = req.get("headers")
        raw_body = req.get("body")
        request = WebhookRequest(
            method=str(req.get("method", "POST")).upper(),
            path=str(req.get("path", "")),
            query=str(req.get("query", "")),
            headers={str(k).lower(): str(v) for k, v in (raw_headers or {}).items()}
            if isinstance(raw_headers, dict)
            else {},
            body=raw_body if isinstance(raw_body, str) or raw_body is None else str(raw_body),
        )
        result = await call_handler(func, ctx, request)
        return self._webhook_answer(result)

    def _webhook_answer(self, result: Any) -> Answer:
        if result is None:
            return json_answer(None)
        if isinstance(result, Mapping):
            try:
                result = WebhookResponse(**result)
            except TypeError:
                self.logger.error(
                    "the webhook handler answered a dict that is not status/headers/body"
                )
                raise BadRequest(
                    "the webhook handler's answer is malformed", status=500, type_="Runtime"
                ) from None
        if not isinstance(result, WebhookResponse):
            self.logger.error("the webhook handler answered a %s", type(result).__name__)
            raise BadRequest(
                "the webhook handler's answer is malformed", status=500, type_="Runtime"
            )
        headers = {str(k): str(v) for k, v in result.headers.items()}
        body = result.body
        if isinstance(body, (dict, list)):
            encoded = self.encode_result(body, "webhook handler")
            headers.setdefault("content-type", "application/json")
        elif isinstance(body, str):
            encoded = body.encode("utf-8")
        else:
            encoded = body or b""
        return result.status, headers, encoded
