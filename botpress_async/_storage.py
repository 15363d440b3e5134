"""Requests to the storage host behind presigned URLs: their failures and their attempts.

File bytes move between the client and storage (another host than the API's) with plain
requests that carry no token. They go through the client's public transport primitive
(`Transport.stream`, reached as ``client.transport``) and the SDK's one retry loop
(`run_attempts`), so the retry decision, the client's retry budget and a bulk job's adaptive
limit apply to them as they do to API calls.

The helpers here are typed against `StorageClient`, the little of a client they use, not the
concrete client class.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Final, Protocol, TypeVar

import aiohttp
from yarl import URL

from ._errors import DownloadError, ResponseDecodeError, UploadError
from ._retry import RetryPolicy, retry_after_of, run_attempts
from ._session import Transport
from ._types import NotGiven, NotGivenOr, Timeout

__all__ = [
    "TRANSFER_ERRORS",
    "DownloadError",
    "Failed",
    "StorageClient",
    "UploadError",
    "call_policy",
    "call_timeout",
    "checked_record_url",
    "http_url_problem",
    "retrying",
    "status_failure",
    "strip_query",
    "transport_failure",
]

_BODY_TEXT_LIMIT: Final = 2000
#: What aiohttp and the file system raise during one transfer attempt.
TRANSFER_ERRORS: Final = (aiohttp.ClientError, OSError, asyncio.TimeoutError)

T = TypeVar("T")


class StorageClient(Protocol):
    """What the storage helpers need of a client: its transport and its default time limits."""

    @property
    def transport(self) -> Transport:
        """The client's transport (pool, retry policy and budget)."""
        ...

    @property
    def timeout(self) -> Timeout:
        """The client's default time limits."""
        ...


def strip_query(url: str) -> str:
    """``url`` without its query string, for messages and logs."""
    return url.split("?", 1)[0]


def http_url_problem(url: object) -> str | None:
    """Why ``url`` cannot be requested (not text, not http(s), no host, a bad port), or None.

    aiohttp finds these only while sending, as bare ValueError, TypeError or UnicodeError.
    """
    if not isinstance(url, str):
        return f"it is {type(url).__name__}, not a string"
    try:
        # The port and host are read here: yarl checks them (range, IDNA) only when asked.
        parsed = URL(url, encoded=True)
        scheme, host, _ = parsed.scheme, parsed.host, parsed.explicit_port
    except (ValueError, UnicodeError, TypeError) as exc:  # unbalanced [, a bad port or host
        detail = str(exc)
        query = url.partition("?")[2]
        if query and query in detail:  # a presigned URL's query is its signature
            detail = type(exc).__name__
        return f"it does not parse ({detail})"
    if scheme not in ("http", "https"):
        return "it is not an http or https URL"
    if not host:
        return "it names no host"
    return None


def checked_record_url(url: object, field: str, where: str) -> str:
    """``url`` as a file record gave it, or `ResponseDecodeError` when it cannot be requested.

    Args:
        url: the value of the record's field.
        field: the field's name (``uploadUrl``, ``url``), for the message.
        where: what sent the record (``"upsertFile"``), for the message.
    """
    problem = http_url_problem(url)
    if problem is None:
        assert isinstance(url, str)
        return url
    # The query of a presigned URL is its signature: never in a message.
    shown = strip_query(url) if isinstance(url, str) else repr(url)
    raise ResponseDecodeError(
        f"the file record from {where} has a {field} that cannot be requested "
        f"({shown!r:.120}): {problem}"
    )


class Failed(Exception):
    """One failed attempt at a request to storage, described for `run_attempts`."""

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
        self.attempts = 1
        self.elapsed = 0.0
        self.not_retried: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        # Why the loop stopped early (a long Retry-After, the spent budget) is worth knowing.
        return f"{text} (not retried: {self.not_retried})" if self.not_retried else text


async def status_failure(resp: aiohttp.ClientResponse, what: str) -> Failed:
    """The failure of an attempt answered with an error status (part of the body kept)."""
    raw = await resp.content.read(_BODY_TEXT_LIMIT)
    return Failed(
        f"{what} answered {resp.status}",
        status=resp.status,
        body=raw.decode("utf-8", "replace").strip(),
        retry_after=retry_after_of(resp.status, resp.headers),
    )


def transport_failure(exc: BaseException, what: str) -> Failed:
    """The failure of an attempt that got no answer; says whether a byte may have left."""
    text = str(exc)
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    # Failing to obtain the connection means no byte of the request left.
    sent = not isinstance(exc, (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError))
    return Failed(f"{what} failed: {detail}", sent=sent)


async def retrying(
    transport: Transport,
    attempt: Callable[[aiohttp.ClientTimeout], Awaitable[T]],
    *,
    policy: RetryPolicy,
    timeout: Timeout,
    what: str,
) -> T:
    """Run the idempotent transfer ``attempt`` under the SDK's retry loop.

    Args:
        transport: the client's transport, whose budget the retries spend.
        attempt: one attempt, given its time limits; it raises `Failed`.
        policy: the call's retry policy.
        timeout: the call's time limits.
        what: the request, for messages and the log.

    Raises:
        Failed: the last attempt's failure.
    """

    def limits(remaining: float | None) -> Awaitable[T]:
        return attempt(_attempt_limits(remaining, timeout.connect, timeout.read))

    def late(number: int) -> Failed:
        return Failed(f"{what}: the overall deadline of {timeout.total:g}s passed", sent=False)

    return await run_attempts(
        limits,
        retry_on=(Failed,),
        budget=transport.budget,
        policy=policy,
        total=timeout.total,
        idempotent=True,
        what=what,
        late=late,
    )


def _attempt_limits(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """The aiohttp limits of one transfer attempt."""
    if total is None:
        return _unbounded_limits(connect, read)
    return _limits(total, connect, read)


def _limits(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    # Per-attempt limits bound the connect and each wait for the peer, not the transfer:
    # a large file may take longer than ``read`` to send while making steady progress.
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)


# Without a total limit, every attempt of a bulk job has the same limits: build them once.
_unbounded_limits: Final = functools.lru_cache(maxsize=16)(functools.partial(_limits, None))


def call_policy(client: StorageClient, max_retries: NotGivenOr[int]) -> RetryPolicy:
    """The client's retry policy, with this call's ``max_retries`` when given."""
    transport = client.transport
    if isinstance(max_retries, NotGiven):
        return transport.policy
    return transport.retry_override(transport.policy, max_retries)


def call_timeout(client: StorageClient, timeout: NotGivenOr[Timeout | float | None]) -> Timeout:
    """The client's time limits, or this call's."""
    return client.timeout if isinstance(timeout, NotGiven) else Timeout.coerce(timeout)
