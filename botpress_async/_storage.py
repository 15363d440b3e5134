"""Requests to the storage host behind presigned URLs: their errors and their retry loop.

File bytes move between the client and storage (another host than the API's) with plain
requests that carry no token. They use the client's connection pool, but not the API's
request path, so the retry decision, the client's retry budget and a bulk job's adaptive
limit are applied here, the same way the transport applies them to API calls.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, TypeVar

import aiohttp
from yarl import URL

from ._errors import DownloadError, UploadError
from ._retry import RetryPolicy, parse_retry_after, should_retry
from ._session import pause_before_retry
from ._throttle import current_limiter
from ._types import NotGiven, NotGivenOr, Timeout

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = [
    "DownloadError",
    "Failed",
    "UploadError",
    "call_policy",
    "call_timeout",
    "retrying",
    "same_origin",
    "status_failure",
    "strip_query",
    "transport_failure",
]

_BODY_TEXT_LIMIT: Final = 2000

T = TypeVar("T")


def strip_query(url: str) -> str:
    """``url`` without its query string, for messages and logs."""
    return url.split("?", 1)[0]


def same_origin(url: str, origin: tuple[str, str, int | None]) -> bool:
    """Whether ``url`` is on the API's origin (scheme, host and port), where the token may go."""
    parsed = URL(url, encoded=True)
    return (parsed.scheme, (parsed.host or "").lower(), parsed.explicit_port) == origin


class Failed(Exception):
    """One failed attempt at a request to storage."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        retry_after: float | None = None,
        sent: bool = True,
        retryable: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.sent = sent
        self.retryable = retryable


async def status_failure(resp: aiohttp.ClientResponse, what: str) -> Failed:
    raw = await resp.content.read(_BODY_TEXT_LIMIT)
    retry_after = None
    if resp.status in (429, 503):
        retry_after = parse_retry_after(resp.headers.get("Retry-After"), now=_wall_clock())
    return Failed(
        f"{what} answered {resp.status}",
        status=resp.status,
        body=raw.decode("utf-8", "replace").strip(),
        retry_after=retry_after,
    )


def _wall_clock() -> float:
    return dt.datetime.now(dt.timezone.utc).timestamp()


def transport_failure(exc: BaseException, what: str) -> Failed:
    text = str(exc)
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    # Failing to obtain the connection means no byte of the request left.
    sent = not isinstance(exc, (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError))
    return Failed(f"{what} failed: {detail}", sent=sent)


async def retrying(
    client: BaseClient,
    attempt: Callable[[aiohttp.ClientTimeout], Awaitable[T]],
    *,
    policy: RetryPolicy,
    timeout: Timeout,
    what: str,
) -> T:
    """Run ``attempt`` until it succeeds or the policy, budget or deadline says stop.

    Raises:
        Failed: the last attempt's failure.
    """
    budget = client._transport.budget
    loop = asyncio.get_running_loop()
    deadline = None if timeout.total is None else loop.time() + timeout.total
    tries = 0
    while True:
        tries += 1
        total = None if deadline is None else deadline - loop.time()
        if total is not None and total <= 0:
            raise Failed(f"{what}: the overall deadline of {timeout.total:g}s passed", sent=False)
        # Per-attempt limits bound the connect and each wait for the peer, not the transfer:
        # a large file may take longer than ``read`` to send while making steady progress.
        limits = aiohttp.ClientTimeout(
            total=total, sock_connect=timeout.connect, sock_read=timeout.read
        )
        try:
            result = await attempt(limits)
        except Failed as failure:
            limiter = current_limiter.get()
            if failure.status in (429, 503) and limiter is not None:
                limiter.on_throttle(failure.retry_after)
            reason = (
                should_retry(method_idempotent=True, status=failure.status, sent=failure.sent)
                if failure.retryable
                else None
            )
            if reason is None or tries > policy.max_retries:
                raise
            if (
                await pause_before_retry(
                    budget=budget,
                    policy=policy,
                    attempt=tries,
                    reason=reason,
                    retry_after=failure.retry_after,
                    deadline=deadline,
                    connection_failure=failure.status is None,
                    what=what,
                )
                is not None
            ):
                raise
        else:
            budget.refund()
            return result


def call_policy(client: BaseClient, max_retries: NotGivenOr[int]) -> RetryPolicy:
    """The client's retry policy, with this call's ``max_retries`` when given."""
    policy = client._policy
    if isinstance(max_retries, NotGiven):
        return policy
    return policy.with_max_retries(max_retries)


def call_timeout(client: BaseClient, timeout: NotGivenOr[Timeout | float | None]) -> Timeout:
    """The client's time limits, or this call's."""
    return client.timeout if isinstance(timeout, NotGiven) else Timeout.coerce(timeout)
