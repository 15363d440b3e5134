"""`Bot`: the handlers of a bot served from Python and how operations reach them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs

from botpress_async._serve import (
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

__all__ = ["Bot", "BotContext", "BotEvent", "BotMessage"]

F = TypeVar("F", bound=Callable[..., Any])

_OPERATIONS: Final = frozenset(
    {"event_received", "action_triggered", "register", "unregister", "ping"}
)


class BotContext(BaseContext):
    """What a bot's handler gets about the request, and a client to call back with.

    Attributes:
        operation: the operation (``x-bp-operation``).
        type: the event type, or the action's name (``x-bp-type``).
        bot_id: the bot's id (``x-bot-id``).
        configuration: the bot's configuration, decoded.
        logger: a logger for the handler.
    """

    __slots__ = ("type",)

    def __init__(
        self,
        service: Service,
        *,
        headers: Mapping[str, str],
        operation: str,
        type: str,
        bot_id: str,
        configuration: Any,
    ) -> None:
        super().__init__(
            service,
            operation=operation,
            bot_id=bot_id,
            configuration=configuration,
            headers=headers,
            client_context={"bot_id": bot_id},
        )
        self.type = type


@attrs.frozen(kw_only=True)
class BotEvent:
    """An event Botpress delivered to the bot.

    Attributes:
        id: the event's id.
        type: the event's type (``"message_created"``, ``"<integration>:<event>"``...).
        payload: the event's payload.
        event: the whole event record (``conversationId``, ``userId``... when it has them).
    """

    id: str
    type: str
    payload: dict[str, Any]
    event: dict[str, Any]


@attrs.frozen(kw_only=True)
class BotMessage:
    """A message someone sent to the bot.

    Attributes:
        id: the message's id.
        type: the message type (``"text"``...).
        payload: the message's payload (``{"text": ...}`` for a text).
        conversation: the conversation, as the API returns it.
        user: the user who wrote it.
        message: the whole message record.
        event: the ``message_created`` event that carried it.
    """

    id: str
    type: str
    payload: dict[str, Any]
    conversation: dict[str, Any]
    user: dict[str, Any]
    message: dict[str, Any]
    event: dict[str, Any]
    _ctx: BotContext = attrs.field(repr=False, alias="ctx")

    async def reply(self, payload: Mapping[str, Any], type: str = "text") -> dict[str, Any]:
        """Answer in the same conversation, as the bot; returns the created message.

        Args:
            payload: the message's payload, e.g. ``{"text": "Hello"}``.
            type: the message type.
        """
        answer = await self._ctx.client.call(
            "createMessage",
            {
                "conversationId": self.conversation.get("id", self.message.get("conversationId")),
                "userId": self._ctx.bot_id,
                "type": type,
                "payload": dict(payload),
                "tags": {},
            },
        )
        created: dict[str, Any] = answer["message"]
        return created


class Bot(Service):
    """A bot served from Python: register handlers with decorators, then serve it.

    Serve it with ``bot.run()``, mount ``bot.aiohttp_app()`` in an aiohttp service, or give
    ``bot`` itself to an ASGI server. Handlers call back with ``ctx.client``, authenticated
    with the bot's key (``BP_TOKEN``).

    Args:
        configuration: an attrs class to decode the bot's configuration into; ``None`` gives
            handlers the plain dict.
        expected_bot_id: answer 403 to requests for any other bot (Botpress signs nothing).
        token: the Bot Access Key; ``BP_TOKEN`` when left out.
        api_url: the API's base URL; ``BP_API_URL`` or the public API when left out.
        max_body_size: the largest request body accepted, in bytes.
        logger: where handler failures are logged (``botpress.bot`` by default).
    """

    _kind = "bot"
    _key_name = "a Bot Access Key, made with createBotApiKey"

    _handler_tables = ("_messages", "_events", "_actions")
    _messages: dict[str, Callable[..., Any]]
    _events: dict[str, Callable[..., Any]]

    def __repr__(self) -> str:
        return f"<Bot messages={sorted(self._messages)} events={sorted(self._events)}>"

    def on_message(self, type: str = "*") -> Callable[[F], F]:
        """Register ``handler(ctx, message)`` for new messages of one type.

        Args:
            type: the message type (``"text"``...); ``"*"`` takes every type without a
                handler of its own.
        """
        check_name("message type", type)
        return self._add(self._messages, type, f"message type {type!r}")

    def on_event(self, type: str) -> Callable[[F], F]:
        """Register ``handler(ctx, event)`` for events of one type.

        Args:
            type: the event type, e.g. ``"<integration>:<event>"``; ``"*"`` takes every type
                without a handler of its own (messages go to `on_message` handlers first).
        """
        check_name("event type", type)
        return self._add(self._events, type, f"event type {type!r}")

    def action(self, name: str) -> Callable[[F], F]:
        """Register ``handler(ctx, input) -> output`` for one of the bot's actions.

        Args:
            name: the action's name.
        """
        check_name("action name", name)
        return self._add(self._actions, name, f"action {name!r}")

    async def dispatch(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one operation of Botpress (see `Service.handle`)."""
        operation = header(headers, "x-bp-operation")
        bot_id = header(headers, "x-bot-id")
        if operation not in _OPERATIONS:
            raise BadRequest(f"unknown operation {operation!r}; a bot takes {sorted(_OPERATIONS)}")
        if self.expected_bot_id is not None and bot_id != self.expected_bot_id:
            raise BadRequest("this server is not that bot", status=403, type_="Forbidden")
        if operation in ("register", "unregister", "ping"):
            return json_answer(None)
        type_ = header(headers, "x-bp-type")
        configuration = decode_configuration(
            headers.get("x-bp-configuration"), self.configuration_class
        )
        data = parse_body(body)
        ctx = BotContext(
            self,
            headers=headers,
            operation=operation,
            type=type_,
            bot_id=bot_id,
            configuration=configuration,
        )
        if operation == "action_triggered":
            return await self._answer_action(ctx, data)
        event = field(data, "event", dict)
        payload = event.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        if type_ == "message_created":
            message = field(payload, "message", dict)
            func = self._messages.get(str(message.get("type"))) or self._messages.get("*")
            if func is not None:
                conversation = payload.get("conversation")
                user = payload.get("user")
                incoming = BotMessage(
                    id=str(message.get("id", "")),
                    type=str(message.get("type", "")),
                    payload=message["payload"] if isinstance(message.get("payload"), dict) else {},
                    conversation=conversation if isinstance(conversation, dict) else {},
                    user=user if isinstance(user, dict) else {},
                    message=message,
                    event=event,
                    ctx=ctx,
                )
                await call_handler(func, ctx, incoming)
                return json_answer(None)
        func = self._events.get(type_) or self._events.get("*")
        if func is not None:
            received = BotEvent(
                id=str(event.get("id", "")), type=type_, payload=payload, event=event
            )
            await call_handler(func, ctx, received)
        return json_answer(None)
