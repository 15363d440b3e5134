"""Inputs that used to slip past the SDK: each is refused before sending with a clear error."""

from __future__ import annotations

import pytest

from botpress_async import AsyncClient, ConfigurationError
from botpress_async._encoding import encode_path, encode_query
from tests.loopback import FAKE_PAT, Script

pytestmark = pytest.mark.anyio


def client_for(server: Script, token: object = FAKE_PAT) -> AsyncClient:
    return AsyncClient(token, bot_id="bot-1", api_url=server.url, max_retries=0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("word", "operation"),
    [
        ("search", "searchFiles"),
        ("tags", "listFileTags"),
        ("knowledge-bases", "listKnowledgeBases"),
    ],
)
async def test_an_id_equal_to_a_sibling_route_word_is_refused(
    server: Script, word: str, operation: str
) -> None:
    """``get_file(id="search")`` would be routed to searchFiles; it is refused, naming it."""
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match=operation) as info:
            await client.files.get_file(id=word)
        assert "id" in str(info.value)
        with pytest.raises(ConfigurationError, match=operation):
            await client.call("getFile", {"id": word.upper()})
        # The same word is a fine id where no sibling route has it.
        await client.files.delete_file(id=word)
    assert [s.method for s in server.seen] == ["DELETE"]


async def test_admin_route_words_are_refused(server: Script) -> None:
    """``baks`` under bots, ``iaks`` under integrations, ``public`` under workspaces."""
    async with AsyncClient(FAKE_PAT, workspace_id="ws", api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="listBotApiKeys"):
            await client.call("getBot", {"id": "baks"})
        with pytest.raises(ConfigurationError, match="listIntegrationApiKeys"):
            await client.call("getIntegration", {"id": "iaks"})
        with pytest.raises(ConfigurationError, match="listPublicWorkspaces"):
            await client.call("getWorkspace", {"id": "public"})
    assert server.seen == []


@pytest.mark.parametrize("where", ["token", "id", "header", "query", "bot_id"])
async def test_lone_surrogates_are_refused(server: Script, where: str) -> None:
    """A lone surrogate cannot be encoded as UTF-8: the SDK says so instead of altering it."""
    bad = "a\ud800b"

    async def attempt() -> None:
        if where == "token":
            AsyncClient("bp_pat_" + bad, api_url=server.url)
        elif where == "bot_id":
            AsyncClient(FAKE_PAT, bot_id=bad, api_url=server.url)
        else:
            async with client_for(server) as client:
                if where == "id":
                    await client.runtime.get_user(id=bad)
                elif where == "header":
                    await client.runtime.list_users(extra_headers={"x-note": bad})
                else:
                    await client.runtime.list_users(next_token=bad)

    with pytest.raises(ConfigurationError, match="surrogate") as info:
        await attempt()
    if where == "token":
        assert bad not in str(info.value)
    assert server.seen == []


async def test_empty_path_parameter_and_non_finite_query(server: Script) -> None:
    """An empty id and NaN or infinity in a query raise ConfigurationError, not ValueError."""
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match="'id' is empty"):
            await client.runtime.get_user(id="")
        with pytest.raises(ConfigurationError, match="'id' is empty"):
            await client.call("getUser", {"id": ""})
        with pytest.raises(ConfigurationError, match="infinity"):
            await client.request("GET", "/v1/chat/users", query={"x": float("inf")})
        with pytest.raises(ConfigurationError, match="query parameter 'bad'"):
            await client.request("GET", "/v1/chat/users", query={"bad": object()})
    assert server.seen == []
    with pytest.raises(ConfigurationError):
        encode_path("/v1/chat/users/{id}", None)
    with pytest.raises(ConfigurationError):
        encode_query({"x": float("nan")})


async def test_bodies_the_encoder_refuses_are_configuration_errors(server: Script) -> None:
    """Deep nesting behind a null (whose NaN check walks the body) and a datetime with no UTC
    form raise ConfigurationError naming the reason, not RecursionError or orjson's TypeError."""
    import datetime as dt

    deep: list[object] = []
    inner = deep
    for _ in range(3000):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    far = dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-2)))
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match="cannot be sent as JSON"):
            await client.request("POST", "/v1/chat/users", json={"a": None, "deep": deep})
        with pytest.raises(ConfigurationError, match="no UTC form"):
            await client.request("POST", "/v1/chat/users", json={"at": far})
    assert server.seen == []


@pytest.mark.parametrize("token", [123, b"bp_pat_xxx", ["bp_pat_x"]])
def test_a_token_that_is_not_a_string_is_refused(token: object) -> None:
    """``AsyncClient(123)`` used to send ``Bearer 123``; now it names the fix."""
    with pytest.raises(ConfigurationError, match="token must be a string"):
        AsyncClient(token)  # type: ignore[arg-type]


def test_bad_retry_counts_are_configuration_errors() -> None:
    """A retry count of the wrong type is the SDK's error, not a bare TypeError."""
    with pytest.raises(ConfigurationError, match="max_retries"):
        AsyncClient(FAKE_PAT, max_retries=1.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="max_retries"):
        AsyncClient(FAKE_PAT, max_retries=-1)
