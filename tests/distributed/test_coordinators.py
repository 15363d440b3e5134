"""Shared request budgets: what the transport tells them, the local one, Redis for a fleet."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Mapping
from typing import Any

import pytest

from botpress_async import AsyncClient
from botpress_async.distributed import (
    CoordinatorError,
    LocalCoordinator,
    RedisCoordinator,
    ainsert_rows_partition,
    attach_coordinator,
    budget_key,
    close_worker_clients,
    pause_from_answer,
)
from botpress_async.distributed._coordinator import LocalLimiter
from botpress_async.distributed._redis import RedisLimiter
from botpress_async.testing import Emulator

from .conftest import RedisServer, free_port, make_spec

pytestmark = pytest.mark.anyio

FAKE = "bp_bak_" + "x" * 40


class Recorder:
    """A coordinator that lets everything through and remembers what it was told."""

    def __init__(self) -> None:
        self.acquired = 0
        self.answers: list[tuple[int, str | None]] = []

    async def acquire(self) -> None:
        self.acquired += 1

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        self.answers.append((status, headers.get("Retry-After")))

    async def aclose(self) -> None:
        pass


def test_pause_from_answer_reads_the_rate_limit_headers() -> None:
    """Retry-After on 429/503, a default without it, RateLimit-* at zero, a cap, else nothing."""
    assert pause_from_answer(429, {"Retry-After": "2"}) == 2
    assert pause_from_answer(503, {}) == 1.0
    assert pause_from_answer(200, {"RateLimit-Remaining": "0", "RateLimit-Reset": "3"}) == 3
    assert pause_from_answer(200, {"RateLimit": "limit=10, remaining=0, reset=4"}) == 4
    assert pause_from_answer(200, {"RateLimit-Remaining": "5", "RateLimit-Reset": "3"}) is None
    assert pause_from_answer(429, {"Retry-After": "86400"}) == 300
    assert pause_from_answer(200, {"RateLimit-Remaining": "zero"}) is None
    assert pause_from_answer(404, {}) is None


async def test_the_transport_asks_before_each_attempt_and_reports_each_answer(
    emu: Emulator,
) -> None:
    """A 429 then a success: two acquires, and both answers observed with their headers."""
    emu.faults.add("rate_limit", operation="getTable", times=1, retry_after=0)
    recorder = Recorder()
    async with AsyncClient(
        emu.bak, bot_id=emu.bot_id, api_url=emu.url, initial_retry_delay=0.001
    ) as client:
        attach_coordinator(client, recorder)
        await client.tables.get_table(table="StockTable")
    assert recorder.acquired == 2
    assert [status for status, _ in recorder.answers] == [429, 200]
    assert recorder.answers[0][1] == "0"


async def test_local_limiter_spaces_requests_and_pauses() -> None:
    """Concurrent acquires get evenly spaced slots; after a 429 none starts before the pause."""
    limiter = LocalLimiter(rate=2000, burst=1)
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(limiter.acquire() for _ in range(40)))
    assert limiter.granted == 40
    # 40 slots of 0.5 ms each, reserved back to back as the callers queued.
    gaps = [b - a for a, b in zip(limiter.slots, limiter.slots[1:], strict=False)]
    assert gaps == [pytest.approx(0.0005)] * 39
    await limiter.observe(429, {"Retry-After": "0.05"})
    paused_until = limiter._pause_until
    await limiter.acquire()
    assert loop.time() >= paused_until


async def _keys(server: RedisServer) -> list[str]:
    import redis.asyncio as aioredis

    conn = aioredis.Redis.from_url(server.url)
    try:
        return [key.decode() for key in await conn.keys("*")]
    finally:
        await conn.aclose()


async def test_redis_budget_is_kept_by_a_fleet_of_eight(redis_server: RedisServer) -> None:
    """Eight workers, each with its own connections, share one schedule at the rate.

    The slots are the Redis server's times: no two are closer than 1/rate (the fleet never
    goes faster), and once every worker is waiting they follow each other at exactly 1/rate
    (the fleet loses nothing). The wall-clock figure is in the benchmark.
    """
    config = RedisCoordinator(url=redis_server.url, rate=200, prefix="fleet8")
    key = budget_key(FAKE)
    workers = [RedisLimiter(config, key) for _ in range(8)]
    try:
        # Connected first, as workers of a running job are.
        await asyncio.gather(*(w.acquire() for w in workers))
        for w in workers:
            w.slots.clear()

        async def worker(limiter: RedisLimiter) -> None:
            await asyncio.gather(*(limiter.acquire() for _ in range(25)))

        await asyncio.gather(*(worker(w) for w in workers))
        slots = sorted(slot for w in workers for slot in w.slots)
    finally:
        for w in workers:
            await w.aclose()
    assert len(slots) == len(set(slots)) == 200
    assert all(len(w.slots) == 25 for w in workers)
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) == 5000
    assert sum(gap == 5000 for gap in gaps) >= 0.9 * len(gaps)
    keys = await _keys(redis_server)
    assert keys
    assert all(key in k and FAKE not in k and "xxxx" not in k for k in keys)


async def test_a_429_pauses_every_worker_of_the_fleet(redis_server: RedisServer) -> None:
    """One worker's 429 sets the shared pause; the other seven start nothing before it ends."""
    config = RedisCoordinator(url=redis_server.url, rate=1000, burst=10, prefix="pause8")
    key = budget_key(FAKE)
    workers = [RedisLimiter(config, key) for _ in range(8)]
    try:
        await workers[0].observe(429, {"Retry-After": "0.3"})
        import redis.asyncio as aioredis

        conn = aioredis.Redis.from_url(redis_server.url)
        try:
            paused_until = int(await conn.get(f"pause8:{key}:pause"))
        finally:
            await conn.aclose()

        async def start(limiter: RedisLimiter) -> float:
            await limiter.acquire()
            return time.time() * 1_000_000

        started = await asyncio.gather(*(start(w) for w in workers[1:]))
    finally:
        for w in workers:
            await w.aclose()
    # Redis's clock and this process's are the same machine's.
    assert all(at >= paused_until - 1000 for at in started)
    # Slots were reserved after the pause (a burst of 10 may start 9 intervals "early").
    assert all(slot >= paused_until - 9 * 1000 for w in workers[1:] for slot in w.slots)


async def test_unreachable_redis_fails_fast_or_falls_back(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """No server: the request fails with CoordinatorError unsent; with fallback='local' it runs."""
    url = f"redis://:secret-password@127.0.0.1:{free_port()}/0"
    failing = RedisCoordinator(url=url, rate=50, timeout=0.5)
    before = len(emu.log)
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        attach_coordinator(client, failing.bind(budget_key(emu.bak)))
        with pytest.raises(CoordinatorError, match="fallback='local'") as caught:
            await client.tables.get_table(table="StockTable")
    assert "secret-password" not in str(caught.value)
    assert "secret-password" not in repr(failing)
    assert len(emu.log) == before

    falling_back = RedisCoordinator(url=url, rate=50, timeout=0.5, fallback="local")
    with caplog.at_level(logging.WARNING, logger="botpress.distributed"):
        async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
            attach_coordinator(client, falling_back.bind(budget_key(emu.bak)))
            await client.tables.get_table(table="StockTable")
            await client.tables.get_table(table="StockTable")
    assert "falling back to a per-process budget" in caplog.text
    assert "secret-password" not in caplog.text


async def test_partitions_share_the_redis_budget(emu: Emulator, redis_server: RedisServer) -> None:
    """A spec with a RedisCoordinator sends every request through it, and still succeeds."""
    config = RedisCoordinator(url=redis_server.url, rate=200, burst=5, prefix="e2e")
    spec = make_spec(emu, coordinator=config)
    try:
        summary = await ainsert_rows_partition(
            spec, "StockTable", [{"sku": f"r{i}", "qty": i} for i in range(300)], chunk_size=20
        )
        client = spec.worker_client()
        coordinator: Any = client._transport.coordinator
        assert isinstance(coordinator, RedisLimiter)
        assert len(coordinator.slots) == 15
    finally:
        await close_worker_clients()
    assert summary.ok
    assert summary.requests == 15


async def test_local_coordinator_in_a_spec(emu: Emulator) -> None:
    """A LocalCoordinator's limiter is attached to the worker's client and paces it."""
    spec = make_spec(emu, coordinator=LocalCoordinator(rate=500, burst=2))
    try:
        summary = await ainsert_rows_partition(
            spec, "StockTable", [{"sku": f"l{i}", "qty": i} for i in range(50)], chunk_size=10
        )
        limiter: Any = spec.worker_client()._transport.coordinator
        assert isinstance(limiter, LocalLimiter)
        assert limiter.granted == 5
    finally:
        await close_worker_clients()
    assert summary.ok
