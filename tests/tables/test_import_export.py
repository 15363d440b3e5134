"""import_rows and export_rows through the emulator's real jobs and Files API."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import anyio
import pytest

import botpress_sync
from botpress_async import AsyncClient, ConfigurationError, InvalidRowError, Row, TableJobError
from botpress_async._table_files import MalformedFileError, RowFileWriter, read_rows
from botpress_async.testing import Emulator

from .conftest import stored

pytestmark = pytest.mark.anyio

FAST = {"poll_interval": 0.001, "job_timeout": 30.0}


def products(n: int) -> Any:
    """``n`` generated rows with a string, a number and an object-free text column."""
    for i in range(n):
        yield {"sku": f"p{i:05d}", "qty": i, "keys": 'k,"quoted"\nline' if i % 97 == 0 else "k"}


@pytest.mark.parametrize(
    ("format", "compress"), [("json", True), ("json", False), ("csv", True), ("csv", False)]
)
async def test_round_trip_of_10000_rows(
    client: AsyncClient, emu: Emulator, format: Any, compress: bool
) -> None:
    """10,000 rows go in as shard files and jobs, and come back out the same through an export."""
    result = await client.tables.import_rows(
        "productsTable", products(10_000), format=format, compress=compress, shard_rows=4000, **FAST
    )
    assert result.ok, result.rejected
    assert (result.rows, len(result.jobs), len(result.files)) == (10_000, 3, 3)
    assert all(job["status"] == "completed" and job["progress"] == 1 for job in result.jobs)
    statuses = [e for e in emu.log if e.operation_id == "getTableJobs"]
    assert len(statuses) >= 6  # pending -> in_progress -> completed, per job
    rows = [
        r
        async for r in client.tables.export_rows(
            "productsTable", format=format, compress=compress, **FAST
        )
    ]
    assert len(rows) == 10_000
    assert all(isinstance(r, Row) for r in rows)
    assert isinstance(rows[0].id, int)
    assert [r["sku"] for r in rows[:2]] == ["p00000", "p00001"]
    assert sorted((r["sku"], r["qty"], r["keys"]) for r in rows) == [
        (p["sku"], p["qty"], p["keys"]) for p in products(10_000)
    ]
    # the shard files and the export file were removed once read
    files = await client.files.list_files().collect()
    assert files == []


async def test_import_reports_rows_it_cannot_import(client: AsyncClient) -> None:
    """Unknown columns and non-JSON values are left out and listed; the others are imported."""
    rows: list[Any] = [
        {"sku": "a"},
        {"sku": "b", "colour": "red"},
        {"sku": "c", "qty": float("inf")},
    ]
    result = await client.tables.import_rows("productsTable", rows, **FAST)
    assert result.rows == 1
    assert not result.ok
    assert [(e.index, e.column) for e in result.rejected] == [(1, "colour"), (2, "qty")]
    assert all(isinstance(e, InvalidRowError) for e in result.rejected)
    assert "not in the table's schema" in str(result.rejected[0])
    assert [r["sku"] for r in await stored(client, "productsTable")] == ["a"]


async def test_a_failing_import_job_raises_with_the_job(client: AsyncClient) -> None:
    """A malformed file fails its job in the emulator; the error carries the job and its reason."""
    bad = await client.files.upload_file(
        "broken.json", b'[{"sku": "a"}, {"sku": ', content_type="application/json"
    )
    started = await client.tables.import_table(table="productsTable", file_id=bad.id)
    assert started.job.status == "pending"
    from botpress_async._table_jobs import job_failure, wait_for_job

    job = await wait_for_job(
        client.tables, "productsTable", started.job.to_dict(), poll_interval=0.001, job_timeout=5
    )
    assert job["status"] == "failed"
    assert "invalid JSON" in job["error"]
    assert "invalid JSON" in str(job_failure(job, "import"))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00\x01\x02binary", "neither CSV nor JSON"),
        (b'{"sku": "a"}', "not a JSON array"),
        (b"sku,colour\na,red\n", "column 'colour' is not in the"),
        (gzip.compress(b"sku,qty\na,notanumber\n"), "could not convert"),
    ],
)
async def test_malformed_files_fail_the_job_with_a_reason(
    client: AsyncClient, content: bytes, reason: str
) -> None:
    """Each malformed file fails the import job; import_rows-style waiting raises TableJobError."""
    upload = await client.files.upload_file("bad.bin", content)
    started = await client.tables.import_table(table="productsTable", file_id=upload.id)
    from botpress_async._table_jobs import job_failure, wait_for_job

    job = await wait_for_job(
        client.tables, "productsTable", started.job.to_dict(), poll_interval=0.001, job_timeout=5
    )
    error = job_failure(job, "import")
    assert isinstance(error, TableJobError)
    assert reason in str(error)
    assert await stored(client, "productsTable") == []


async def test_import_rows_raises_when_a_job_fails(client: AsyncClient) -> None:
    """When the server fails a shard's job (a frozen table), import_rows raises with the job."""
    await client.tables.update_table(table="productsTable", frozen=True)
    with pytest.raises(TableJobError) as info:
        await client.tables.import_rows("productsTable", products(10), **FAST)
    assert info.value.job["status"] == "failed"
    assert info.value.result.rows == 0


async def test_bad_arguments(client: AsyncClient) -> None:
    """A single mapping, an unknown format or a missing table fail before any file is written."""
    with pytest.raises(ConfigurationError, match="single dict"):
        await client.tables.import_rows("productsTable", {"sku": "a"}, **FAST)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="format"):
        await client.tables.import_rows("productsTable", [], format="xml", **FAST)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"rows\[1\] must be a mapping"):
        await client.tables.import_rows("productsTable", [{"sku": "a"}, 3], **FAST)  # type: ignore[list-item]


async def test_sync_import_and_export(emu: Emulator, client: AsyncClient) -> None:
    """The blocking client imports and iterates an export the same way."""

    def work() -> list[str]:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
            c.tables.import_rows("productsTable", products(5), format="csv", **FAST)
            return [r["sku"] for r in c.tables.export_rows("productsTable", **FAST)]

    assert await anyio.to_thread.run_sync(work) == [f"p{i:05d}" for i in range(5)]


def test_file_layout_reader_takes_any_whitespace() -> None:
    """The JSON reader parses compact, pretty and one-per-line arrays, and refuses trailing data."""
    rows = [{"a": 1, "b": [1, {"c": "]"}]}, {"a": 2}]
    for text in (
        json.dumps(rows),
        json.dumps(rows, indent=2),
        "[\n" + ",\n".join(map(json.dumps, rows)) + "\n]",
    ):
        assert list(read_rows(io.BytesIO(text.encode()), "json")) == rows
    with pytest.raises(MalformedFileError, match="more than one"):
        list(read_rows(io.BytesIO(b"[] []"), "json"))
    buffer = io.BytesIO()
    writer = RowFileWriter(buffer, "json", compress=True, columns=[])
    writer.write({"big": "x" * 200_000})
    writer.close()
    assert list(read_rows(io.BytesIO(buffer.getvalue()), "json")) == [{"big": "x" * 200_000}]
