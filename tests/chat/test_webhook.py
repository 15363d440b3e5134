"""Webhook mode: the x-secret-key check and parsing posted signals, on a real aiohttp server."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from botpress_async import ConfigurationError
from botpress_async.chat import (
    MessageCreated,
    MessageStreamDelta,
    Signal,
    UnknownSignal,
    check_secret_key,
    parse_webhook_signal,
)

pytestmark = pytest.mark.anyio
SECRET = "webhook-secret"


async def test_a_webhook_receiver_accepts_only_the_right_secret() -> None:
    """A small receiver built on the helpers answers 401 to a wrong secret, 200 otherwise."""
    received: list[Signal] = []

    async def receive(request: web.Request) -> web.Response:
        if not check_secret_key(request.headers, SECRET):
            return web.Response(status=401)
        received.append(parse_webhook_signal(await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    signal = {
        "type": "message_created",
        "data": {"id": "m1", "conversationId": "c", "userId": "u", "payload": {}, "isBot": True},
    }
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/"
            wrong = await session.post(url, json=signal, headers={"x-secret-key": "nope"})
            assert wrong.status == 401
            missing = await session.post(url, json=signal)
            assert missing.status == 401
            right = await session.post(url, json=signal, headers={"X-Secret-Key": SECRET})
            assert right.status == 200
    finally:
        await runner.cleanup()
    assert len(received) == 1
    assert isinstance(received[0], MessageCreated)
    assert received[0].is_bot


def test_parsing_is_lenient() -> None:
    """Malformed bodies and unknown types become UnknownSignal; known ones are typed."""
    assert isinstance(parse_webhook_signal(b"not json"), UnknownSignal)
    assert isinstance(parse_webhook_signal({"type": "later_type", "data": {}}), UnknownSignal)
    bad_delta = parse_webhook_signal({"type": "message_stream_delta", "data": {"sequence": "x"}})
    assert isinstance(bad_delta, UnknownSignal)
    delta = parse_webhook_signal(
        '{"type":"message_stream_delta","data":{"streamId":"s","sequence":2,"delta":"x"}}'
    )
    assert isinstance(delta, MessageStreamDelta)
    assert delta.sequence == 2
    with pytest.raises(ConfigurationError):
        check_secret_key({}, "")
