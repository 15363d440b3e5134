"""A ConfigurationError says which argument, variable and header it is about, where raised."""

from __future__ import annotations

import pytest

from botpress_async import AsyncClient, ConfigurationError
from botpress_async._base_client import _missing_context
from tests.loopback import FAKE_PAT

pytestmark = pytest.mark.anyio


def test_a_missing_bot_id_names_its_argument_variable_and_header() -> None:
    """The missing-context error carries the three ways to give a bot id."""
    error = _missing_context("x-bot-id", "GET", "/v1/chat/users")
    assert (error.argument, error.env_var, error.header) == ("bot_id", "BP_BOT_ID", "x-bot-id")
    assert error.problem == "GET /v1/chat/users needs a bot id (sent as x-bot-id)"
    assert error.fix is not None
    assert str(error) == f"{error.problem}; {error.fix}"


def test_a_header_the_client_does_not_set_names_only_the_header() -> None:
    """An operation header (not a client setting) names no argument or variable."""
    error = _missing_context("x-user-key", "GET", "/v1/chat/users/me")
    assert (error.argument, error.env_var, error.header) == (None, None, "x-user-key")


@pytest.mark.parametrize(
    ("kwargs", "argument", "env_var"),
    [
        ({"api_url": "ftp://api.example"}, "api_url", "BP_API_URL"),
        ({"api_url": "https://u:p@api.example"}, "api_url", "BP_API_URL"),
        ({"token": ""}, "token", "BP_TOKEN"),
        ({"bot_id": ""}, "bot_id", "BP_BOT_ID"),
        ({"token_kind": "nope"}, "token_kind", None),
        ({"bot_id": "bot\n1"}, "bot_id", None),
    ],
)
def test_client_settings_name_what_was_wrong(
    kwargs: dict[str, str], argument: str, env_var: str | None
) -> None:
    """Each refused client setting names its argument (and its variable, when it has one)."""
    kwargs = {"token": FAKE_PAT, **kwargs}
    with pytest.raises(ConfigurationError) as caught:
        AsyncClient(**kwargs)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert caught.value.env_var == env_var


async def test_a_client_without_a_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request with no token anywhere points at BP_TOKEN through the fields."""
    monkeypatch.delenv("BP_TOKEN", raising=False)
    async with AsyncClient(bot_id="bot", api_url="http://127.0.0.1:9") as client:
        with pytest.raises(ConfigurationError) as caught:
            await client.request("GET", "/v1/chat/users")
    assert (caught.value.argument, caught.value.env_var) == ("token", "BP_TOKEN")
