"""Client options and raw-request arguments of the wrong type or out of range are refused at
the constructor or the call with the SDK's errors, before anything is sent or retried."""

from __future__ import annotations

from typing import Any

import pytest

import botpress_sync
from botpress_async import ArgumentTypeError, AsyncClient, ConfigurationError
from tests.loopback import FAKE_PAT, Script


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_connections": "5"}, ArgumentTypeError, "max_connections must be an int"),
        ({"max_connections": None}, ArgumentTypeError, "max_connections must be an int"),
        ({"max_connections": True}, ArgumentTypeError, "max_connections must be an int"),
        ({"max_response_size": "1"}, ArgumentTypeError, "max_response_size must be an int"),
        ({"retry_budget": "5"}, ConfigurationError, "retry_budget must be a number"),
        ({"retry_budget": float("nan")}, ConfigurationError, "retry_budget must be a number"),
        ({"retry_budget": -1}, ConfigurationError, "retry_budget must be a number"),
        ({"headers": [("x-a", "b")]}, ArgumentTypeError, "headers must be a mapping"),
        ({"api_url": "http://[::1"}, ConfigurationError, "not a valid URL"),
        ({"api_url": "https://[zz]"}, ConfigurationError, "not a valid URL"),
        ({"api_url": "http://127.0.0.1:99999"}, ConfigurationError, "not a valid URL"),
        ({"api_url": "https://example.com:abc"}, ConfigurationError, "not a valid URL"),
        ({"timeout": 10**400}, ConfigurationError, "timeout is too large"),
    ],
)
@pytest.mark.parametrize("client_class", [AsyncClient, botpress_sync.Client])
def test_a_client_refuses_options_it_cannot_use(
    client_class: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        client_class(FAKE_PAT, **kwargs)


def test_the_options_it_can_use_are_taken() -> None:
    for kwargs in ({"retry_budget": 0}, {"retry_budget": None}, {"max_connections": 4}):
        with botpress_sync.Client(FAKE_PAT, **kwargs) as client:
            assert client is not None


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path"), [(5, "/v1/chat/users"), ("GET", 5)])
async def test_a_raw_request_needs_text_for_its_method_and_path(
    server: Script, method: Any, path: Any
) -> None:
    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ArgumentTypeError, match="must be a str"):
            await client.request(method, path)
    assert server.seen == []
