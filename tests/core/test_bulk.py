"""The bulk runner: accounting, streaming, adaptive concurrency, fail fast and cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from botpress_async import (
    AsyncClient,
    BulkCancelled,
    BulkError,
    BulkProgress,
    CancelToken,
    ConfigurationError,
    InvalidPayloadError,
    run_bulk,
)
from tests.loopback import FAKE_PAT, Script

pytestmark = pytest.mark.anyio


def fast_client(server: Script, **kwargs: Any) -> AsyncClient:
    """A client on the loopback server whose retries wait milliseconds."""
    kwargs.setdefault("initial_retry_delay", 0.001)
    kwargs.setdefault("max_retry_delay", 0.005)
    return AsyncClient(FAKE_PAT, bot_id="bot", api_url=server.url, **kwargs)


def track_in_flight(server: Script, count: int, *, delay: float = 0.005) -> list[int]:
    """Queue ``count`` slow answers; the returned list receives the in-flight count of each."""
    seen: list[int] = []
    state = {"now": 0}

    async def answer(request: web.Request) -> web.Response:
        state["now"] += 1
        seen.append(state["now"])
        await asyncio.sleep(delay)
        state["now"] -= 1
        return web.json_response({"n": request.query.get("n")})

    for _ in range(count):
        server.reply_with(answer)
    return seen


async def test_every_item_is_accounted_once(server: Script) -> None:
    """Successes and failures together hold each input item exactly once."""
    for n in range(40):
        if n % 7 == 3:
            server.reply(400, {"type": "InvalidPayload", "message": f"bad {n}"})
        else:
            server.reply(200, {"n": n})
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("POST", "/v1/chat/users", json={"n": n})

        result = await run_bulk(call, range(40), concurrency=1, keep_results=True)
    assert result.total == 40
    assert result.succeeded_count == len(result.succeeded) == 34
    items = sorted([n for n, _ in result.succeeded] + [f.item for f in result.failed])
    assert items == list(range(40))
    assert all(isinstance(f.error, InvalidPayloadError) for f in result.failed)
    assert [f.index for f in result.failed] == [3, 10, 17, 24, 31, 38]
    assert not result.ok
    with pytest.raises(BulkError, match="34 succeeded, 6 failed"):
        result.raise_for_failures()


async def test_input_is_pulled_lazily(server: Script) -> None:
    """A generator is consumed only as slots free up, so memory stays bounded."""
    pulled = 0
    finished = 0
    ahead: list[int] = []

    def items() -> Iterator[int]:
        nonlocal pulled
        for n in range(300):
            pulled += 1
            ahead.append(pulled - finished)
            yield n

    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            nonlocal finished
            response = await client.request("GET", "/v1/chat/users", query={"n": n})
            finished += 1
            return response

        result = await run_bulk(call, items(), concurrency=8, keep_results=False)
    assert result.succeeded_count == 300
    assert result.succeeded == []
    assert max(ahead) <= 9


async def test_concurrency_is_bounded(server: Script) -> None:
    """No more calls than the limit are ever in flight at the server."""
    in_flight = track_in_flight(server, 60)
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("GET", "/v1/chat/users", query={"n": n})

        result = await run_bulk(call, range(60), concurrency=5)
    assert result.ok
    assert max(in_flight) <= 5
    assert max(in_flight) >= 2


async def test_rate_limits_lower_concurrency_then_it_recovers(server: Script) -> None:
    """429s shrink the job's concurrency and pause it; successes grow it back; nothing is lost."""
    for _ in range(8):
        server.reply(
            429, {"type": "RateLimited", "message": "slow"}, headers={"Retry-After": "0.05"}
        )
    in_flight = track_in_flight(server, 300, delay=0.002)
    progress: list[BulkProgress] = []
    async with fast_client(server, max_retries=5) as client:

        async def call(n: int) -> Any:
            return await client.request("POST", "/v1/chat/users", json={"n": n})

        result = await run_bulk(call, range(200), concurrency=16, on_progress=progress.append)
    assert result.ok
    assert result.succeeded_count == 200
    assert result.throttled == 8
    assert min(p.concurrency for p in progress) < 16
    assert progress[-1].done == 200
    assert progress[-1].final
    assert progress[-1].rate > 0
    # Right after the burst, fewer calls ran at once than the configured 16.
    assert min(in_flight[:5]) <= 8


async def test_fail_fast_stops_and_accounts_for_everything(server: Script) -> None:
    """The first failure stops the job; every item is succeeded, failed or not run."""
    for n in range(5):
        server.reply(200, {"n": n})
    server.reply(400, {"type": "InvalidPayload", "message": "bad"})
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("POST", "/v1/chat/users", json={"n": n})

        with pytest.raises(BulkError) as info:
            await run_bulk(call, range(100), concurrency=1, fail_fast=True)
    result = info.value.result
    assert result.succeeded_count == 5
    assert len(result.failed) == 1
    assert result.total == 100
    assert result.not_run == list(range(6, 100))
    assert result.cancelled


async def test_cancel_token_from_another_thread(server: Script) -> None:
    """Cancelling from another thread stops the job; in-flight items are marked unknown."""
    track_in_flight(server, 1000, delay=0.02)
    token = CancelToken()
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            if n == 20:
                threading.Thread(target=token.cancel).start()
            return await client.request("POST", "/v1/chat/users", json={"n": n})

        result = await run_bulk(call, range(500), concurrency=4, cancel=token, keep_results=True)
    assert result.cancelled
    assert result.total == 500
    assert result.not_run
    cancelled = [f for f in result.failed if isinstance(f.error, BulkCancelled)]
    assert cancelled
    assert all(f.outcome_unknown for f in cancelled)
    seen = {n for n, _ in result.succeeded} | {f.item for f in result.failed} | set(result.not_run)
    assert seen == set(range(500))


async def test_outer_cancellation_cancels_in_flight_calls(server: Script) -> None:
    """Cancelling the task running the job cancels its calls and re-raises."""
    track_in_flight(server, 100, delay=5)
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("GET", "/v1/chat/users", query={"n": n})

        job = asyncio.ensure_future(run_bulk(call, range(100), concurrency=3))
        for _ in range(500):  # bounded: at most five seconds
            if len(server.seen) >= 3:
                break
            await asyncio.sleep(0.01)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    assert len(server.seen) == 3


async def test_async_iterable_input_and_client_bulk(server: Script) -> None:
    """client.bulk calls a client method with each mapping of keyword arguments."""

    async def items() -> AsyncIterator[dict[str, Any]]:
        for n in range(10):
            yield {"method": "GET", "path": "/v1/chat/users", "query": {"n": n}}

    async with fast_client(server) as client:
        result = await client.bulk(client.request, items(), concurrency=3)
    assert result.ok
    assert sorted(s.query_string for s in server.seen) == sorted(f"n={n}" for n in range(10))


async def test_by_default_a_job_counts_its_successes_and_keeps_none(server: Script) -> None:
    """run_bulk and client.bulk keep no (item, response) pair unless asked, and the count is
    exact either way: a job of a million items must not hold a million responses."""
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("GET", "/v1/chat/users", query={"n": n})

        ran = await run_bulk(call, range(25), concurrency=4)
        sent = await client.bulk(
            client.request,
            ({"method": "GET", "path": "/v1/chat/users", "query": {"n": n}} for n in range(25)),
        )
        kept = await client.bulk(
            client.request,
            [{"method": "GET", "path": "/v1/chat/users", "query": {"n": n}} for n in range(3)],
            keep_results=True,
        )
    for result in (ran, sent):
        assert result.ok
        assert (result.succeeded_count, result.succeeded, result.total) == (25, [], 25)
    assert kept.succeeded_count == len(kept.succeeded) == 3
    assert sorted(item["query"]["n"] for item, _ in kept.succeeded) == [0, 1, 2]
    assert len(server.seen) == 53


async def test_bulk_refuses_what_is_not_a_client_method(server: Script) -> None:
    """A plain function is refused with a message saying what to pass."""
    async with fast_client(server) as client:
        with pytest.raises(ConfigurationError, match="method of the client"):
            await client.bulk(print, [{}])


async def test_progress_bar_draws_on_stderr(
    server: Script, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """progress_bar=True draws a tqdm bar that ends at the number of items."""
    monkeypatch.setenv("BP_PROGRESS_BAR", "always")  # captured stderr is not a terminal
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("GET", "/v1/chat/users", query={"n": n})

        result = await run_bulk(call, range(25), concurrency=4, progress_bar=True)
    assert result.ok
    assert "25/25" in capsys.readouterr().err


async def test_failing_input_stops_every_call_before_raising(server: Script) -> None:
    """When the input raises, no call of the job keeps running after run_bulk raised."""
    track_in_flight(server, 10, delay=5)
    finished: list[int] = []

    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("broken input")

    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            response = await client.request("GET", "/v1/chat/users", query={"n": n})
            finished.append(n)
            return response

        with pytest.raises(RuntimeError, match="broken input"):
            await run_bulk(call, items(), concurrency=4)
        await asyncio.sleep(0.05)
    assert finished == []
    assert not [t for t in asyncio.all_tasks() if "run_bulk" in repr(t)]


async def test_items_never_started_are_not_run_not_unknown(server: Script) -> None:
    """A stop reports items whose call never began as not run, never as outcome unknown."""
    server.reply(400, {"type": "InvalidPayload", "message": "bad"})
    track_in_flight(server, 50, delay=0.2)
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("POST", "/v1/chat/users", json={"n": n})

        with pytest.raises(BulkError) as info:
            await run_bulk(call, range(50), concurrency=4, fail_fast=True)
    result = info.value.result
    assert result.total == 50
    sent = len(server.seen)
    unknown = [f for f in result.failed if f.outcome_unknown]
    # Exactly the calls that reached the server (minus the refused one) are unknown.
    assert len(unknown) == sent - 1
    assert len(result.not_run) == 50 - sent


async def test_a_stop_during_a_slow_read_keeps_the_item_read(server: Script) -> None:
    """An async input that is in the middle of a read when the job stops still hands its
    item over: the item is reported not run, and the rest of the input after it."""

    async def refuse(request: web.Request) -> web.Response:
        await asyncio.sleep(0.03)  # the second read has begun by now
        return web.json_response({"type": "InvalidPayload", "message": "bad"}, status=400)

    server.reply_with(refuse)

    async def items() -> AsyncIterator[int]:
        yield 0
        for n in range(1, 10):
            await asyncio.sleep(0.1)  # a slow source: the stop comes during this read
            yield n

    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("POST", "/v1/chat/users", json={"n": n})

        with pytest.raises(BulkError) as info:
            await run_bulk(call, items(), concurrency=2, fail_fast=True)
    result = info.value.result
    assert [f.item for f in result.failed] == [0]
    assert result.not_run == list(range(1, 10))
    assert len(server.seen) == 1


async def test_call_cancelled_from_inside_is_still_accounted(server: Script) -> None:
    """An item whose own call ends in CancelledError is reported, not lost."""
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            if n == 1:
                raise asyncio.CancelledError
            return await client.request("GET", "/v1/chat/users", query={"n": n})

        result = await run_bulk(call, range(3), concurrency=1)
    assert result.total == 3
    assert [f.item for f in result.failed] == [1]
    assert isinstance(result.failed[0].error, BulkCancelled)


async def test_5xx_on_a_post_is_an_unknown_outcome(server: Script) -> None:
    """A 502 on a non-idempotent call may have been processed: its outcome is unknown."""
    server.reply(502, text="")
    server.reply(400, {"type": "InvalidPayload", "message": "bad"})
    async with fast_client(server) as client:

        async def call(n: int) -> Any:
            return await client.request("POST", "/v1/chat/messages", json={"n": n})

        result = await run_bulk(call, range(2), concurrency=1)
    assert [f.outcome_unknown for f in result.failed] == [True, False]
