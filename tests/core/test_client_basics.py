"""What AsyncClient puts on the wire, and what it refuses before sending."""

from __future__ import annotations

import json
import logging

import pytest

import botpress_async
from botpress_async import (
    AsyncClient,
    ConfigurationError,
    ScopeError,
    TokenKind,
)
from tests.loopback import FAKE_BAK, FAKE_IAK, FAKE_PAT, Script

pytestmark = pytest.mark.anyio

ENV_VARS = ("BP_TOKEN", "BP_BOT_ID", "BP_WORKSPACE_ID", "BP_INTEGRATION_ID", "BP_API_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


async def test_bearer_and_context_headers(server: Script) -> None:
    """Every request carries the bearer token, the context headers and the SDK's user-agent."""
    async with AsyncClient(
        FAKE_PAT,
        bot_id="bot-1",
        workspace_id="ws-1",
        integration_id="int-1",
        integration_alias="alias-1",
        api_url=server.url,
    ) as client:
        assert await client.request("GET", "/v1/chat/users") == {"ok": True}
    seen = server.seen[0]
    assert seen.headers["authorization"] == f"Bearer {FAKE_PAT}"
    assert seen.headers["x-bot-id"] == "bot-1"
    assert seen.headers["x-workspace-id"] == "ws-1"
    assert seen.headers["x-integration-id"] == "int-1"
    assert seen.headers["x-integration-alias"] == "alias-1"
    assert seen.headers["user-agent"].startswith(
        f"botpress-sdk-python/{botpress_async.__version__}"
    )


@pytest.mark.parametrize("token", [FAKE_PAT, FAKE_BAK, FAKE_IAK])
async def test_same_header_for_every_token_kind(server: Script, token: str) -> None:
    """PAT, BAK and IAK are all sent as Authorization: Bearer <token>."""
    async with AsyncClient(
        token, token_kind="iak" if token == FAKE_IAK else None, bot_id="b", api_url=server.url
    ) as client:
        await client.request("GET", "/v1/files/files")
    assert server.seen[0].headers["authorization"] == "Bearer " + token


async def test_environment_fills_missing_arguments(
    server: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BP_* variables fill what the arguments leave out, and explicit arguments win."""
    monkeypatch.setenv("BP_TOKEN", FAKE_BAK)
    monkeypatch.setenv("BP_BOT_ID", "env-bot")
    monkeypatch.setenv("BP_WORKSPACE_ID", "env-ws")
    monkeypatch.setenv("BP_INTEGRATION_ID", "env-int")
    monkeypatch.setenv("BP_API_URL", server.url)
    async with AsyncClient(workspace_id="arg-ws") as client:
        assert client.token_kind is TokenKind.BAK
        assert client.api_url == server.url
        await client.request("GET", "/v1/tables/tables")
    headers = server.seen[0].headers
    assert headers["authorization"] == "Bearer " + FAKE_BAK
    assert headers["x-bot-id"] == "env-bot"
    assert headers["x-workspace-id"] == "arg-ws"
    assert headers["x-integration-id"] == "env-int"


async def test_default_api_url() -> None:
    """Without argument or variable the client targets the public API over https."""
    client = AsyncClient(FAKE_PAT)
    assert client.api_url == "https://api.botpress.cloud"
    await client.aclose()


async def test_get_sends_no_body_and_post_sends_empty_object(server: Script) -> None:
    """GET has no body nor content-type; POST, PUT, PATCH and DELETE send JSON, `{}` at least."""
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        await client.request("GET", "/v1/chat/users")
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            await client.request(method, "/v1/chat/users")
        await client.request("POST", "/v1/chat/users", json={"name": "é", "tags": {"a": None}})
    get, *writes, last = server.seen
    assert get.body == b""
    assert "content-type" not in get.headers
    for seen in writes:
        assert seen.body == b"{}"
        assert seen.headers["content-type"] == "application/json"
    assert last.body == '{"name":"é","tags":{"a":null}}'.encode()


async def test_query_encoding_on_the_wire(server: Script) -> None:
    """Lists repeat the key, dicts use dotted keys, and the bytes are percent-encoded."""
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        await client.request(
            "GET",
            "/v1/chat/conversations",
            query={
                "participantIds": ["a", "b"],
                "tags": {"foo": "bar baz"},
                "empty": [],
                "n": None,
            },
        )
    assert server.seen[0].query_string == "participantIds=a&participantIds=b&tags.foo=bar%20baz&n="


async def test_extra_headers_per_call_and_removal(server: Script) -> None:
    """Per-call headers add to the client's; a None value removes one."""
    async with AsyncClient(
        FAKE_PAT, bot_id="b", headers={"x-user-id": "u1"}, api_url=server.url
    ) as client:
        await client.request("GET", "/v1/chat/users", headers={"x-user-role": "admin"})
        await client.request("GET", "/v1/chat/users", headers={"x-user-id": None})
    assert server.seen[0].headers["x-user-id"] == "u1"
    assert server.seen[0].headers["x-user-role"] == "admin"
    assert "x-user-id" not in server.seen[1].headers


@pytest.mark.parametrize(
    ("token", "kind", "path", "api"),
    [
        (FAKE_BAK, None, "/v1/admin/workspaces", "admin"),
        (FAKE_BAK, None, "/v2/billing/plans", "billing"),
        (FAKE_IAK, "iak", "/v1/tables/tables", "tables"),
        (FAKE_IAK, "iak", "/v1/admin/bots", "admin"),
        (FAKE_IAK, TokenKind.IAK, "/v2/billing/invoices", "billing"),
    ],
)
async def test_scope_error_before_sending(
    server: Script, token: str, kind: str | None, path: str, api: str
) -> None:
    """A call outside the token's reach raises ScopeError naming the API, kind and reach."""
    async with AsyncClient(token, token_kind=kind, bot_id="b", api_url=server.url) as client:
        with pytest.raises(ScopeError) as info:
            await client.request("GET", path)
    assert server.seen == []
    message = str(info.value)
    assert api in message
    assert info.value.api == api
    assert "runtime" in message
    assert token not in message


@pytest.mark.parametrize(
    ("token", "kind", "path"),
    [
        (FAKE_PAT, None, "/v1/admin/workspaces"),
        (FAKE_PAT, None, "/v2/billing/plans"),
        (FAKE_BAK, None, "/v1/tables/tables"),
        (FAKE_IAK, "iak", "/v1/files/files"),
        ("some-opaque-token", None, "/v1/admin/bots"),
    ],
)
async def test_scope_allows_what_the_token_reaches(
    server: Script, token: str, kind: str | None, path: str
) -> None:
    """Calls inside the token's reach, and every call of an unknown token, are sent."""
    async with AsyncClient(
        token, token_kind=kind, bot_id="b", workspace_id="w", api_url=server.url
    ) as client:
        await client.request("GET", path)
    assert len(server.seen) == 1


@pytest.mark.parametrize("path", ["/v1/chat/users", "/v1/files/files", "/v1/tables/tables"])
async def test_missing_bot_id_fails_before_sending(server: Script, path: str) -> None:
    """Runtime, files and tables calls without a bot id name the argument and its variable."""
    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match=r"bot_id=.*BP_BOT_ID"):
            await client.request("GET", path)
        await client.request("GET", path, headers={"x-bot-id": "per-call"})
    assert [s.headers["x-bot-id"] for s in server.seen] == ["per-call"]


async def test_missing_token_fails_before_sending(server: Script) -> None:
    """A client without a token says how to give one."""
    async with AsyncClient(api_url=server.url, bot_id="b") as client:
        with pytest.raises(ConfigurationError, match="BP_TOKEN"):
            await client.request("GET", "/v1/chat/users")
    assert server.seen == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": "bp_pat_xxx\r\nx-evil: 1"},
        {"bot_id": "bot\nid"},
        {"workspace_id": "ws\x00"},
        {"integration_alias": "a\rb"},
        {"headers": {"x-user-id": "u\n1"}},
    ],
)
def test_control_characters_are_refused(kwargs: dict[str, object]) -> None:
    """Tokens and context values with CR, LF or other controls are refused at construction."""
    args: dict[str, object] = {"token": FAKE_PAT, **kwargs}
    with pytest.raises(ConfigurationError, match="control character") as info:
        AsyncClient(**args)  # type: ignore[arg-type]
    assert "bp_pat_xxx" not in str(info.value)


def test_plain_http_refused_unless_loopback_or_opted_in() -> None:
    """http:// is allowed to loopback hosts and with an explicit opt-in only."""
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        AsyncClient(FAKE_PAT, api_url="http://api.example.com")
    AsyncClient(FAKE_PAT, api_url="http://api.example.com", allow_insecure_http=True)
    for url in ("http://127.0.0.1:1", "http://localhost:8080", "http://[::1]:80"):
        AsyncClient(FAKE_PAT, api_url=url)


def test_token_kind_detection_and_override() -> None:
    """Prefixes give PAT and BAK; token_kind overrides; anything else is unknown."""
    assert AsyncClient(FAKE_PAT).token_kind is TokenKind.PAT
    assert AsyncClient(FAKE_BAK).token_kind is TokenKind.BAK
    assert AsyncClient(FAKE_IAK).token_kind is TokenKind.UNKNOWN
    assert AsyncClient(FAKE_IAK, token_kind="iak").token_kind is TokenKind.IAK
    assert AsyncClient(FAKE_IAK, token_kind="IAK").token_kind is TokenKind.IAK
    assert AsyncClient(FAKE_PAT, token_kind=TokenKind.BAK).token_kind is TokenKind.BAK
    with pytest.raises(ConfigurationError, match="token_kind"):
        AsyncClient(FAKE_PAT, token_kind="admin")


async def test_token_never_in_repr_logs_or_errors(
    server: Script, caplog: pytest.LogCaptureFixture
) -> None:
    """The token stays out of reprs, DEBUG logs, exception texts and attributes."""
    caplog.set_level(logging.DEBUG)
    server.reply(500, {"id": "err_1", "code": 500, "type": "Internal", "message": "boom"})
    server.reply(500, {"id": "err_2", "code": 500, "type": "Internal", "message": "boom"})
    for _ in range(2):
        server.reply(429, {"type": "RateLimited", "message": "slow"}, headers={"Retry-After": "0"})
    client = AsyncClient(
        FAKE_PAT, bot_id="b", api_url=server.url, max_retries=1, initial_retry_delay=0.01
    )
    texts = [repr(client), str(client), repr(client._config), repr(client._base_headers)]
    async with client:
        with pytest.raises(botpress_async.InternalError) as info:
            await client.request("GET", "/v1/chat/users")
        texts += [str(info.value), repr(info.value), repr(vars(info.value))]
        with pytest.raises(botpress_async.RateLimitedError) as info2:
            await client.request("POST", "/v1/chat/users", json={"x": 1})
        texts += [str(info2.value), repr(vars(info2.value))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.__dict__) for record in caplog.records]
    assert any("retrying" in t for t in texts)
    secret = FAKE_PAT.removeprefix("bp_pat_")
    for text in texts:
        assert secret not in text


def test_client_is_not_picklable() -> None:
    """Pickling a client says why it cannot be done instead of leaking the token."""
    import pickle

    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(AsyncClient(FAKE_PAT))


async def test_json_body_is_compact_utf8(server: Script) -> None:
    """Bodies are compact JSON with non-ASCII text left unescaped."""
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        await client.request("PUT", "/v1/chat/users/u", json={"name": "日本", "n": [1, 2.5]})
    assert json.loads(server.seen[0].body) == {"name": "日本", "n": [1, 2.5]}
    assert server.seen[0].body == '{"name":"日本","n":[1,2.5]}'.encode()


async def test_raw_admin_request_needs_workspace_where_documented(server: Script) -> None:
    """request() knows from the documents which admin routes need a workspace id."""
    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match=r"workspace_id=.*BP_WORKSPACE_ID"):
            await client.request("GET", "/v1/admin/bots")
        await client.request("GET", "/v1/admin/workspaces")
    assert [s.path for s in server.seen] == ["/v1/admin/workspaces"]


async def test_raw_post_to_a_documented_idempotent_route_is_retried(server: Script) -> None:
    """A raw POST to getOrCreateUser's route is retried after a 503, a plain POST is not."""
    server.reply(503, text="")
    server.reply(503, text="")
    async with AsyncClient(
        FAKE_PAT, bot_id="b", api_url=server.url, initial_retry_delay=0.001
    ) as client:
        assert await client.request("POST", "/v1/chat/users/get-or-create") == {"ok": True}
        server.reply(503, text="")
        with pytest.raises(botpress_async.APIError):
            await client.request("POST", "/v1/chat/messages", json={})
    assert len(server.seen) == 4


async def test_token_not_in_rendered_traceback_locals(
    server: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tracebacks that render locals (pytest --showlocals, rich) show no token in SDK frames."""
    import traceback

    secret = FAKE_PAT.removeprefix("bp_pat_")
    server.reply(500, {"type": "Internal", "message": "boom"})
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url, max_retries=0) as client:
        try:
            await client.request("GET", "/v1/chat/users")
        except botpress_async.APIError as exc:
            caught: BaseException = exc
    monkeypatch.setenv("BP_TOKEN", FAKE_PAT)
    try:
        AsyncClient(bot_id="bad\nid")
    except ConfigurationError as exc:
        config_error: BaseException = exc
    for error in (caught, config_error):
        rendered = traceback.TracebackException.from_exception(error, capture_locals=True)
        sdk_frames = [f for f in rendered.stack if "botpress_async" in f.filename]
        assert sdk_frames
        for frame in sdk_frames:
            assert frame.locals is not None
            for name, value in frame.locals.items():
                assert secret not in value, (frame.name, name)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/chat/../admin/workspaces",
        "/v1/chat/%2e%2e/admin/workspaces",
        "/v1/chat/./users",
        "/v1/chat/users?x=1",
        "/v1/chat/users#frag",
    ],
)
async def test_raw_paths_cannot_escape_their_route(server: Script, path: str) -> None:
    """Dot segments, queries and fragments in a raw path are refused before sending."""
    async with AsyncClient(FAKE_BAK, bot_id="b", api_url=server.url) as client:
        with pytest.raises(ConfigurationError):
            await client.request("GET", path)
    assert server.seen == []


async def test_header_names_with_control_characters_are_refused(server: Script) -> None:
    """A per-call header name with CR or LF raises ConfigurationError before sending."""
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="control character"):
            await client.request("GET", "/v1/chat/users", headers={"x-a\r\nx-b": "1"})
    assert server.seen == []
