"""Bulk row helpers of client.tables against the emulator, faults included."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from botpress_async import (
    APIConnectionError,
    AsyncClient,
    ConfigurationError,
    RowsError,
)
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio

SCHEMA = {"properties": {"sku": {"type": "string"}, "qty": {"type": "number"}}}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A fresh emulator per test."""
    async with Emulator(seed=11) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncClient]:
    """A client with a Bot Access Key whose retries wait milliseconds."""
    async with AsyncClient(
        emu.bak,
        bot_id=emu.bot_id,
        api_url=emu.url,
        initial_retry_delay=0.001,
        max_retry_delay=0.01,
        retry_budget=None,
    ) as c:
        await c.tables.get_or_create_table(table="StockTable", schema=SCHEMA, key_column="sku")
        yield c


async def all_rows(client: AsyncClient) -> list[dict[str, Any]]:
    """Every row of the test table, read back through the API page by page."""
    rows: list[dict[str, Any]] = []
    for _ in range(1000):  # bounded: far more pages than any test writes
        page = await client.request(
            "POST",
            "/v1/tables/StockTable/rows/find",
            json={"limit": 1000, "offset": len(rows)},
        )
        rows += page["rows"]
        if not page.get("hasMore"):
            return rows
    raise AssertionError("the table never stopped paging")


def table_requests(emu: Emulator, operation: str) -> list[Any]:
    """The emulator's log entries for one operation."""
    return [e for e in emu.log if e.operation_id == operation]


async def test_insert_rows_chunks_and_counts(client: AsyncClient, emu: Emulator) -> None:
    """2,500 rows go out as three requests of at most 1,000 and all land."""
    rows = ({"sku": f"s{i}", "qty": i} for i in range(2500))
    result = await client.tables.insert_rows("StockTable", rows, keep_rows=True)
    assert result.ok
    assert (result.inserted_count, result.succeeded_rows, result.total) == (2500, 2500, 2500)
    assert len(result.inserted) == 2500
    assert [r["sku"] for r in result.inserted[:2]] == ["s0", "s1"]
    assert len(table_requests(emu, "createTableRows")) == 3
    assert len(await all_rows(client)) == 2500


async def test_upsert_rows_by_key_is_idempotent(client: AsyncClient) -> None:
    """Upserting the same keys twice updates instead of duplicating."""
    first = await client.tables.upsert_rows(
        "StockTable", [{"sku": f"k{i}", "qty": 1} for i in range(1200)], key_column="sku"
    )
    second = await client.tables.upsert_rows(
        "StockTable", [{"sku": f"k{i}", "qty": 2} for i in range(1200)], key_column="sku"
    )
    assert first.inserted_count == 1200
    assert second.updated_count == 1200
    assert second.inserted_count == 0
    rows = await all_rows(client)
    assert len(rows) == 1200
    assert {r["qty"] for r in rows} == {2}


async def test_delete_rows(client: AsyncClient) -> None:
    """Rows are deleted by id in chunks, and the count is reported."""
    inserted = await client.tables.insert_rows(
        "StockTable", [{"sku": f"d{i}", "qty": i} for i in range(1500)], keep_rows=True
    )
    ids = [r.id for r in inserted.inserted]
    result = await client.tables.delete_rows("StockTable", ids[:1100], chunk_size=500)
    assert result.ok
    assert result.deleted_count == 1100
    assert len(await all_rows(client)) == 400


async def test_bad_input_fails_before_sending(client: AsyncClient, emu: Emulator) -> None:
    """Bad arguments and a bad row in the first request raise with nothing sent."""
    emu.log.clear()
    with pytest.raises(ConfigurationError, match="chunk_size"):
        await client.tables.insert_rows("StockTable", [{"sku": "a"}], chunk_size=1001)
    with pytest.raises(ConfigurationError, match="chunk_size"):
        await client.tables.insert_rows("StockTable", [{"sku": "a"}], chunk_size=0)
    with pytest.raises(ConfigurationError, match="table"):
        await client.tables.insert_rows("", [{"sku": "a"}])
    one_row: Any = {"sku": "a"}
    with pytest.raises(ConfigurationError, match="single dict"):
        await client.tables.insert_rows("StockTable", one_row)
    with pytest.raises(ConfigurationError, match=r"rows\[1\].*nothing was sent"):
        await client.tables.insert_rows("StockTable", [{"sku": "a"}, ["not", "a", "row"]])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match=r"ids\[0\]"):
        await client.tables.delete_rows("StockTable", ["1"])  # type: ignore[list-item]
    assert table_requests(emu, "createTableRows") == []


async def test_bad_row_later_fails_only_its_request(client: AsyncClient) -> None:
    """A bad row found after the job started fails its own request, unsent; others land."""

    def rows() -> Iterator[Any]:
        for i in range(30):
            yield "oops" if i == 25 else {"sku": f"b{i}", "qty": i}

    result = await client.tables.insert_rows("StockTable", rows(), chunk_size=10)
    assert result.succeeded_rows == 20
    assert len(result.failed) == 1
    assert result.failed[0].first_index == 20
    assert isinstance(result.failed[0].error, ConfigurationError)
    assert not result.failed[0].outcome_unknown
    assert len(await all_rows(client)) == 20


async def test_fail_fast_raises_with_the_whole_account(client: AsyncClient, emu: Emulator) -> None:
    """With fail_fast the first failed request stops the job and RowsError carries the result."""
    emu.faults.add("status", operation="createTableRows", status=500, times=1)
    with pytest.raises(RowsError) as info:
        await client.tables.insert_rows(
            "StockTable",
            ({"sku": f"f{i}"} for i in range(5000)),
            chunk_size=100,
            concurrency=1,
            fail_fast=True,
        )
    result = info.value.result
    assert result.total == 5000
    assert len(result.failed) == 1
    assert result.not_run


async def test_upsert_20000_rows_under_faults_loses_nothing(
    client: AsyncClient, emu: Emulator
) -> None:
    """Under seeded 503s, 429s, resets after processing and slow answers, every row lands once."""
    emu.faults.add("status", operation="upsertTableRows", status=503, probability=0.05)
    emu.faults.add("rate_limit", operation="upsertTableRows", probability=0.03, retry_after=0.05)
    emu.faults.add("reset_after", operation="upsertTableRows", probability=0.01)
    emu.faults.add("slow", operation="upsertTableRows", probability=0.05, delay=0.05)
    rows = ({"sku": f"u{i}", "qty": i} for i in range(20000))
    result = await client.tables.upsert_rows(
        "StockTable", rows, key_column="sku", chunk_size=250, keep_rows=False
    )
    assert result.ok, result.failed
    assert result.succeeded_rows == 20000
    assert result.total == 20000
    faults = collections.Counter(e.fault for e in table_requests(emu, "upsertTableRows"))
    assert sum(n for f, n in faults.items() if f) > 0
    stored = await all_rows(client)
    assert len(stored) == 20000
    assert sorted(r["sku"] for r in stored) == sorted(f"u{i}" for i in range(20000))
    assert all(r["qty"] == int(r["sku"][1:]) for r in stored)


async def test_inserts_under_resets_report_unknown_rows_instead_of_duplicating(
    client: AsyncClient, emu: Emulator
) -> None:
    """Resets after processing are reported as unknown outcomes, never retried blindly."""
    emu.faults.add("reset_after", operation="createTableRows", probability=0.2)
    result = await client.tables.insert_rows(
        "StockTable", [{"sku": f"i{i}", "qty": i} for i in range(3000)], chunk_size=100
    )
    unknown = result.unknown_rows
    assert unknown
    assert all(isinstance(f.error, APIConnectionError) for f in result.failed)
    assert result.total == 3000
    stored = collections.Counter(r["sku"] for r in await all_rows(client))
    # No row was written twice, and the rows written are the succeeded ones plus the unknown.
    assert max(stored.values()) == 1
    succeeded = {f"i{i}" for i in range(3000)} - {r["sku"] for r in result.failed_rows}
    assert set(stored) == succeeded | {r["sku"] for r in unknown}
    processed = [e for e in table_requests(emu, "createTableRows") if e.processed]
    assert len(processed) == 30


async def test_sync_client_runs_the_same_helpers(emu: Emulator) -> None:
    """botpress_sync.Client offers insert_rows and upsert_rows as blocking calls."""
    import anyio

    import botpress_sync

    def work() -> tuple[int, int]:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as sync:
            sync.tables.get_or_create_table(table="SyncTable", schema=SCHEMA, key_column="sku")
            inserted = sync.tables.insert_rows("SyncTable", ({"sku": f"s{i}"} for i in range(1500)))
            upserted = sync.tables.upsert_rows(
                "SyncTable", [{"sku": "s1", "qty": 5}], key_column="sku"
            )
            return inserted.inserted_count, upserted.updated_count

    assert await anyio.to_thread.run_sync(work) == (1500, 1)


async def test_progress_bar_counts_rows(
    client: AsyncClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row job's bar counts rows against the number given, not the requests that carried them."""
    monkeypatch.setenv("BP_PROGRESS_BAR", "always")  # captured stderr is not a terminal
    rows = [{"sku": f"s{i}", "qty": i} for i in range(2500)]
    result = await client.tables.upsert_rows(
        "StockTable", rows, key_column="sku", chunk_size=1000, progress_bar=True
    )
    assert result.succeeded_rows == 2500
    bar = capsys.readouterr().err
    assert "2500/2500" in bar
    assert "row" in bar
