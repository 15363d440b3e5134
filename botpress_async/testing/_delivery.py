"""Botpress calling you: the emulator delivers operations to the URLs of integrations and bots.

A message the bot creates in a conversation of an integration's channel is sent to the
integration as ``message_created``; a message an integration (or a chat user) creates is sent
to the bot as an ``event_received``; ``callAction`` sends ``action_triggered``; a request to an
installation's webhook URL is forwarded as ``webhook_received``; installing or configuring an
integration sends ``register``.

Handlers of the API run synchronously, so they only *queue* deliveries (`message_created`,
`registered`); the dispatcher awaits the queue before answering, and a failed delivery fails
the API call that caused it, as Botpress does. Code that runs outside an API request (the chat
front) gets its deliveries sent in the background, each recorded in the request log.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import hashlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import web

from botpress_async._encoding import dumps, loads

from ._faults import LogEntry, RequestLog
from ._schema import iso_now
from ._store import ApiError, BotData, Context, Store, handler

__all__ = [
    "WEBHOOK_PREFIX",
    "Outbound",
    "collect",
    "message_created",
    "registered",
    "settle",
    "webhook",
]

WEBHOOK_PREFIX: Final = "/_emulator/webhooks/"
DEFAULT_TIMEOUT: Final = 10.0
_logger: Final = logging.getLogger("botpress.emulator")

Job = Callable[[], Awaitable[None]]
_PENDING: contextvars.ContextVar[list[Job] | None] = contextvars.ContextVar(
    "botpress_emulator_deliveries", default=None
)
# The tracing headers of the API call being handled, passed on to what it causes.
_TRACE: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "botpress_emulator_trace", default=()
)
_TRACE_HEADERS: Final = ("traceparent", "tracestate")


class Outbound:
    """The emulator's HTTP client towards registered URLs, and its record of deliveries.

    Args:
        store: the emulator's state.
        log: the request log, where each delivery is recorded.
        timeout: seconds a delivery may take before it counts as failed.
    """

    def __init__(self, store: Store, log: RequestLog, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.store = store
        self.log = log
        self.timeout = timeout
        self.base_url = ""
        self._session: Any = None
        self._ids = itertools.count(1)
        self._background: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Close the client; deliveries still running in the background are cancelled."""
        for task in list(self._background):
            task.cancel()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def post(
        self, url: str, headers: Mapping[str, str], body: Any, what: str
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one operation and return the answer; a failure to get one raises `ApiError`.

        Args:
            url: the registered URL.
            headers: the ``x-bp-*`` and id headers.
            body: the JSON body.
            what: the operation, for the log and messages.
        """
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession()
        request_id = f"dlv_{next(self._ids):010d}"
        status: int | None = None
        try:
            async with self._session.post(
                url,
                data=dumps(body),
                headers={**headers, "content-type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as resp:
                status = resp.status
                raw = await resp.read()
                answer_headers = {k.lower(): v for k, v in resp.headers.items()}
        except asyncio.TimeoutError:
            self._record(request_id, url, what, None, "timeout")
            raise ApiError(
                400, "Runtime", f"{what} to {_shown(url)} got no answer within {self.timeout:g}s"
            ) from None
        except aiohttp.ClientError as exc:
            self._record(request_id, url, what, None, "unreachable")
            raise ApiError(
                400, "Runtime", f"{what} to {_shown(url)} failed: {type(exc).__name__}"
            ) from None
        self._record(request_id, url, what, status, None)
        return status, answer_headers, raw

    def _record(
        self, request_id: str, url: str, what: str, status: int | None, fault: str | None
    ) -> None:
        self.log.append(
            LogEntry(
                request_id=request_id,
                method="POST",
                path=_shown(url),
                operation_id="deliver:" + what,
                status=status,
                fault=fault,
                processed=status is not None and 200 <= status < 300,
            )
        )

    def schedule(self, job: Job) -> None:
        """Run ``job`` after the current API call's handler, or now in the background."""
        pending = _PENDING.get()
        if pending is not None:
            pending.append(job)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _logger.warning("a delivery was dropped: no event loop is running")
            return
        task = loop.create_task(_quietly(job))
        self._background.add(task)
        task.add_done_callback(self._background.discard)


async def _quietly(job: Job) -> None:
    try:
        await job()
    except ApiError as exc:
        # Already in the request log; nobody waits for a background delivery's outcome.
        _logger.info("a background delivery failed: %s", exc.message)


@contextlib.contextmanager
def collect(headers: Mapping[str, str]) -> Iterator[list[Job]]:
    """Queue the deliveries the enclosed handler schedules, instead of starting them.

    Args:
        headers: the API request's headers; its tracing headers go with the deliveries.
    """
    pending: list[Job] = []
    token = _PENDING.set(pending)
    trace = _TRACE.set(tuple((k, headers[k]) for k in _TRACE_HEADERS if k in headers))
    try:
        yield pending
    finally:
        _PENDING.reset(token)
        _TRACE.reset(trace)


async def settle(pending: list[Job]) -> None:
    """Run the queued deliveries in order; the first failure raises its `ApiError`."""
    while pending:
        await pending.pop(0)()


def _shown(url: str) -> str:
    # The path of a self-hosted URL is its only secret: log the origin alone.
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/..."


# --- who is installed where ------------------------------------------------------------------


def webhook_id(bot: BotData, integration_id: str) -> str:
    """The stable webhook id of one installation (derived, so the seeded ids do not move)."""
    digest = hashlib.sha256(f"{bot.id}:{integration_id}".encode()).hexdigest()
    return "wh_" + digest[:26]


def webhook_url(store: Store, bot: BotData, integration_id: str) -> str:
    """The emulator's webhook URL of one installation."""
    base = store.outbound.base_url if store.outbound is not None else ""
    return base + WEBHOOK_PREFIX + webhook_id(bot, integration_id)


def _installation(bot: BotData, name: str, store: Store) -> tuple[str, dict[str, Any]] | None:
    for integration_id in bot.integrations:
        record = store.integrations.get(integration_id)
        entry = bot.record["integrations"].get(integration_id, {})
        if record is not None and name in (record["name"], entry.get("alias")):
            return integration_id, record
    return None


def _user_record(bot: BotData, user_id: str) -> dict[str, Any]:
    found = bot.users.get(user_id)
    if found is not None:
        return found
    # The bot writes as itself; it has no user record of its own in the emulator.
    return {
        "id": user_id,
        "tags": {},
        "createdAt": bot.record["createdAt"],
        "updatedAt": bot.record["updatedAt"],
    }


def _b64(value: Any) -> str:
    return base64.b64encode(dumps(value if value is not None else {})).decode("ascii")


def integration_headers(
    store: Store, bot: BotData, integration_id: str, operation: str
) -> dict[str, str]:
    """The headers Botpress sends to an integration for one operation."""
    entry = bot.record["integrations"].get(integration_id, {})
    record = store.integrations[integration_id]
    headers = {
        "x-bp-operation": operation,
        "x-bot-id": bot.id,
        "x-bot-user-id": bot.id,
        "x-integration-id": integration_id,
        "x-integration-alias": str(entry.get("alias") or record["name"]),
        "x-webhook-id": webhook_id(bot, integration_id),
        "x-bp-configuration": _b64(entry.get("configuration")),
    }
    if entry.get("configurationType"):
        headers["x-bp-configuration-type"] = str(entry["configurationType"])
    headers.update(_TRACE.get())
    return headers


def _check_answer(status: int, raw: bytes, what: str, url: str) -> Any:
    """The JSON of a 2xx answer; any other answer raises the `ApiError` the caller gets."""
    if 200 <= status < 300:
        try:
            return loads(raw) if raw.strip() else {}
        except ValueError:
            raise ApiError(
                400, "Runtime", f"{what} to {_shown(url)} answered a body that is not JSON"
            ) from None
    message = f"{what} to {_shown(url)} answered {status}"
    with contextlib.suppress(ValueError, AttributeError):
        data = loads(raw)
        if isinstance(data.get("message"), str):
            message += ": " + data["message"]
    raise ApiError(400, "Runtime", message)


# --- the hooks the API's handlers call ---------------------------------------------------------


def message_created(store: Store, bot: BotData, message: Mapping[str, Any]) -> None:
    """Deliver a new message to whoever must hear of it; every code path creating one calls this.

    An outgoing message (written by the bot) goes to the integration that owns the
    conversation's channel as ``message_created``; an incoming one (written by an integration
    or a chat user) goes to the bot as an ``event_received`` of type ``message_created``.
    Nothing is sent when that side has no URL, or outside an emulator.

    Args:
        store: the emulator's state.
        bot: the bot the message belongs to.
        message: the message as stored.
    """
    outbound = store.outbound
    if outbound is None:
        return
    conversation = bot.conversations.get(str(message.get("conversationId")))
    if conversation is None:
        return
    user = _user_record(bot, str(message.get("userId")))
    if message.get("direction") == "outgoing":
        found = _installation(bot, str(conversation.get("integration")), store)
        if found is None or not found[1].get("url"):
            return
        integration_id, record = found
        url = str(record["url"])
        headers = integration_headers(store, bot, integration_id, "message_created")
        body = {
            "type": message.get("type"),
            "payload": message.get("payload"),
            "conversation": conversation,
            "message": dict(message),
            "user": user,
        }

        async def to_integration() -> None:
            status, _, raw = await outbound.post(url, headers, body, "message_created")
            _check_answer(status, raw, "message_created", url)

        outbound.schedule(to_integration)
        return
    bot_url = bot.record.get("url")
    if not bot_url:
        return
    event = {
        "id": store.new_id("evt"),
        "createdAt": iso_now(),
        "type": "message_created",
        "payload": {"message": dict(message), "user": user, "conversation": conversation},
        "conversationId": conversation["id"],
        "userId": user["id"],
        "messageId": message.get("id"),
        "status": "processed",
        "failureReason": None,
    }
    bot.events[event["id"]] = event
    send_event(store, bot, event)


def send_event(store: Store, bot: BotData, event: Mapping[str, Any]) -> None:
    """Deliver an event to the bot's URL as ``event_received`` (nothing when it has none)."""
    outbound = store.outbound
    bot_url = bot.record.get("url")
    if outbound is None or not bot_url:
        return
    url = str(bot_url)
    configuration = bot.record.get("configuration")
    headers = {
        "x-bot-id": bot.id,
        "x-bp-operation": "event_received",
        "x-bp-type": str(event.get("type")),
        "x-bp-configuration": _b64(
            configuration.get("data") if isinstance(configuration, dict) else None
        ),
    }
    headers.update(_TRACE.get())

    async def to_bot() -> None:
        status, _, raw = await outbound.post(url, headers, {"event": dict(event)}, "event_received")
        _check_answer(status, raw, "event_received", url)

    outbound.schedule(to_bot)


def registered(store: Store, bot: BotData, integration_id: str) -> None:
    """Send ``register`` to a newly installed or configured integration that has a URL.

    A failed registration leaves the installation ``registration_failed`` and fails the call.

    Args:
        store: the emulator's state.
        bot: the bot the integration is installed in.
        integration_id: the integration's id.
    """
    outbound = store.outbound
    record = store.integrations.get(integration_id)
    entry = bot.record["integrations"].get(integration_id)
    if outbound is None or record is None or entry is None or not record.get("url"):
        return
    url = str(record["url"])
    headers = integration_headers(store, bot, integration_id, "register")
    entry["status"] = "registration_pending"
    entry["webhookId"] = webhook_id(bot, integration_id)
    entry["webhookUrl"] = webhook_url(store, bot, integration_id)

    async def register() -> None:
        try:
            status, _, raw = await outbound.post(
                url, headers, {"webhookUrl": entry["webhookUrl"]}, "register"
            )
            _check_answer(status, raw, "register", url)
        except ApiError as exc:
            entry["status"] = "registration_failed"
            entry["statusReason"] = exc.message
            raise
        entry["status"] = "registered"
        entry["statusReason"] = None

    outbound.schedule(register)


# --- operations answered by delivering --------------------------------------------------------


@handler("callAction")
async def call_action(ctx: Context) -> Any:
    """Run ``"<integration>:<action>"`` on the integration's URL and answer its output."""
    bot = ctx.require_bot()
    name, sep, action = str(ctx.body.get("type", "")).partition(":")
    if not sep or not name or not action:
        raise ApiError(
            400, "InvalidPayload", "callAction's type must read '<integration>:<action>'"
        )
    found = _installation(bot, name, ctx.store)
    if found is None:
        raise ApiError(
            400, "InvalidPayload", f"no integration {name!r} is installed in bot {bot.id!r}"
        )
    integration_id, record = found
    outbound = ctx.store.outbound
    if outbound is None or not record.get("url"):
        raise ApiError(
            400,
            "Runtime",
            f"integration {name!r} has no URL, so nothing can run its action {action!r}: "
            "register a self-hosted integration's URL with updateIntegration(url=...)",
        )
    url = str(record["url"])
    headers = integration_headers(ctx.store, bot, integration_id, "action_triggered")
    body = {"type": action, "input": ctx.body.get("input", {})}
    status, _, raw = await outbound.post(url, headers, body, "action_triggered")
    answer = _check_answer(status, raw, "action_triggered", url)
    output = answer.get("output") if isinstance(answer, dict) else None
    return {"output": output if output is not None else {}, "meta": {"cached": False}}


async def webhook(store: Store, request: web.BaseRequest, raw_path: str) -> web.StreamResponse:
    """Forward a request to an installation's webhook URL as ``webhook_received``."""
    rest = raw_path[len(WEBHOOK_PREFIX) :]
    wh_id, _, tail = rest.partition("/")
    wh_id = unquote(wh_id)
    for bot in store.bots.values():
        for integration_id in bot.integrations:
            if webhook_id(bot, integration_id) != wh_id:
                continue
            record = store.integrations.get(integration_id)
            outbound = store.outbound
            if record is None or outbound is None or not record.get("url"):
                break
            url = str(record["url"])
            raw = await request.read()
            req = {
                "method": request.method,
                "path": "/" + tail,
                "query": request.query_string,
                "headers": dict(request.headers),
                "body": raw.decode("utf-8", "replace") if raw else None,
            }
            headers = integration_headers(store, bot, integration_id, "webhook_received")
            try:
                status, answer_headers, body = await outbound.post(
                    url, headers, {"req": req}, "webhook_received"
                )
            except ApiError as exc:
                return web.Response(status=502, text=exc.message)
            kept = {
                k: v
                for k, v in answer_headers.items()
                if k in ("content-type",) or k.startswith("x-")
            }
            return web.Response(status=status, body=body, headers=kept)
    return web.Response(status=404, text="no installation has this webhook id")


@handler("configureIntegration")
def configure_integration(ctx: Context) -> Any:
    """Record what an installed integration says of itself on the bot that installed it.

    Only an integration's own key may call it (the bot's installation of that integration is
    what changes); the identifier, register schedule and sandbox identifiers are kept on the
    installation, where ``getBot`` shows them. ``None`` clears a field; a field left out stays.
    """
    bot = ctx.require_bot()
    if ctx.token.kind != "iak":
        raise ApiError(
            403,
            "Forbidden",
            "configureIntegration is called by an integration, with its Integration Access Key",
        )
    integration_id = ctx.token.owner
    entry = bot.record["integrations"].get(integration_id)
    if entry is None:
        raise ApiError(
            404,
            "ResourceNotFound",
            f"integration {integration_id!r} is not installed in bot {bot.id!r}",
        )
    body = ctx.body if isinstance(ctx.body, dict) else {}
    for field_name in ("identifier", "scheduleRegisterCall", "sandboxIdentifiers"):
        if field_name in body:
            entry[field_name] = body[field_name]
    return {}
