"""The adaptive concurrency limit of a bulk job, shared by its calls through a context variable.

The transport reports every 429 and 503 it sees to the limiter of the job it runs in, so a
rate limit seen by one call slows the whole job (fewer calls in flight, and a pause as long
as ``Retry-After``) instead of every call hammering on alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections.abc import Callable, Mapping
from typing import Final, Protocol

__all__ = ["AdaptiveLimiter", "RateCoordinator", "current_limiter"]

#: The limiter of the bulk job the current task belongs to, if any.
current_limiter: Final[contextvars.ContextVar[AdaptiveLimiter | None]] = contextvars.ContextVar(
    "botpress_bulk_limiter", default=None
)


class RateCoordinator(Protocol):
    """A request budget shared beyond one job: every attempt asks it first and reports back.

    A client's transport calls `acquire` before each attempt and `observe` with each answer
    (its status and headers: 429, ``Retry-After``, ``RateLimit-*``), so a budget kept in one
    process, in Redis or in a Dask scheduler paces all the clients that share it.
    """

    async def acquire(self) -> None:
        """Wait until one more request may start; raise a `BotpressError` if it never may."""

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer (a 429 with ``Retry-After`` pauses everyone sharing the budget).

        Args:
            status: the answer's HTTP status.
            headers: the answer's headers.
        """

    async def aclose(self) -> None:
        """Release connections the coordinator holds; idempotent."""


class AdaptiveLimiter:
    """Additive-increase, multiplicative-decrease limit on the calls a job runs at once.

    Args:
        max_limit: the most calls in flight, and where the limit starts.
        min_limit: the fewest calls in flight the limit may fall to.
        decrease: the factor applied to the limit on a rate limit or overload.
        adaptive: when false the limit stays at ``max_limit`` (pauses still apply).
    """

    def __init__(
        self,
        max_limit: int,
        *,
        min_limit: int = 1,
        decrease: float = 0.5,
        adaptive: bool = True,
    ) -> None:
        if max_limit < 1:
            raise ValueError(f"concurrency must be 1 or more, got {max_limit}")
        self.max_limit = max_limit
        self.min_limit = max(1, min(min_limit, max_limit))
        self.decrease = decrease
        self.adaptive = adaptive
        self._limit = float(max_limit)
        self._in_flight = 0
        self._pause_until = 0.0
        self._last_decrease = -math.inf
        self._wakeup: asyncio.Event | None = None
        self.throttled = 0

    @property
    def limit(self) -> int:
        """How many calls may run at once now."""
        return max(self.min_limit, int(self._limit))

    @property
    def in_flight(self) -> int:
        """How many calls run now."""
        return self._in_flight

    def pause_remaining(self) -> float:
        """Seconds until calls may start again after a ``Retry-After``, or 0."""
        return max(0.0, self._pause_until - asyncio.get_running_loop().time())

    def try_acquire(self) -> bool:
        """Take a free slot if one is free now, outside any pause, without waiting.

        Returns:
            Whether a slot was taken; if not, `acquire` waits for one.
        """
        # Most calls of a job find a slot free: this spares them acquire's coroutine.
        if self._pause_until and self._pause_until > asyncio.get_running_loop().time():
            return False
        if self._in_flight < max(self.min_limit, int(self._limit)):
            self._in_flight += 1
            return True
        return False

    async def acquire(self, stopped: Callable[[], bool] = lambda: False) -> bool:
        """Wait for a free slot under the limit and outside any pause, then take it.

        Args:
            stopped: polled while waiting; when it turns true the wait ends without a slot.

        Returns:
            Whether a slot was taken.
        """
        loop = asyncio.get_running_loop()
        while not stopped():
            pause = self._pause_until - loop.time()
            if pause > 0:
                # Short naps, so a stop is noticed during a long Retry-After.
                await asyncio.sleep(min(pause, 0.1))
                continue
            if self._in_flight < self.limit:
                self._in_flight += 1
                return True
            if self._wakeup is None:
                self._wakeup = asyncio.Event()
            await self._wakeup.wait()
        return False

    def wake(self) -> None:
        """Wake the waiters so they look again (at the limit, or at a stop)."""
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = None

    def release(self) -> None:
        """Give a slot back and wake the waiters."""
        self._in_flight -= 1
        self.wake()

    def on_success(self) -> None:
        """Grow the limit by about one call per limit's worth of successes."""
        if self.adaptive and self._limit < self.max_limit:
            self._limit = min(float(self.max_limit), self._limit + 1.0 / self._limit)
            self.wake()

    def on_throttle(self, retry_after: float | None) -> None:
        """Shrink the limit after a 429 or 503 and pause new calls for ``retry_after`` seconds.

        Args:
            retry_after: the server's ``Retry-After`` in seconds, when it sent one.
        """
        self.throttled += 1
        now = asyncio.get_running_loop().time()
        if retry_after:
            self._pause_until = max(self._pause_until, now + retry_after)
        # One burst of rejections (all the calls in flight at that moment) is one signal: halve
        # once per round trip, not once per rejected call.
        if self.adaptive and now - self._last_decrease > 0.05:
            self._limit = max(float(self.min_limit), self._limit * self.decrease)
            self._last_decrease = now

    def __repr__(self) -> str:
        return f"<AdaptiveLimiter limit={self.limit}/{self.max_limit} in_flight={self._in_flight}>"
