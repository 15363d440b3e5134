"""Bulk jobs stop when they should: errors that fail every call raise at once, a dead server
ends the job after a bounded run of failures, and the failures explain themselves."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import botpress_sync
from botpress_async import (
    APIConnectionError,
    AsyncClient,
    BulkCancelled,
    BulkError,
    CancelToken,
    ConfigurationError,
    RowsError,
    ScopeError,
)
from botpress_async._bulk import BULK_MAX_RETRIES, run_bulk
from botpress_async.testing import Emulator
from tests.loopback import FAKE_IAK, FAKE_PAT, Script

pytestmark = pytest.mark.anyio


def quick(**kwargs: Any) -> dict[str, Any]:
    return {"initial_retry_delay": 0.001, "max_retry_delay": 0.002, **kwargs}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=14) as emulator:
        yield emulator


async def test_a_rows_job_without_bot_id_raises_before_it_starts(server: Script) -> None:
    """5,000 rows without a bot id: one ConfigurationError, not 5 failed requests."""
    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="bot id"):
            await client.tables.insert_rows("T", ({"a": i} for i in range(5000)))
        with pytest.raises(ScopeError):
            await AsyncClient(FAKE_IAK, token_kind="iak", api_url=server.url).tables.delete_rows(
                "T", [1, 2]
            )
    assert server.seen == []


async def test_bulk_calls_that_cannot_be_sent_raise_at_once(server: Script) -> None:
    """client.bulk and upload_files without a bot id raise the error, sending nothing."""
    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="bot id"):
            await client.bulk(client.runtime.get_user, ({"id": f"u{i}"} for i in range(500)))
        with pytest.raises(ConfigurationError, match="bot id"):
            await client.files.upload_files([(f"k{i}", b"x") for i in range(50)])
    assert server.seen == []


async def test_upload_files_without_bot_id_reads_no_item(server: Script) -> None:
    """The client's reach is checked once for the job, before the first item is read."""
    pulled: list[int] = []

    def items() -> Iterator[tuple[str, bytes]]:
        for i in range(50):
            pulled.append(i)
            yield (f"k{i}", b"x")

    async with AsyncClient(FAKE_PAT, api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="bot id"):
            await client.files.upload_files(items())
    assert pulled == []
    assert server.seen == []


async def test_a_bad_item_later_in_the_job_fails_alone(server: Script) -> None:
    """A bad argument in one item (not the first) is that item's failure; the rest run."""
    items = [{"id": "a"}, {"id": ""}, {"id": "c"}]
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=server.url) as client:
        result = await client.bulk(client.runtime.get_user, items, concurrency=1)
    assert result.succeeded_count == 2
    assert [f.index for f in result.failed] == [1]
    assert isinstance(result.failed[0].error, ConfigurationError)


def dead_url() -> str:
    """A loopback URL where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_a_dead_server_stops_the_job_after_a_run_of_connection_failures() -> None:
    """The job ends after a bounded run of calls that could not connect; the rest never ran."""
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=dead_url(), **quick()) as client:
        result = await client.bulk(
            client.runtime.get_user, ({"id": f"u{i}"} for i in range(2000)), concurrency=4
        )
    assert result.stop_reason is not None
    assert "could not reach the API" in result.stop_reason
    assert len(result.failed) <= 30
    # Calls still in flight at the stop are reported cancelled, outcome unknown.
    assert all(isinstance(f.error, (APIConnectionError, BulkCancelled)) for f in result.failed)
    assert result.total == 2000
    assert len(result.not_run) >= 1970
    with pytest.raises(BulkError, match="stopped: ") as info:
        result.raise_for_failures()
    assert isinstance(info.value.__cause__, APIConnectionError)


async def test_a_dead_server_stops_a_rows_job_too() -> None:
    async with AsyncClient(FAKE_PAT, bot_id="b", api_url=dead_url(), **quick()) as client:
        result = await client.tables.insert_rows(
            "T", ({"a": i} for i in range(100_000)), chunk_size=100
        )
    assert result.stop_reason is not None
    assert len(result.not_run) >= 90_000
    with pytest.raises(RowsError, match="first error: APIConnectionError"):
        result.raise_for_failures()


async def test_bulk_error_names_the_first_error_and_counts_by_type() -> None:
    async def call(i: int) -> int:
        if i % 3 == 0:
            raise KeyError(f"k{i}")
        if i % 3 == 1:
            raise ValueError(f"v{i}")
        return i

    result = await run_bulk(call, range(9), concurrency=1)
    with pytest.raises(BulkError) as info:
        result.raise_for_failures()
    text = str(info.value)
    assert "first error: KeyError: 'k0'" in text
    assert "by type: 3 KeyError, 3 ValueError" in text
    assert isinstance(info.value.__cause__, KeyError)


async def test_rows_error_names_the_first_error(emu: Emulator) -> None:
    emu.faults.add("status", operation="createTableRows", status=500, times=2)
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url, **quick()) as client:
        await client.tables.get_or_create_table(
            table="StockTable", schema={"type": "object", "properties": {"a": {"type": "number"}}}
        )
        result = await client.tables.insert_rows(
            "StockTable", [{"a": i} for i in range(30)], chunk_size=10, concurrency=1
        )
    with pytest.raises(RowsError) as info:
        result.raise_for_failures()
    assert "in 2 failed requests" in str(info.value)
    assert "first error: InternalError: " in str(info.value)
    assert "by type: 2 InternalError" in str(info.value)


async def test_bulk_helpers_share_the_patient_retry_default(emu: Emulator) -> None:
    """upload_files and client.bulk retry as row jobs do, more than a single call does."""
    assert BULK_MAX_RETRIES >= 6
    async with AsyncClient(
        emu.bak, bot_id=emu.bot_id, api_url=emu.url, max_retries=2, **quick()
    ) as client:
        emu.faults.add("status", operation="upsertFile", status=503, times=4)
        files = await client.files.upload_files([("a.txt", b"a"), ("b.txt", b"b")], concurrency=1)
        assert files.ok, files.failed
        emu.faults.add("rate_limit", operation="getFile", retry_after=0.001, times=4)
        found = await client.bulk(client.files.get_file, [{"id": "a.txt"}], concurrency=1)
        assert found.ok, found.failed


async def test_ctrl_c_stops_the_job_and_keeps_the_account(server: Script) -> None:
    """With CancelToken.on_ctrl_c, Ctrl-C ends the job normally with what was done."""
    started = 0

    async def call(i: int) -> int:
        nonlocal started
        started += 1
        if started == 20:
            signal.raise_signal(signal.SIGINT)
        await asyncio.sleep(0.001)
        return i

    before = signal.getsignal(signal.SIGINT)
    with CancelToken.on_ctrl_c() as cancel:
        result = await run_bulk(call, range(10_000), concurrency=4, cancel=cancel)
    assert signal.getsignal(signal.SIGINT) is before
    assert result.cancelled
    assert 10 <= result.succeeded_count < 100
    assert result.total == 10_000


async def test_progress_bars_are_for_terminals_and_name_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Captured stderr is no terminal: no bar unless forced; without tqdm, the hint installs."""

    async def call(i: int) -> int:
        return i

    monkeypatch.delenv("BP_PROGRESS_BAR", raising=False)
    await run_bulk(call, range(5), progress_bar=True)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("BP_PROGRESS_BAR", "always")
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes ``import tqdm`` raise ImportError
    await run_bulk(call, range(5), progress_bar=True)
    assert "pip install '.[progress]'" in capsys.readouterr().err


# -- KeyboardInterrupt and SystemExit ------------------------------------------------------


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
async def test_an_interrupt_in_a_call_comes_out_as_itself(interrupt: type[BaseException]) -> None:
    """A call raising KeyboardInterrupt or SystemExit ends the job with that very exception
    (not an exception group), once the other calls in flight are stopped."""
    finished: list[int] = []

    async def call(i: int) -> int:
        await asyncio.sleep(0)
        if i == 5:
            raise interrupt()
        await asyncio.sleep(0 if i < 5 else 5)
        finished.append(i)
        return i

    with pytest.raises(interrupt) as caught:
        await run_bulk(call, range(1000), concurrency=4)
    assert type(caught.value) is interrupt
    assert max(finished) < 5
    assert not [t for t in asyncio.all_tasks() if "run_bulk" in repr(t)]


async def test_an_interrupt_while_reading_the_input_comes_out_as_itself() -> None:
    """A KeyboardInterrupt raised by the input itself is raised as it is."""

    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise KeyboardInterrupt

    async def call(i: int) -> int:
        return i

    with pytest.raises(KeyboardInterrupt):
        await run_bulk(call, items(), concurrency=2)


async def test_an_interrupt_while_stopping_for_an_error_wins_over_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A KeyboardInterrupt that comes while the job stops for an ordinary error (the input
    failed) is what the job raises, and the error it hides is logged: Ctrl-C is never lost."""

    def items() -> Iterator[int]:
        yield from range(3)
        raise ValueError("the input broke")

    async def call(i: int) -> int:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            if i == 1:  # Ctrl-C arrives in this call while the job is being stopped
                raise KeyboardInterrupt from None
            raise
        return i

    with caplog.at_level("WARNING", logger="botpress_async"), pytest.raises(KeyboardInterrupt):
        await run_bulk(call, items(), concurrency=4)
    assert "stopping for an error: ValueError: the input broke" in caplog.text


def interrupting(data: bytes) -> Iterator[bytes]:
    """Upload content whose reading is interrupted as by Ctrl-C."""
    yield data
    raise KeyboardInterrupt


async def test_an_interrupt_in_upload_files_reaches_an_async_caller(emu: Emulator) -> None:
    """``except KeyboardInterrupt`` around an async bulk helper catches it."""
    items = [("a.txt", b"a"), ("b.txt", interrupting(b"b")), ("c.txt", b"c")]
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url, **quick()) as client:
        with pytest.raises(KeyboardInterrupt):
            await client.files.upload_files(items, concurrency=1)
        assert (await client.files.upload_file("d.txt", b"d")).key == "d.txt"


def test_an_interrupt_in_upload_files_reaches_a_blocking_caller(
    botpress_emulator: Emulator,
) -> None:
    """The blocking client raises the KeyboardInterrupt itself, and its loop serves on."""
    emu = botpress_emulator
    items = [("a.txt", b"a"), ("b.txt", interrupting(b"b")), ("c.txt", b"c")]
    with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url, **quick()) as client:
        with pytest.raises(KeyboardInterrupt):
            client.files.upload_files(items, concurrency=1)
        assert client.files.upload_file("d.txt", b"d").key == "d.txt"
