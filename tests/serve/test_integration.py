"""`Integration` answers every operation of Botpress, and every bad request, as Botpress expects."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from aiohttp import web

import botpress_async
from botpress_async import ConfigurationError
from botpress_async.integration import (
    Integration,
    IntegrationContext,
    IntegrationMessage,
    WebhookRequest,
    WebhookResponse,
)
from tests.loopback import FAKE_IAK, FAKE_PAT, Script

from .conftest import BOT_ID, INTEGRATION_ID, Served, integration_headers, serve

pytestmark = pytest.mark.anyio


@attrs.frozen
class Settings:
    """A configuration class an integration can ask for."""

    system_url: str
    retries: int = 1


def make_app(api_url: str) -> tuple[Integration, dict[str, Any]]:
    """An integration with one handler of each kind, recording what they were given."""
    app = Integration("ticketing", configuration=Settings, token=FAKE_IAK, api_url=api_url)
    seen: dict[str, Any] = {}

    @app.action("createTicket")
    async def create_ticket(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        seen["action"] = (ctx.bot_id, ctx.integration_id, ctx.alias, ctx.webhook_id, input)
        seen["configuration"] = ctx.configuration
        ctx.cost = 2
        return {"ticketId": "T-1", "title": input["title"]}

    @app.action("syncTicket")
    def sync_ticket(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        seen["thread"] = threading.current_thread().name
        return [input.get("n", 0) + 1]

    @app.action("callBack")
    async def call_back(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        return await ctx.client.call("getUser", {"id": "user_1"})

    @app.action("fail")
    async def fail(ctx: IntegrationContext, input: dict[str, Any]) -> Any:
        if input.get("kind") == "runtime":
            raise botpress_async.RuntimeFailureError("the ticket system is down", status=400)
        if input.get("kind") == "not-json":
            return object()
        raise KeyError("secret-detail-in-traceback")

    @app.message("ticket", "text")
    async def on_text(ctx: IntegrationContext, message: IntegrationMessage) -> None:
        seen["message"] = message
        await message.ack({"ticketMessageId": "M-9"})

    @app.webhook
    async def on_webhook(ctx: IntegrationContext, request: WebhookRequest) -> WebhookResponse:
        seen["webhook"] = request
        return WebhookResponse(
            status=202, headers={"x-answer": "yes"}, body={"got": request.json()}
        )

    @app.register
    async def on_register(ctx: IntegrationContext, webhook_url: str) -> None:
        seen["register"] = webhook_url

    @app.unregister
    def on_unregister(ctx: IntegrationContext, webhook_url: str) -> None:
        seen["unregister"] = webhook_url

    @app.event("create_user")
    async def create_user(ctx: IntegrationContext, body: dict[str, Any]) -> Any:
        return {"user": {"id": "user_new", "tags": body.get("tags", {})}}

    @app.event("create_conversation")
    def create_conversation(ctx: IntegrationContext, body: dict[str, Any]) -> Any:
        return {"conversation": {"id": "conv_new", "channel": body["channel"]}}

    return app, seen


CONFIG = {"system_url": "http://127.0.0.1:1", "retries": 3}


@pytest.fixture
async def served(server: Script) -> AsyncIterator[tuple[Served, dict[str, Any], Script]]:
    """The test integration, served on 127.0.0.1, calling back to the recording server."""
    app, seen = make_app(server.url)
    async for client in serve(app.aiohttp_app()):
        yield client, seen, server


async def test_action_answers_output_and_cost(served: Any) -> None:
    """action_triggered calls the action with the context and answers {output, meta.cost}."""
    client, seen, _ = served
    headers = integration_headers("action_triggered", CONFIG)
    reply = await client.post(headers, {"type": "createTicket", "input": {"title": "Printer"}})
    assert reply.status == 200
    assert reply.json() == {"output": {"ticketId": "T-1", "title": "Printer"}, "meta": {"cost": 2}}
    assert seen["action"] == (BOT_ID, INTEGRATION_ID, "ticketing", "wh_01", {"title": "Printer"})
    assert seen["configuration"] == Settings("http://127.0.0.1:1", 3)


async def test_plain_function_runs_in_a_worker_thread(served: Any) -> None:
    """A handler that is not async runs off the event loop's thread."""
    client, seen, _ = served
    headers = integration_headers("action_triggered", CONFIG)
    reply = await client.post(headers, {"type": "syncTicket", "input": {"n": 41}})
    assert reply.json()["output"] == [42]
    assert seen["thread"] != threading.current_thread().name


async def test_request_scoped_client_sends_the_key_ids_and_trace(served: Any) -> None:
    """ctx.client carries the IAK, the request's ids and its traceparent/tracestate."""
    client, _, api = served
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    headers = integration_headers("action_triggered", CONFIG, traceparent=trace, tracestate="bp=1")
    api.reply(200, {"user": {"id": "user_1"}})
    reply = await client.post(headers, {"type": "callBack", "input": {}})
    assert reply.json()["output"] == {"user": {"id": "user_1"}}
    sent = api.seen[0].headers
    assert sent["authorization"] == "Bearer " + FAKE_IAK
    assert sent["x-bot-id"] == BOT_ID
    assert sent["x-integration-id"] == INTEGRATION_ID
    assert sent["x-integration-alias"] == "ticketing"
    assert sent["traceparent"] == trace
    assert sent["tracestate"] == "bp=1"


async def test_clients_share_one_connection_pool(server: Script) -> None:
    """Every request's client borrows the same aiohttp session."""
    app, _ = make_app(server.url)
    first = app.make_client(token_kind="iak", context={"bot_id": "b"}, headers={})
    second = app.make_client(token_kind="iak", context={"bot_id": "b"}, headers={})
    assert first._transport.session() is second._transport.session()
    await app.aclose()


async def test_message_is_dispatched_on_channel_and_type_and_acked(served: Any) -> None:
    """message_created reaches the channel's handler; ack() updates the message's tags."""
    client, seen, api = served
    body = {
        "type": "text",
        "payload": {"text": "hello"},
        "conversation": {"id": "conv_1", "channel": "ticket", "tags": {}},
        "message": {"id": "msg_1", "type": "text", "payload": {"text": "hello"}},
        "user": {"id": "user_bot"},
    }
    api.reply(200, {"message": {"id": "msg_1"}})
    reply = await client.post(integration_headers("message_created", CONFIG), body)
    assert reply.status == 200
    message = seen["message"]
    assert (message.id, message.payload, message.conversation["id"]) == (
        "msg_1",
        {"text": "hello"},
        "conv_1",
    )
    ack = api.seen[0]
    assert (ack.method, ack.path) == ("PUT", "/v1/chat/messages/msg_1")
    assert json.loads(ack.body) == {"tags": {"ticketMessageId": "M-9"}}


@pytest.mark.parametrize(
    ("channel", "type_", "words"),
    [("nowhere", "text", "unknown channel 'nowhere'"), ("ticket", "image", "type 'image'")],
)
async def test_unknown_channel_or_message_type_is_400(
    served: Any, channel: str, type_: str, words: str
) -> None:
    """A message for a channel or type without a handler answers 400 InvalidPayload."""
    client, _, _ = served
    body = {"type": type_, "conversation": {"channel": channel}, "message": {"id": "m"}}
    reply = await client.post(integration_headers("message_created", CONFIG), body)
    assert reply.status == 400
    assert reply.json()["type"] == "InvalidPayload"
    assert words in reply.json()["message"]


async def test_webhook_answer_goes_back_as_the_http_answer(served: Any) -> None:
    """webhook_received gives the handler the request; its answer is the HTTP answer."""
    client, seen, _ = served
    req = {
        "method": "post",
        "path": "/x",
        "query": "a=1",
        "headers": {"X-K": "v"},
        "body": '{"n":1}',
    }
    reply = await client.post(integration_headers("webhook_received", CONFIG), {"req": req})
    assert reply.status == 202
    assert reply.headers["x-answer"] == "yes"
    assert reply.json() == {"got": {"n": 1}}
    assert seen["webhook"] == WebhookRequest(
        method="POST", path="/x", query="a=1", headers={"x-k": "v"}, body='{"n":1}'
    )


async def test_register_unregister_ping_and_quiet_operations(served: Any) -> None:
    """register/unregister get the webhook URL; ping and updates answer 200 without handlers."""
    client, seen, _ = served
    for operation in ("register", "unregister"):
        reply = await client.post(
            integration_headers(operation, CONFIG), {"webhookUrl": "http://w/1"}
        )
        assert reply.status == 200
        assert seen[operation] == "http://w/1"
    for operation in ("ping", "message_updated", "conversation_updated"):
        assert (await client.post(integration_headers(operation, CONFIG))).status == 200


async def test_create_user_answers_the_handlers_body(served: Any) -> None:
    """create_user and create_conversation (older operations) answer the handler's result."""
    client, _, _ = served
    reply = await client.post(integration_headers("create_user", CONFIG), {"tags": {"k": "v"}})
    assert reply.json() == {"user": {"id": "user_new", "tags": {"k": "v"}}}
    body = {"channel": "ticket", "tags": {}}
    reply = await client.post(integration_headers("create_conversation", CONFIG), body)
    assert reply.json() == {"conversation": {"id": "conv_new", "channel": "ticket"}}


async def test_runtime_error_is_400_with_its_message(served: Any) -> None:
    """A handler raising botpress_async.RuntimeFailureError answers 400 Runtime with its message."""
    client, _, _ = served
    headers = integration_headers("action_triggered", CONFIG)
    reply = await client.post(headers, {"type": "fail", "input": {"kind": "runtime"}})
    assert reply.status == 400
    body = reply.json()
    assert (body["code"], body["type"], body["message"]) == (
        400,
        "Runtime",
        "the ticket system is down",
    )
    assert body["id"].startswith("err_")


async def test_unexpected_exception_is_500_without_details(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Any other exception answers 500 Runtime with a generic message; the log has the traceback."""
    client, _, _ = served
    headers = integration_headers("action_triggered", CONFIG)
    with caplog.at_level(logging.ERROR, "botpress.integration"):
        reply = await client.post(headers, {"type": "fail", "input": {"kind": "bug"}})
    assert reply.status == 500
    assert reply.json()["type"] == "Runtime"
    assert "secret-detail" not in reply.body.decode()
    assert any(r.exc_info and "secret-detail" in str(r.exc_info[1]) for r in caplog.records)


async def test_result_that_is_not_json_is_logged_and_500(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler returning something JSON cannot carry: an error in the log and a 500."""
    client, _, _ = served
    headers = integration_headers("action_triggered", CONFIG)
    with caplog.at_level(logging.ERROR, "botpress.integration"):
        reply = await client.post(headers, {"type": "fail", "input": {"kind": "not-json"}})
    assert reply.status == 500
    assert reply.json()["type"] == "Runtime"
    assert any("not JSON" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "missing",
    [
        "x-bp-operation",
        "x-bot-id",
        "x-bot-user-id",
        "x-integration-id",
        "x-integration-alias",
        "x-webhook-id",
    ],
)
async def test_missing_header_is_400_naming_it(served: Any, missing: str) -> None:
    """Each required header, when missing, gets a 400 that names it."""
    client, _, _ = served
    headers = integration_headers("ping", CONFIG)
    del headers[missing]
    reply = await client.post(headers)
    assert reply.status == 400
    assert missing in reply.json()["message"]


async def test_bad_configuration_header_is_400_and_never_logged(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A configuration that is not base64 JSON answers 400 without quoting or logging it."""
    client, _, _ = served
    headers = integration_headers("ping")
    headers["x-bp-configuration"] = "c2VjcmV0LXRva2Vu!!"
    with caplog.at_level(logging.DEBUG):
        reply = await client.post(headers)
    assert reply.status == 400
    assert "x-bp-configuration" in reply.json()["message"]
    assert "c2VjcmV0" not in reply.body.decode()
    assert all("c2VjcmV0" not in r.getMessage() for r in caplog.records)


async def test_configuration_that_does_not_fit_the_class_is_400(served: Any) -> None:
    """A configuration missing a field of the configuration class answers 400 naming the class."""
    client, _, _ = served
    reply = await client.post(integration_headers("ping", {"retries": 2}))
    assert reply.status == 400
    assert "Settings" in reply.json()["message"]
    assert "system_url" in reply.json()["message"]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"x" * 70_000, "max_body_size"),
    ],
)
async def test_bad_body_is_400(server: Script, raw: bytes, words: str) -> None:
    """A body that is not a JSON object, or is too large, answers 400 naming the problem."""
    app, _ = make_app(server.url)
    app.max_body_size = 65_536
    async for client in serve(app.aiohttp_app()):
        reply = await client.post(integration_headers("ping", CONFIG), raw=raw)
        assert reply.status == 400
        assert words in reply.json()["message"]


async def test_unknown_operation_and_action_are_400(served: Any) -> None:
    """An operation or an action the integration does not know answers 400."""
    client, _, _ = served
    reply = await client.post(integration_headers("teleport", CONFIG))
    assert (reply.status, reply.json()["type"]) == (400, "InvalidPayload")
    assert "teleport" in reply.json()["message"]
    reply = await client.post(integration_headers("action_triggered", CONFIG), {"type": "nope"})
    assert reply.status == 400
    assert "nope" in reply.json()["message"]


async def test_health_answers_200(served: Any) -> None:
    """GET /health answers 200 for load balancers."""
    client, _, _ = served
    async with client.session.get(client.url + "/health") as resp:
        assert resp.status == 200


async def test_expected_ids_are_checked(server: Script) -> None:
    """With expected ids set, a request for another bot or integration answers 403."""
    app = Integration(expected_bot_id="bot_other", token=FAKE_IAK, api_url=server.url)
    async for client in serve(app.aiohttp_app()):
        reply = await client.post(integration_headers("ping"))
        assert (reply.status, reply.json()["type"]) == (403, "Forbidden")
    app = Integration(expected_integration_id=INTEGRATION_ID, token=FAKE_IAK, api_url=server.url)
    async for client in serve(app.aiohttp_app()):
        assert (await client.post(integration_headers("ping"))).status == 200


async def test_mounts_in_an_existing_aiohttp_app(server: Script) -> None:
    """aiohttp_app(app=..., path=...) adds the routes to a running service's application."""
    existing = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    existing.router.add_get("/", hello)
    app, _ = make_app(server.url)
    app.aiohttp_app(app=existing, path="/botpress/4f9c2d")
    async for client in serve(existing):
        async with client.session.get(client.url + "/") as resp:
            assert await resp.text() == "hello"
        headers = integration_headers("action_triggered", CONFIG)
        body = {"type": "createTicket", "input": {"title": "t"}}
        reply = await client.post(headers, body, path="/botpress/4f9c2d")
        assert reply.json()["output"]["ticketId"] == "T-1"


async def test_asgi_callable_serves_operations_and_lifespan(server: Script) -> None:
    """The app is an ASGI application: lifespan events and HTTP requests are answered."""
    app, _ = make_app(server.url)
    events = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive_lifespan() -> dict[str, Any]:
        return events.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive_lifespan, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    sent.clear()
    body = json.dumps({"type": "createTicket", "input": {"title": "asgi"}}).encode()
    chunks = [
        {"type": "http.request", "body": body[:5], "more_body": True},
        {"type": "http.request", "body": body[5:]},
    ]

    async def receive_http() -> dict[str, Any]:
        return chunks.pop(0)

    headers = [
        (k.encode(), v.encode()) for k, v in integration_headers("action_triggered", CONFIG).items()
    ]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    await app(scope, receive_http, send)
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"])["output"]["title"] == "asgi"

    # With asgi_path set, only that path takes operations.
    app.asgi_path = "/bp/4f9c2d"
    sent.clear()
    chunks.append({"type": "http.request", "body": body})
    await app(scope, receive_http, send)
    assert sent[0]["status"] == 404


async def test_a_personal_access_token_is_refused(server: Script) -> None:
    """An integration never calls the API with a PAT: its handlers' client refuses one."""
    app = Integration(token=FAKE_PAT, api_url=server.url)
    with pytest.raises(ConfigurationError, match="Integration Access Key"):
        app.check_token()


def test_registration_mistakes_are_configuration_errors() -> None:
    """Registering two handlers for one action, or @event for a dedicated operation, is refused."""
    app = Integration()
    app.action("a")(lambda ctx, input: None)
    with pytest.raises(ConfigurationError, match="already registered"):
        app.action("a")(lambda ctx, input: None)
    with pytest.raises(ConfigurationError, match=r"@app\.action"):
        app.event("action_triggered")
    with pytest.raises(ConfigurationError, match="non-empty"):
        app.message("")


async def test_chunked_body_over_the_limit_is_400(server: Script) -> None:
    """A body sent without a length is counted as it arrives and refused past the limit."""
    app, _ = make_app(server.url)
    app.max_body_size = 65_536

    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 10_000

    async for client in serve(app.aiohttp_app()):
        headers = integration_headers("ping", CONFIG)
        async with client.session.post(client.url + "/", headers=headers, data=chunks()) as resp:
            assert resp.status == 400
            assert "max_body_size" in (await resp.json())["message"]
