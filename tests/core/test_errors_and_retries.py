"""Error mapping, retries, timeouts, redirects and size limits, against a loopback server."""

from __future__ import annotations

import asyncio
import builtins
import gc
import json
import logging
import threading
import time
from email.utils import formatdate
from typing import Any

import pytest
from aiohttp import web

import botpress_async
from botpress_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncClient,
    ClientStateError,
    RateLimitedError,
    ResponseTooLargeError,
    Timeout,
)
from botpress_async._errors import ERROR_TYPES
from tests.loopback import FAKE_PAT, Script

pytestmark = pytest.mark.anyio

ERRORS = json.loads(
    (
        __import__("pathlib").Path(botpress_async.__file__).parent / "_openapi" / "errors.json"
    ).read_text()
)["errors"]


def fast_client(server: Script, **kwargs: Any) -> AsyncClient:
    """A client on the loopback server whose retries wait milliseconds, not seconds."""
    kwargs.setdefault("initial_retry_delay", 0.001)
    kwargs.setdefault("max_retry_delay", 0.005)
    return AsyncClient(FAKE_PAT, bot_id="bot", api_url=server.url, **kwargs)


def test_every_documented_error_type_has_its_class() -> None:
    """All 26 error types of errors.json map to a `<Type>Error` class exported by the package,
    under the base of their status; none is named after a builtin."""
    assert len(ERRORS) == 26
    bases = {
        400: botpress_async.BadRequestError,
        401: botpress_async.AuthenticationError,
        403: botpress_async.PermissionDeniedError,
        404: botpress_async.NotFoundError,
        409: botpress_async.ConflictError,
        429: botpress_async.RateLimitError,
        500: botpress_async.ServerError,
        504: botpress_async.ServerError,
    }
    for entry in ERRORS:
        cls = ERROR_TYPES[entry["type"]]
        expected = entry["type"] + "Error"
        if hasattr(builtins, expected):
            expected = entry["type"] + "FailureError"
        assert cls.__name__ == expected
        assert getattr(botpress_async, cls.__name__) is cls
        assert issubclass(cls, APIError)
        assert issubclass(cls, bases.get(entry["status"], APIError))
        assert cls.__module__ == "botpress_async"
    assert not hasattr(botpress_async, "RuntimeError")
    # What a star import would bind: nothing may shadow a builtin.
    assert not set(botpress_async.__all__) & set(dir(builtins))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, botpress_async.BadRequestError),
        (404, botpress_async.ResourceNotFoundError),
        (409, botpress_async.ConflictError),
        (503, botpress_async.ServerError),
        (418, APIError),
    ],
)
async def test_status_bases_catch_whatever_the_type(
    server: Script, status: int, cls: type[APIError]
) -> None:
    """``except NotFoundError`` works for an unknown type; a bare status picks its base."""
    server.reply(status, {"type": "SomethingNew", "message": "new"})
    server.reply(status, text="plain")
    async with fast_client(server, max_retries=0) as client:
        for _ in range(2):
            with pytest.raises(APIError) as info:
                await client.request("POST", "/v1/chat/users", json={})
            assert isinstance(info.value, cls)
            assert info.value.status == status
    if status == 404:
        with pytest.raises(botpress_async.NotFoundError):
            raise botpress_async.ResourceNotFoundError("x", status=404)


def test_every_public_exception_lives_in_one_module() -> None:
    """Every exception the package exports derives from BotpressError, is defined in
    ``_errors`` and shows the public module path in tracebacks."""
    import botpress_sync
    from botpress_async import _errors

    exported = [
        obj
        for name in botpress_async.__all__ + botpress_sync.__all__
        if isinstance(obj := getattr(botpress_sync, name, None), type)
        and issubclass(obj, BaseException)
    ]
    assert len(exported) > 40
    for cls in exported:
        assert issubclass(cls, botpress_async.BotpressError), cls
        assert getattr(_errors, cls.__name__) is cls
        assert cls.__module__ == "botpress_async", cls


@pytest.mark.parametrize("entry", ERRORS, ids=lambda e: e["type"])
async def test_error_body_gives_typed_error(server: Script, entry: dict[str, Any]) -> None:
    """An error body picks the class by its type and carries status, message, id and request."""
    body = {
        "id": "err_123",
        "code": entry["status"],
        "type": entry["type"],
        "message": "nope",
        "metadata": {"k": "v"},
    }
    server.reply(entry["status"], body)
    async with fast_client(server, max_retries=0) as client:
        with pytest.raises(APIError) as info:
            await client.request("POST", "/v1/chat/users", json={})
    err = info.value
    assert type(err) is ERROR_TYPES[entry["type"]]
    assert (err.status, err.type, err.message, err.error_id) == (
        entry["status"],
        entry["type"],
        "nope",
        "err_123",
    )
    assert (err.method, err.path) == ("POST", "/v1/chat/users")
    assert err.metadata == {"k": "v"}
    assert "nope" in str(err)
    assert "err_123" in str(err)


@pytest.mark.parametrize(
    ("status", "text", "cls"),
    [
        (502, "<html>Bad gateway</html>", botpress_async.ServerError),
        (404, "", botpress_async.ResourceNotFoundError),
        (500, "  not json at all  ", botpress_async.InternalError),
        (418, '{"type": "Teapot", "message": "short and stout"}', APIError),
        (400, '["a", "list"]', botpress_async.BadRequestError),
    ],
)
async def test_malformed_error_bodies_still_give_typed_errors(
    server: Script, status: int, text: str, cls: type[APIError]
) -> None:
    """Non-JSON, empty and unknown-type error bodies give an error with the status and raw text."""
    server.reply(status, text=text)
    async with fast_client(server, max_retries=0) as client:
        with pytest.raises(APIError) as info:
            await client.request("POST", "/v1/chat/users")
    assert type(info.value) is cls
    assert info.value.status == status
    assert info.value.body == text.strip()
    if text.strip():
        assert text.strip()[:20] in str(info.value) or "short and stout" in str(info.value)


async def test_non_json_success_body_is_an_error(server: Script) -> None:
    """A 200 whose body is not JSON raises instead of returning garbage."""
    server.reply(200, text="<html>")
    async with fast_client(server) as client:
        with pytest.raises(APIError, match="not JSON"):
            await client.request("GET", "/v1/chat/users")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_idempotent_requests_retry_5xx(server: Script, status: int) -> None:
    """GET, PUT and DELETE are repeated after a 5xx and succeed when the server recovers."""
    async with fast_client(server) as client:
        for method in ("GET", "PUT", "DELETE"):
            server.reply(status, text="")
            server.reply(200, {"done": method})
            assert await client.request(method, "/v1/chat/users/u") == {"done": method}
    assert len(server.seen) == 6


async def test_post_is_not_retried_after_5xx(server: Script) -> None:
    """A non-idempotent POST that may have reached the server is never repeated."""
    server.reply(503, text="")
    async with fast_client(server) as client:
        with pytest.raises(APIError) as info:
            await client.request("POST", "/v1/chat/messages", json={"x": 1})
    assert info.value.status == 503
    assert len(server.seen) == 1


async def test_idempotent_post_is_retried_when_declared(server: Script) -> None:
    """An operation the code declares idempotent (getOrCreate...) is retried like a PUT."""
    server.reply(503, text="")
    async with fast_client(server) as client:
        result = await client._request(
            "POST", "/v1/chat/users/get-or-create", idempotent=True, requires=("x-bot-id",)
        )
    assert result == {"ok": True}
    assert len(server.seen) == 2


async def test_429_is_retried_for_any_method_honouring_retry_after(server: Script) -> None:
    """429 was not processed, so even a POST is repeated, after the Retry-After delay."""
    server.reply(429, {"type": "RateLimited", "message": "slow"}, headers={"Retry-After": "0.05"})
    async with fast_client(server) as client:
        started = time.monotonic()
        assert await client.request("POST", "/v1/chat/messages") == {"ok": True}
        assert time.monotonic() - started >= 0.04
    assert len(server.seen) == 2


async def test_retry_after_as_http_date(server: Script) -> None:
    """A Retry-After given as an HTTP date is turned into seconds from now."""
    server.reply(
        429,
        {"type": "RateLimited", "message": "x"},
        headers={"Retry-After": formatdate(time.time() + 3600, usegmt=True)},
    )
    async with fast_client(server) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/v1/chat/users")
    assert info.value.retry_after is not None
    assert 3500 < info.value.retry_after <= 3600
    assert len(server.seen) == 1


async def test_retry_after_over_the_cap_raises_at_once(server: Script) -> None:
    """A Retry-After longer than max_retry_after raises RateLimitedError carrying it."""
    server.reply(429, {"type": "RateLimited", "message": "x"}, headers={"Retry-After": "120"})
    async with fast_client(server, max_retry_after=60) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/v1/chat/users")
    assert info.value.retry_after == 120
    assert len(server.seen) == 1


async def test_retries_stop_after_max_retries(server: Script) -> None:
    """After max_retries repeats the last error is raised."""
    for _ in range(5):
        server.reply(500, {"type": "Internal", "message": "x"})
    async with fast_client(server, max_retries=2) as client:
        with pytest.raises(botpress_async.InternalError):
            await client.request("GET", "/v1/chat/users")
        assert len(server.seen) == 3
        server.answers.clear()
        for _ in range(5):
            server.reply(500, {"type": "Internal", "message": "x"})
        with pytest.raises(botpress_async.InternalError):
            await client._request(
                "GET",
                "/v1/chat/users",
                requires=(),
                options=botpress_async.RequestOptions(max_retries=0),
            )
    assert len(server.seen) == 4


async def test_4xx_other_than_429_is_never_retried(server: Script) -> None:
    """Client errors are raised at once."""
    server.reply(400, {"type": "InvalidPayload", "message": "bad"})
    async with fast_client(server) as client:
        with pytest.raises(botpress_async.InvalidPayloadError):
            await client.request("GET", "/v1/chat/users")
    assert len(server.seen) == 1


async def test_connection_refused_is_retried_then_raised() -> None:
    """A refused connection never reached the server, so it is retried, then reported."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AsyncClient(
        FAKE_PAT,
        bot_id="b",
        api_url=f"http://127.0.0.1:{port}",
        initial_retry_delay=0.001,
        max_retries=2,
    )
    async with client:
        with pytest.raises(APIConnectionError) as info:
            await client.request("POST", "/v1/chat/messages")
    assert info.value.sent is False
    assert client.retry_budget.tokens == 500 - 2 * 10


async def test_reset_after_sending_retries_only_idempotent(server: Script) -> None:
    """A dropped connection is retried for GET, reported for POST (which may have been done)."""
    async with fast_client(server) as client:
        server.drop_connection()
        assert await client.request("GET", "/v1/chat/users") == {"ok": True}
        server.drop_connection()
        with pytest.raises(APIConnectionError) as info:
            await client.request("POST", "/v1/chat/messages")
    assert info.value.sent is True
    assert [s.method for s in server.seen] == ["GET", "GET", "POST"]


async def test_per_attempt_timeout(server: Script) -> None:
    """A slow answer raises APITimeoutError, which is also a builtin TimeoutError."""
    server.reply(200, {}, delay=1.0)
    async with fast_client(server, timeout=0.1, max_retries=0) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/v1/chat/users")
    assert isinstance(info.value, TimeoutError)


async def test_overall_deadline_across_retries(server: Script) -> None:
    """The total limit bounds all attempts and waits together."""
    for _ in range(10):
        server.reply(200, {}, delay=0.08)
    limits = Timeout(connect=1, read=0.05, total=0.2)
    async with fast_client(server, timeout=limits, max_retries=10) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.request("GET", "/v1/chat/users")
        assert time.monotonic() - started < 2
    assert 2 <= len(server.seen) <= 5


async def test_timeout_overridden_per_call(server: Script) -> None:
    """A per-call timeout replaces the client's."""
    server.reply(200, {"slow": True}, delay=0.2)
    async with fast_client(server, timeout=0.05, max_retries=0) as client:
        result = await client._request(
            "GET", "/v1/chat/users", options=botpress_async.RequestOptions(timeout=5)
        )
    assert result == {"slow": True}


async def test_retry_budget_stops_retry_storms(server: Script) -> None:
    """When the shared budget is spent, failures are raised without retrying."""
    for _ in range(20):
        server.reply(503, text="")
    async with fast_client(server, retry_budget=10, max_retries=3) as client:
        with pytest.raises(APIError):
            await client.request("GET", "/v1/chat/users")
        assert len(server.seen) == 3  # two retries cost 5 tokens each, then the budget is empty
        with pytest.raises(APIError):
            await client.request("GET", "/v1/chat/users")
        assert len(server.seen) == 4


async def test_retries_are_logged_without_secrets(
    server: Script, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retry is logged on the `botpress` logger with attempt, reason and delay."""
    caplog.set_level(logging.DEBUG, logger="botpress")
    server.reply(503, text="")
    async with fast_client(server) as client:
        await client.request("GET", "/v1/chat/users")
    records = [r for r in caplog.records if r.name == "botpress"]
    assert len(records) == 1
    message = records[0].getMessage()
    for part in ("attempt 2 of 3", "503", "waiting"):
        assert part in message


async def test_redirect_to_another_origin_drops_the_token(server: Script) -> None:
    """Same-origin redirects keep the token; a redirect elsewhere drops it and the ids."""
    other = web.Application()
    received: list[dict[str, str]] = []

    async def sink(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.json_response({"elsewhere": True})

    other.router.add_get("/{tail:.*}", sink)
    from aiohttp.test_utils import TestServer

    other_server = TestServer(other, host="127.0.0.1")
    await other_server.start_server()
    try:
        server.reply(302, text="", headers={"Location": "/v1/chat/users/moved"})
        server.reply(307, text="", headers={"Location": str(other_server.make_url("/landing"))})
        async with fast_client(server) as client:
            assert await client.request("GET", "/v1/chat/users") == {"elsewhere": True}
    finally:
        await other_server.close()
    assert server.seen[1].path == "/v1/chat/users/moved"
    assert server.seen[1].headers["authorization"].startswith("Bearer ")
    assert not any(k.lower() in ("authorization", "x-bot-id") for k in received[0])


async def test_response_over_the_size_cap_is_refused(server: Script) -> None:
    """Bodies over max_response_size raise instead of filling memory, with or without length."""
    server.reply(200, {"blob": "x" * 5000})

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(b"x" * 1000)
        await resp.write_eof()
        return resp

    server.reply_with(chunked)
    async with fast_client(server, max_response_size=4096) as client:
        with pytest.raises(ResponseTooLargeError, match="4096"):
            await client.request("GET", "/v1/chat/users")
        with pytest.raises(ResponseTooLargeError):
            await client.request("GET", "/v1/chat/users")


async def test_unclosed_client_warns(server: Script) -> None:
    """A client dropped with an open pool warns with ResourceWarning."""
    client = fast_client(server)
    await client.request("GET", "/v1/chat/users")
    session = client._transport._session
    assert session is not None
    # Dropping the last reference runs __del__ at once, so it must happen inside the block.
    with pytest.warns(ResourceWarning, match="unclosed"):  # noqa: PT031
        del client
        gc.collect()
    await session.close()


async def test_closed_client_refuses_calls(server: Script) -> None:
    """After aclose() a call raises ClientStateError; aclose() is idempotent."""
    client = fast_client(server)
    await client.aclose()
    await client.aclose()
    with pytest.raises(ClientStateError, match="closed"):
        await client.request("GET", "/v1/chat/users")


async def test_use_from_another_event_loop_is_refused(server: Script) -> None:
    """A client started on one loop and used from another raises a clear error."""
    async with fast_client(server) as client:
        await client.request("GET", "/v1/chat/users")
        errors: list[BaseException] = []

        def other_thread() -> None:
            try:
                asyncio.run(client.request("GET", "/v1/chat/users"))
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
    assert len(errors) == 1
    assert isinstance(errors[0], ClientStateError)
    assert "another event loop" in str(errors[0])


async def test_borrowed_session_is_left_open(server: Script) -> None:
    """A session passed in is used and not closed by the client."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with fast_client(server, session=session) as client:
            await client.request("GET", "/v1/chat/users")
        assert not session.closed


async def test_path_parameters_are_encoded(server: Script) -> None:
    """Path parameters are escaped one by one; dot segments stay inside their parameter."""
    async with fast_client(server) as client:
        await client._request("GET", "/v1/chat/users/{id}", path_params={"id": "a/b c?é"})
        await client._request("GET", "/v1/chat/users/{id}", path_params={"id": ".."})
        with pytest.raises(ValueError, match="empty"):
            await client._request("GET", "/v1/chat/users/{id}", path_params={"id": ""})
    assert server.seen[0].raw_path == "/v1/chat/users/a%2Fb%20c%3F%C3%A9"
    assert server.seen[1].raw_path == "/v1/chat/users/%2E%2E"
    assert len(server.seen) == 2


async def test_size_cap_counts_decompressed_bytes(server: Script) -> None:
    """A small gzip body that inflates past max_response_size is refused."""
    import gzip

    async def bomb(request: web.Request) -> web.Response:
        body = gzip.compress(b'{"x":"' + b"a" * 200_000 + b'"}')
        return web.Response(
            body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    server.reply_with(bomb)
    async with fast_client(server, max_response_size=50_000) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.request("GET", "/v1/chat/users")


async def test_retry_after_on_503_is_honoured(server: Script) -> None:
    """A 503 with Retry-After waits as asked and carries retry_after when it gives up."""
    server.reply(503, text="", headers={"Retry-After": "0.05"})
    async with fast_client(server) as client:
        started = time.monotonic()
        assert await client.request("GET", "/v1/chat/users") == {"ok": True}
        assert time.monotonic() - started >= 0.04
        server.reply(503, text="", headers={"Retry-After": "7"})
        with pytest.raises(APIError) as info:
            await client.request("POST", "/v1/chat/messages")
    assert info.value.retry_after == 7


async def test_bad_redirect_location_is_an_sdk_error(server: Script) -> None:
    """A redirect to an unparsable URL raises APIConnectionError, not a yarl ValueError."""
    server.reply(302, text="", headers={"Location": "http://[::1"})
    async with fast_client(server, max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="invalid URL"):
            await client.request("GET", "/v1/chat/users")


async def test_malformed_answer_cause_holds_no_token(server: Script) -> None:
    """An aiohttp error carrying the request headers is not chained onto the SDK error."""

    async def broken(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}")
        request.transport.close()
        await asyncio.sleep(0.05)
        return web.Response()

    server.reply_with(broken)
    async with fast_client(server, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.request("POST", "/v1/chat/messages")
    secret = FAKE_PAT.removeprefix("bp_pat_")
    chain: list[BaseException] = []
    error: BaseException | None = info.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    for error in chain:
        assert secret not in repr(vars(error))
        # aiohttp errors keep the request's headers, token included, in request_info.
        assert getattr(error, "request_info", None) is None
