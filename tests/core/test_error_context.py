"""Errors that explain themselves: attempts and time, why a retry was refused, which limit."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest

import botpress_async
from botpress_async import APITimeoutError, AsyncClient, RateLimitedError, ScopeError, Timeout
from tests.loopback import FAKE_IAK, FAKE_PAT, Script

pytestmark = pytest.mark.anyio


def fast_client(server: Script, **kwargs: Any) -> AsyncClient:
    kwargs.setdefault("initial_retry_delay", 0.001)
    kwargs.setdefault("max_retry_delay", 0.005)
    return AsyncClient(FAKE_PAT, bot_id="bot", api_url=server.url, **kwargs)


async def test_an_error_after_retries_says_how_many_attempts_over_how_long(server: Script) -> None:
    for _ in range(3):
        server.reply(429, {"type": "RateLimited", "message": "slow down"})
    async with fast_client(server, max_retries=2) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/v1/chat/users")
    err = info.value
    assert err.attempts == 3
    assert err.elapsed > 0
    assert "(after 3 attempts in " in str(err)
    assert str(err).startswith("RateLimited (429) on GET /v1/chat/users: slow down")


async def test_a_retry_after_over_the_cap_says_that_is_why(server: Script) -> None:
    server.reply(429, {"type": "RateLimited", "message": "x"}, headers={"Retry-After": "120"})
    async with fast_client(server, max_retry_after=60) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.request("GET", "/v1/chat/users")
    assert info.value.attempts == 1
    assert info.value.not_retried is not None
    assert "120 s (Retry-After)" in str(info.value)
    assert "max_retry_after of 60 s" in str(info.value)


async def test_a_read_timeout_names_its_limit(server: Script) -> None:
    server.reply(200, {}, delay=1.0)
    async with fast_client(server, timeout=Timeout(connect=5, read=0.1), max_retries=0) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/v1/chat/users")
    assert (info.value.limit, info.value.seconds) == ("read", 0.1)
    assert "read time limit of 0.1 s (Timeout.read)" in str(info.value)


async def test_a_total_timeout_names_its_limit(server: Script) -> None:
    server.reply(200, {}, delay=1.0)
    limits = Timeout(connect=5, read=30, total=0.1)
    async with fast_client(server, timeout=limits, max_retries=0) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/v1/chat/users")
    assert info.value.limit == "total"
    assert "Timeout.total" in str(info.value)


async def test_a_spent_budget_warns_once_and_says_so(
    server: Script, caplog: pytest.LogCaptureFixture
) -> None:
    """A spent retry budget is one warning, not one per refused retry; errors name it."""
    caplog.set_level(logging.INFO, logger="botpress")
    for _ in range(20):
        server.reply(503, text="")
    async with fast_client(server, retry_budget=5, max_retries=3) as client:
        errors = []
        for _ in range(5):
            with pytest.raises(botpress_async.ServerError) as info:
                await client.request("GET", "/v1/chat/users")
            errors.append(info.value)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "retry budget is spent" in (errors[-1].not_retried or "")


def test_the_library_prints_nothing_through_the_last_resort_handler() -> None:
    """With no logging configured, a library warning is not written to stderr."""
    code = (
        "import logging, botpress_async\n"
        "logging.getLogger('botpress').warning('a library warning')\n"
        "logging.getLogger('botpress.bulk').warning('another')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr == ""


def test_scope_error_names_the_kinds_that_reach_the_api() -> None:
    """An IAK calling tables is told a BAK or a PAT works, not to set token_kind."""
    err = ScopeError(
        "tables",
        "Integration Access Key",
        ("runtime", "files"),
        ("Bot Access Key", "Personal Access Token"),
    )
    text = str(err)
    assert "Bot Access Key" in text
    assert "Personal Access Token" in text
    assert "token_kind" not in text


async def test_scope_error_from_a_client(server: Script) -> None:
    async with AsyncClient(FAKE_IAK, token_kind="iak", bot_id="b", api_url=server.url) as client:
        with pytest.raises(ScopeError) as info:
            await client.request("GET", "/v1/tables")
    assert info.value.accepted == ("Bot Access Key", "Personal Access Token")
    assert "token_kind" not in str(info.value)
    assert server.seen == []
