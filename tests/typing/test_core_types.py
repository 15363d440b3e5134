"""Pinned public types of the core; checked by mypy, never run by pytest."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from botpress_async import (
    APIError,
    AsyncClient,
    RateLimitedError,
    ScopeError,
    Timeout,
    TokenKind,
)


async def core_types() -> None:
    async with AsyncClient("bp_pat_" + "x" * 10, bot_id="b", timeout=5) as client:
        assert_type(client, AsyncClient)
        assert_type(await client.request("GET", "/v1/chat/users"), Any)
        assert_type(client.token_kind, TokenKind)
        assert_type(client.timeout, Timeout)
    try:
        pass
    except RateLimitedError as exc:
        assert_type(exc.retry_after, float | None)
        assert_type(exc.status, int)
    except APIError as exc:
        assert_type(exc.error_id, str | None)
    except ScopeError as exc:
        assert_type(exc.reachable, tuple[str, ...])
