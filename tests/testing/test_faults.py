"""Fault injection: seeded and reproducible, per operation or route, and logged faithfully."""

from __future__ import annotations

import aiohttp
import pytest

from botpress_async.testing import Emulator, FaultRule, Faults

from .world import World, call

pytestmark = pytest.mark.anyio


async def _statuses(seed: int, count: int) -> list[int]:
    async with Emulator(seed=seed) as emu, aiohttp.ClientSession(emu.url) as session:
        emu.faults.add("status", operation="listUsers", probability=0.5, status=502)
        h = {"Authorization": f"Bearer {emu.bak}", "x-bot-id": emu.bot_id}
        return [(await call(session, "GET", "/v1/chat/users", h))[0] for _ in range(count)]


async def test_same_seed_same_faults() -> None:
    """Two emulators with the same seed inject the same faults into the same request sequence."""
    first = await _statuses(seed=3, count=30)
    second = await _statuses(seed=3, count=30)
    other = await _statuses(seed=4, count=30)
    assert first == second
    assert set(first) == {200, 502}
    assert other != first


def test_rules_reject_unknown_kinds_and_statuses() -> None:
    """A fault rule with an unknown kind, a non-5xx status or a bad probability is refused."""
    with pytest.raises(ValueError, match="kind"):
        FaultRule("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status"):
        FaultRule("status", status=418)
    with pytest.raises(ValueError, match="probability"):
        FaultRule("slow", probability=2)


def test_decisions_follow_operation_route_and_times() -> None:
    """A rule fires only for its operation or route, and stops after ``times`` faults."""
    faults = Faults(seed=1)
    faults.add("rate_limit", operation="getUser", times=2)
    faults.add("status", route="/v1/tables", status=500)
    assert [r.kind for r in faults.decide("getUser", "/v1/chat/users/{id}")] == ["rate_limit"]
    assert [r.kind for r in faults.decide("getUser", "/v1/chat/users/{id}")] == ["rate_limit"]
    assert faults.decide("getUser", "/v1/chat/users/{id}") == []
    assert [r.status for r in faults.decide("listTables", "/v1/tables")] == [500]
    assert faults.decide("listUsers", "/v1/chat/users") == []
    faults.clear()
    assert faults.decide("listTables", "/v1/tables") == []


async def test_rate_limit_sends_retry_after(emu: Emulator, world: World) -> None:
    """A rate-limit fault answers 429 RateLimited with Retry-After in seconds, unprocessed."""
    emu.faults.add("rate_limit", operation="listUsers", times=1, retry_after=2)
    async with (
        aiohttp.ClientSession(emu.url) as session,
        session.get("/v1/chat/users", headers=world.runtime_headers()) as resp,
    ):
        body = await resp.json()
        assert (resp.status, resp.headers["Retry-After"], body["type"]) == (429, "2", "RateLimited")
    entry = emu.log.for_operation("listUsers")[-1]
    assert (entry.status, entry.fault, entry.processed) == (429, "rate_limit", False)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_status_faults(emu: Emulator, world: World, status: int) -> None:
    """A status fault answers the chosen 5xx in the API's error shape without processing."""
    emu.faults.add("status", operation="createUser", times=1, status=status)
    async with aiohttp.ClientSession(emu.url) as session:
        code, body = await call(
            session, "POST", "/v1/chat/users", world.runtime_headers(), {"tags": {}}
        )
    assert (code, body["code"]) == (status, status)
    entry = emu.log.for_operation("createUser")[-1]
    assert (entry.status, entry.fault, entry.processed) == (status, "status", False)


async def test_reset_before_processing_changes_nothing(emu: Emulator, world: World) -> None:
    """A connection dropped before processing leaves the state as it was, and says so."""
    users_before = len(emu.store.bots[emu.bot_id].users)
    emu.faults.add("reset_before", operation="createUser", times=1)
    async with aiohttp.ClientSession(emu.url) as session:
        with pytest.raises(aiohttp.ClientError):
            await call(session, "POST", "/v1/chat/users", world.runtime_headers(), {"tags": {}})
    assert len(emu.store.bots[emu.bot_id].users) == users_before
    entry = emu.log.for_operation("createUser")[-1]
    assert (entry.status, entry.fault, entry.processed) == (None, "reset_before", False)


async def test_reset_after_processing_keeps_the_change(emu: Emulator, world: World) -> None:
    """A connection dropped after processing loses the answer but not the state change."""
    users_before = len(emu.store.bots[emu.bot_id].users)
    emu.faults.add("reset_after", operation="createUser", times=1)
    async with aiohttp.ClientSession(emu.url) as session:
        with pytest.raises(aiohttp.ClientError):
            await call(session, "POST", "/v1/chat/users", world.runtime_headers(), {"tags": {}})
    assert len(emu.store.bots[emu.bot_id].users) == users_before + 1
    entry = emu.log.for_operation("createUser")[-1]
    assert (entry.fault, entry.processed) == ("reset_after", True)


async def test_truncated_body(emu: Emulator, world: World) -> None:
    """A truncated answer announces its full length, sends half, and drops the connection."""
    emu.faults.add("truncate", operation="getUser", times=1)
    async with aiohttp.ClientSession(emu.url) as session:
        with pytest.raises(aiohttp.ClientPayloadError):
            await call(
                session, "GET", f"/v1/chat/users/{world.ids['user']}", world.runtime_headers()
            )
        status, _ = await call(
            session, "GET", f"/v1/chat/users/{world.ids['user']}", world.runtime_headers()
        )
    assert status == 200
    assert [e.fault for e in emu.log.for_operation("getUser")] == ["truncate", None]


async def test_slow_answers_still_arrive(emu: Emulator, world: World) -> None:
    """A slow fault delays the answer but still processes the request once."""
    emu.faults.add("slow", operation="listUsers", delay=0.05, times=1)
    async with aiohttp.ClientSession(emu.url) as session:
        status, _ = await call(session, "GET", "/v1/chat/users", world.runtime_headers())
    assert status == 200
    entry = emu.log.for_operation("listUsers")[-1]
    assert (entry.fault, entry.processed, entry.status) == ("slow", True, 200)


async def test_log_ids_are_unique(emu: Emulator, world: World) -> None:
    """Every logged request has its own request id, also sent back as x-request-id."""
    async with (
        aiohttp.ClientSession(emu.url) as session,
        session.get("/v1/chat/users", headers=world.runtime_headers()) as resp,
    ):
        assert resp.headers["x-request-id"] == emu.log[-1].request_id
    ids = [e.request_id for e in emu.log]
    assert len(ids) == len(set(ids))
