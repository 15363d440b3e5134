"""`RedisCoordinator`: one request budget for a whole fleet, kept in Redis.

Each acquire is one atomic script on the Redis server: it checks the shared pause, then
reserves the next free slot of the budget's schedule (a steady ``rate`` with ``burst``) and
says how long to wait for it. Times are the Redis server's, so workers' clocks do not matter.
A 429 (or an exhausted ``RateLimit``) seen by any worker sets the shared "paused until", and
every worker holds off until then. Keys are ``<prefix>:<hash of the token>:...``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import attrs

from botpress_async._errors import ConfigurationError, CoordinatorError
from botpress_async._throttle import RateCoordinator

from ._coordinator import LocalLimiter, _check_rate, pause_from_answer

__all__ = ["RedisCoordinator", "RedisLimiter"]

logger: Final = logging.getLogger("botpress.distributed")

# KEYS: schedule, pause. ARGV: interval (us), tolerance (us), most reservation ahead (us).
# Returns {wait_us, slot_us, paused}: wait before sending (0: now), the slot reserved (server
# microseconds; 0 when nothing was reserved), and 1 when the wait is a shared pause.
_ACQUIRE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > now then
  return {pause - now, 0, 1}
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now - tolerance then
  slot = now - tolerance
end
local wait = slot - now
if wait > tonumber(ARGV[3]) then
  return {wait - tonumber(ARGV[3]), 0, 0}
end
redis.call('SET', KEYS[1], slot + interval, 'PX', 60000 + math.floor((slot - now) / 1000))
if wait < 0 then
  wait = 0
end
return {wait, slot, 0}
"""

# KEYS: pause. ARGV: pause length (us). The later of the current and the new "paused until".
_PAUSE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then
  redis.call('SET', KEYS[1], until_, 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
  return until_
end
return current
"""

# KEYS: pause. Microseconds left of the shared pause (0 when there is none).
_PAUSED_FOR: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > now then
  return pause - now
end
return 0
"""


def _where(url: str) -> str:
    # Host and port only: a Redis URL may carry a password.
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 6379}"


@attrs.frozen(kw_only=True)
class RedisCoordinator:
    """One budget of ``rate`` requests per second for every worker that shares a Redis.

    Needs the ``redis`` extra (``pip install 'botpress-sdk[redis]'``).

    Attributes:
        url: the Redis server, e.g. ``"redis://redis.internal:6379/0"`` (a password in it
            is never logged).
        rate: requests per second, for the whole fleet.
        burst: requests that may start at once after a quiet spell.
        fallback: what to do when Redis cannot be reached: ``"fail"`` raises
            `CoordinatorError` before the request is sent; ``"local"`` logs a warning and
            falls back to a per-process budget of ``local_rate`` for the rest of the client's life.
        local_rate: the per-process rate of the ``"local"`` fallback (``rate`` by default:
            set it to ``rate`` divided by the number of workers to keep the total).
        prefix: the first part of every key.
        timeout: seconds any Redis command may take before it counts as unreachable.
        max_wait: the longest an acquire may wait for its turn, in seconds.
    """

    url: str
    rate: float
    burst: int = 1
    fallback: Literal["fail", "local"] = "fail"
    local_rate: float | None = None
    prefix: str = "botpress:rate"
    timeout: float = 2.0
    max_wait: float = 600.0

    def __attrs_post_init__(self) -> None:
        _check_rate(self.rate, self.burst)
        if self.local_rate is not None:
            _check_rate(self.local_rate, 1)
        if self.fallback not in ("fail", "local"):
            raise ConfigurationError(f"fallback must be 'fail' or 'local', got {self.fallback!r}")
        url: object = self.url
        if not isinstance(url, str) or urlsplit(url).scheme not in (
            "redis",
            "rediss",
            "unix",
        ):
            raise ConfigurationError(
                f"url must be a redis:// (or rediss://, unix://) URL, got {str(self.url)[:12]!r}..."
            )
        if not self.timeout > 0 or not self.max_wait > 0:
            raise ConfigurationError("timeout and max_wait must be positive numbers of seconds")

    def __repr__(self) -> str:
        return (
            f"RedisCoordinator(url=<{_where(self.url)}>, rate={self.rate!r}, burst={self.burst!r}, "
            f"fallback={self.fallback!r})"
        )

    def bind(self, key: str) -> RateCoordinator:
        """The live coordinator of budget ``key`` in this process (it connects on first use).

        Args:
            key: the budget's name, a hash of the token.
        """
        return RedisLimiter(self, key)


class RedisLimiter:
    """The live side of a `RedisCoordinator`: one connection per process and event loop.

    Args:
        config: the coordinator's settings.
        key: the budget's name.
    """

    def __init__(self, config: RedisCoordinator, key: str) -> None:
        self.config = config
        self._keys = [f"{config.prefix}:{key}:next", f"{config.prefix}:{key}:pause"]
        self._interval = round(1_000_000 / config.rate)
        self._tolerance = (config.burst - 1) * self._interval
        # How far ahead a slot may be reserved; a pause set while a request waits for its
        # slot is checked again before it starts.
        self._ahead = max(2_000_000, 2 * self._interval)
        self._conn: Any = None
        self._owner: tuple[int, int] | None = None
        self._scripts: tuple[Any, Any, Any] | None = None
        self._local: LocalLimiter | None = None
        #: The server times (microseconds) of the slots this limiter reserved, latest last.
        self.slots: list[int] = []

    def _connection(self) -> tuple[Any, Any, Any]:
        owner = (os.getpid(), id(asyncio.get_running_loop()))
        if self._scripts is None or self._owner != owner:
            try:
                import redis.asyncio as aioredis
            except ImportError:
                raise ConfigurationError(
                    "RedisCoordinator needs the redis package: pip install 'botpress-sdk[redis]'"
                ) from None
            # A fork or another loop gets its own connection; the old one is the other's.
            # A few connections, shared by every waiting request: opening one per waiter
            # would cost more than the scripts themselves.
            pool = aioredis.BlockingConnectionPool.from_url(
                self.config.url,
                max_connections=4,
                timeout=self.config.timeout,
                socket_timeout=self.config.timeout,
                socket_connect_timeout=self.config.timeout,
            )
            self._conn = aioredis.Redis.from_pool(pool)
            self._scripts = (
                self._conn.register_script(_ACQUIRE),
                self._conn.register_script(_PAUSE),
                self._conn.register_script(_PAUSED_FOR),
            )
            self._owner = owner
        return self._scripts

    async def _eval(self, which: int, keys: list[str], args: list[int]) -> Any:
        script = self._connection()[which]
        try:
            return await asyncio.wait_for(
                script(keys=keys, args=args), timeout=self.config.timeout + 0.5
            )
        except (asyncio.TimeoutError, OSError) as exc:
            raise self._unreachable(exc) from None
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                raise self._unreachable(exc) from None
            raise

    def _unreachable(self, exc: BaseException) -> CoordinatorError:
        return CoordinatorError(
            f"the Redis rate coordinator at {_where(self.config.url)} cannot be used "
            f"({type(exc).__name__}); nothing was sent. Check the server, or pass "
            "fallback='local' to RedisCoordinator to fall back to per-process limits"
        )

    def _fall_back(self, error: CoordinatorError) -> LocalLimiter:
        if self._local is None:
            logger.warning("%s; falling back to a per-process budget", error)
            self._local = LocalLimiter(self.config.local_rate or self.config.rate, 1)
        return self._local

    async def acquire(self) -> None:
        """Wait for this request's slot in the fleet's budget and outside any shared pause."""
        if self._local is not None:
            return await self._local.acquire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.max_wait
        while True:
            try:
                wait, slot, _ = await self._eval(
                    0, self._keys, [self._interval, self._tolerance, self._ahead]
                )
            except CoordinatorError as error:
                if self.config.fallback != "local":
                    raise
                return await self._fall_back(error).acquire()
            wait_s = int(wait) / 1_000_000
            if slot:
                self.slots.append(int(slot))
                del self.slots[:-10_000]
                if wait_s > 0:
                    await asyncio.sleep(wait_s)
                    await self._sit_out_pause(deadline)
                return None
            if loop.time() + wait_s > deadline:
                raise CoordinatorError(
                    f"waited over {self.config.max_wait:g}s for a turn in the shared request "
                    "budget; nothing was sent"
                )
            await asyncio.sleep(max(wait_s, 0.001))

    async def _sit_out_pause(self, deadline: float) -> None:
        """Wait out a pause another worker set while this request waited for its slot."""
        try:
            remaining = int(await self._eval(2, self._keys[1:], []))
        except CoordinatorError as error:
            if self.config.fallback != "local":
                raise
            self._fall_back(error)
            return
        if remaining > 0:
            if asyncio.get_running_loop().time() + remaining / 1_000_000 > deadline:
                raise CoordinatorError(
                    f"waited over {self.config.max_wait:g}s for a turn in the shared request "
                    "budget; nothing was sent"
                )
            await asyncio.sleep(remaining / 1_000_000)

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Share a pause with the fleet after a 429, 503 or an exhausted ``RateLimit``."""
        pause = pause_from_answer(status, headers)
        if not pause:
            return
        if self._local is not None:
            self._local.pause(pause)
            return
        try:
            await self._eval(1, self._keys[1:], [round(pause * 1_000_000)])
        except CoordinatorError as error:
            if self.config.fallback != "local":
                raise
            self._fall_back(error).pause(pause)

    async def aclose(self) -> None:
        """Close this process's connection to Redis."""
        conn, self._conn, self._scripts, self._owner = self._conn, None, None, None
        if conn is not None:
            await conn.aclose()
