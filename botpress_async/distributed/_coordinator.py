"""Shared request budgets: what a coordinator is, the per-process one, and how clients get one.

A coordinator is configured by a small frozen object that pickles (it travels inside a
`ClientSpec`) and is turned into a live `RateCoordinator` in the worker with `bind`, once per
client. Budgets are keyed by a hash of the token, so clients with the same token share one
budget and the token itself is never written anywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from botpress_async._errors import ConfigurationError
from botpress_async._retry import parse_retry_after
from botpress_async._throttle import RateCoordinator

if TYPE_CHECKING:
    from botpress_async._client import AsyncClient

__all__ = [
    "CoordinatorFactory",
    "LocalCoordinator",
    "LocalLimiter",
    "attach_coordinator",
    "budget_key",
    "pause_from_answer",
]

#: Seconds everyone pauses after a 429 or 503 that carries no ``Retry-After``.
DEFAULT_PAUSE = 1.0
#: The longest pause an answer can impose, whatever its headers say.
MAX_PAUSE = 300.0


class CoordinatorFactory(Protocol):
    """The picklable configuration of a coordinator; `bind` makes the live one in a worker."""

    def bind(self, key: str) -> RateCoordinator:
        """The live coordinator for the budget named ``key`` (a hash of the token).

        Args:
            key: the budget's name; clients whose keys are equal share a budget.
        """


def budget_key(token: str) -> str:
    """The name of the budget of ``token``: a one-way hash, safe to use as a Redis key.

    Args:
        token: the client's token.
    """
    return hashlib.sha256(b"botpress-rate-budget\0" + token.encode()).hexdigest()[:32]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def pause_from_answer(status: int, headers: Mapping[str, str]) -> float | None:
    """How long everyone sharing the budget should hold off after this answer, if at all.

    A 429 or 503 pauses for its ``Retry-After`` (one second without it). Any answer whose
    ``RateLimit-Remaining`` (or the ``remaining`` of a structured ``RateLimit`` header) is 0
    pauses until its reset. Pauses are capped at five minutes.

    Args:
        status: the answer's HTTP status.
        headers: the answer's headers.
    """
    pause: float | None = None
    if status in (429, 503):
        pause = parse_retry_after(_header(headers, "Retry-After"), now=time.time())
        if pause is None:
            pause = DEFAULT_PAUSE
    remaining = _seconds(_header(headers, "RateLimit-Remaining"))
    reset = _seconds(_header(headers, "RateLimit-Reset"))
    combined = _header(headers, "RateLimit")
    if combined is not None and remaining is None:
        # The structured form: "limit=100, remaining=0, reset=5".
        fields = dict(
            part.strip().partition("=")[::2] for part in combined.replace(";", ",").split(",")
        )
        remaining = _seconds(fields.get("remaining"))
        reset = _seconds(fields.get("reset"))
    if remaining == 0 and reset:
        pause = max(pause or 0.0, reset)
    return None if pause is None else min(pause, MAX_PAUSE)


def _check_rate(rate: object, burst: object) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < math.inf:
        raise ConfigurationError(
            f"rate must be a positive number of requests per second, got {rate!r}"
        )
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise ConfigurationError(
            f"burst must be a whole number of requests, 1 or more, got {burst!r}"
        )


class LocalLimiter:
    """The live per-process budget: a steady ``rate`` with bursts, and pauses on 429.

    Args:
        rate: requests per second.
        burst: requests that may start at once after a quiet spell.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        # The theoretical time of the next request (a "generic cell rate" schedule).
        self._next = -math.inf
        self._pause_until = 0.0
        self.granted = 0
        #: The loop times of the latest slots given out, latest last.
        self.slots: list[float] = []

    def pause(self, seconds: float) -> None:
        """Let no request start for ``seconds`` from now.

        Args:
            seconds: how long to hold off.
        """
        now = asyncio.get_running_loop().time()
        self._pause_until = max(self._pause_until, now + seconds)

    async def acquire(self) -> None:
        """Wait for this request's turn under the rate and outside any pause."""
        loop = asyncio.get_running_loop()
        # Bounded: each pass either returns or sleeps through a pause that is then over.
        for _ in range(1000):
            now = loop.time()
            if self._pause_until > now:
                await asyncio.sleep(self._pause_until - now)
                continue
            # Reserve the next slot at once, so concurrent callers queue instead of racing.
            slot = max(self._next, now - self.tolerance)
            self._next = slot + self.interval
            self.granted += 1
            self.slots.append(slot)
            del self.slots[:-10_000]
            wait = slot - now
            if wait > 0:
                await asyncio.sleep(wait)
            return

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Pause the process's requests after a 429, 503 or an exhausted ``RateLimit``."""
        pause = pause_from_answer(status, headers)
        if pause:
            self.pause(pause)

    async def aclose(self) -> None:
        """Nothing to release."""


@attrs.frozen(kw_only=True)
class LocalCoordinator:
    """A request budget per process: ``rate`` requests per second for each worker process.

    The default when a `ClientSpec` is given a rate and no shared coordinator. With N worker
    processes the fleet as a whole may send N times ``rate``; use `RedisCoordinator` or
    `DaskCoordinator` for one budget across the fleet.

    Attributes:
        rate: requests per second, in each process.
        burst: requests that may start at once after a quiet spell.
    """

    rate: float
    burst: int = 1

    def __attrs_post_init__(self) -> None:
        _check_rate(self.rate, self.burst)

    def bind(self, key: str) -> RateCoordinator:
        """A live limiter of this process (``key`` is not needed: nothing is shared).

        Args:
            key: the budget's name (unused).
        """
        return LocalLimiter(self.rate, self.burst)


def attach_coordinator(client: Any, coordinator: RateCoordinator | None) -> None:
    """Make every request of ``client`` go through ``coordinator`` (``None`` detaches).

    Args:
        client: an `AsyncClient`, or a blocking `botpress_sync.Client` (its rebuilds after a
            fork get the coordinator too).
        coordinator: the live coordinator.
    """
    from botpress_async._client import AsyncClient

    if isinstance(client, AsyncClient):
        client._transport.coordinator = coordinator
        return
    factory = getattr(client, "_factory", None)
    if factory is None:
        raise ConfigurationError(
            f"attach_coordinator needs an AsyncClient or a botpress_sync.Client, got "
            f"{type(client).__name__}"
        )
    base = getattr(factory, "__wrapped__", factory)

    def rebuilt() -> AsyncClient:
        core: AsyncClient = base()
        core._transport.coordinator = coordinator
        return core

    rebuilt.__wrapped__ = base  # type: ignore[attr-defined]
    client._factory = rebuilt
    core = client._core
    if core is not None:
        core._transport.coordinator = coordinator
