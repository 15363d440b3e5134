"""Partition functions against the emulator: small mergeable summaries, checkpoints, bad input."""

from __future__ import annotations

import functools
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from botpress_async import AsyncClient, ConfigurationError
from botpress_async.distributed import (
    Checkpoint,
    ClientSpec,
    PartitionError,
    PartitionSummary,
    abackfill_messages_partition,
    ainsert_rows_partition,
    aupload_files_partition,
    aupsert_rows_partition,
    close_worker_clients,
    insert_rows_partition,
    upload_files_partition,
)
from botpress_async.testing import Emulator

from .conftest import free_port, make_spec

pytestmark = pytest.mark.anyio


def free_url() -> str:
    """An API address on 127.0.0.1 that nothing answers."""
    return f"http://127.0.0.1:{free_port()}"


def rows(start: int, count: int) -> list[dict[str, Any]]:
    """Rows of the StockTable with distinct skus."""
    return [{"sku": f"s{i}", "qty": i} for i in range(start, start + count)]


def calls(emu: Emulator, operation: str) -> int:
    """How many requests of one operation the emulator received."""
    return sum(1 for e in emu.log if e.operation_id == operation)


async def _count_pages(emu: Emulator) -> int:
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        seen = 0
        for _ in range(100):
            page = await client.request(
                "POST", "/v1/tables/StockTable/rows/find", json={"limit": 1000, "offset": seen}
            )
            seen += len(page["rows"])
            if not page.get("hasMore"):
                return seen
    raise AssertionError("the table never stopped paging")


async def test_insert_partitions_merge_into_one_summary(emu: Emulator) -> None:
    """Three partitions insert every row once; their summaries reduce to exact totals."""
    spec = make_spec(emu, max_concurrency=4)
    try:
        parts = [
            await ainsert_rows_partition(spec, "StockTable", rows(i * 700, 700), partition=i)
            for i in range(3)
        ]
    finally:
        await close_worker_clients()
    total = functools.reduce(PartitionSummary.merge, parts)
    assert total == PartitionSummary.sum(parts) == sum(parts[1:], parts[0])
    assert total == sum(parts)  # the builtin sum starts from 0
    assert (total.partitions, total.items, total.succeeded, total.created) == (3, 2100, 2100, 2100)
    assert total.requests == 3  # 700 rows fit one request
    assert total.ok
    assert not total.failed_keys
    assert await _count_pages(emu) == 2100
    # Small and picklable (or JSON): what an engine gathers.
    assert len(pickle.dumps(total)) < 2000
    assert PartitionSummary.from_dict(json.loads(json.dumps(total.to_dict()))) == total


async def test_failed_and_unknown_rows_are_listed_by_position(emu: Emulator) -> None:
    """A 500 after processing is 'unknown' for an insert: listed, not retried, not counted ok."""
    emu.faults.add("status", operation="createTableRows", status=500, times=1)
    spec = make_spec(emu, max_concurrency=1)
    try:
        summary = await ainsert_rows_partition(
            spec, "StockTable", rows(0, 30), partition="p7", chunk_size=10
        )
    finally:
        await close_worker_clients()
    assert (summary.items, summary.succeeded, summary.failed, summary.unknown) == (30, 20, 10, 10)
    assert summary.failed_keys == tuple(f"p7:{i}" for i in range(10))
    assert summary.unknown_keys == summary.failed_keys
    assert len(summary.errors) == 1
    assert "InternalError" in summary.errors[0]
    assert not summary.ok
    with pytest.raises(PartitionError, match="10 failed"):
        summary.raise_for_failures()


async def test_checkpoint_makes_a_rerun_insert_nothing_twice(emu: Emulator, tmp_path: Path) -> None:
    """A partition re-run after a partial failure sends only the chunks not yet recorded."""
    checkpoint = Checkpoint(tmp_path / "job.sqlite")
    spec = make_spec(emu, max_concurrency=2)
    # The second chunk is refused (429 without retries left): not sent, so not recorded.
    emu.faults.add("rate_limit", operation="createTableRows", times=10, retry_after=0)
    data = rows(0, 50)
    try:
        first = await ainsert_rows_partition(
            make_spec(emu, max_concurrency=1, max_retries=0),
            "StockTable",
            data,
            chunk_size=10,
            checkpoint=checkpoint,
        )
        emu.faults.clear()
        assert first.succeeded == 0
        assert first.failed == 50
        assert first.unknown == 0
        again = await ainsert_rows_partition(
            spec, "StockTable", data, chunk_size=10, checkpoint=checkpoint
        )
        third = await ainsert_rows_partition(
            spec, "StockTable", data, chunk_size=10, checkpoint=checkpoint
        )
    finally:
        await close_worker_clients()
        checkpoint.close()
    assert (again.succeeded, again.skipped) == (50, 0)
    assert (third.succeeded, third.skipped, third.requests) == (0, 50, 0)
    assert await _count_pages(emu) == 50
    assert checkpoint.counts() == {"done": 50}
    assert pickle.loads(pickle.dumps(checkpoint)).path == checkpoint.path  # noqa: S301


async def test_checkpoint_keeps_unknown_chunks_from_being_sent_again(
    emu: Emulator, tmp_path: Path
) -> None:
    """A chunk whose insert may have happened is skipped on the re-run and reported unknown."""
    checkpoint = Checkpoint(tmp_path / "job.sqlite")
    emu.faults.add("reset_after", operation="createTableRows", times=1)
    spec = make_spec(emu, max_concurrency=1)
    try:
        first = await ainsert_rows_partition(
            spec, "StockTable", rows(0, 20), chunk_size=10, checkpoint=checkpoint
        )
        again = await ainsert_rows_partition(
            spec, "StockTable", rows(0, 20), chunk_size=10, checkpoint=checkpoint
        )
    finally:
        await close_worker_clients()
        checkpoint.close()
    assert (first.succeeded, first.unknown) == (10, 10)
    assert (again.requests, again.skipped, again.unknown) == (0, 20, 10)
    assert again.unknown_keys == tuple(range(10))
    assert calls(emu, "createTableRows") == 2


async def test_upsert_partition_is_safe_to_repeat(emu: Emulator) -> None:
    """Upserting a partition twice updates the second time; failed rows are named by key."""
    spec = make_spec(emu)
    try:
        first = await aupsert_rows_partition(spec, "StockTable", rows(0, 40), key_column="sku")
        second = await aupsert_rows_partition(spec, "StockTable", rows(0, 40), key_column="sku")
        bad = await aupsert_rows_partition(
            spec, "StockTable", [{"sku": "a"}, {"qty": 1}], key_column="sku"
        )
    finally:
        await close_worker_clients()
    assert (first.created, second.created, second.updated) == (40, 0, 40)
    assert await _count_pages(emu) == 40
    assert bad.failed == 2
    assert bad.requests == 0
    assert "no value for the key column" in bad.errors[0]


async def test_upload_and_backfill_partitions(emu: Emulator) -> None:
    """Files are listed by key; a re-run back-fill finds its messages instead of duplicating."""
    spec = make_spec(emu)
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        user = (await client.runtime.get_or_create_user(tags={"ext": "u1"})).user
        conv = (
            await client.runtime.get_or_create_conversation(
                channel="channel", tags={"ext": "c1"}, integration_name="emulated-integration"
            )
        ).conversation
    messages = [
        {
            "userId": user.id,
            "conversationId": conv.id,
            "type": "text",
            "payload": {"text": f"old message {i}"},
            "tags": {"legacyId": f"m{i}"},
        }
        for i in range(12)
    ]
    try:
        files = await aupload_files_partition(
            spec, [(f"docs/{i}.txt", f"text {i}") for i in range(5)] + [("", b"x")]
        )
        first = await abackfill_messages_partition(spec, messages, tag="legacyId")
        again = await abackfill_messages_partition(spec, messages, tag="legacyId")
        untagged = await abackfill_messages_partition(
            spec, [{**messages[0], "tags": {}}], tag="legacyId"
        )
    finally:
        await close_worker_clients()
    assert (files.items, files.succeeded, files.failed, files.failed_keys) == (6, 5, 1, (5,))
    assert (first.created, first.updated) == (12, 0)
    assert (again.created, again.updated) == (0, 12)
    assert calls(emu, "getOrCreateMessage") == 24
    assert untagged.failed == 1
    assert "discriminating tag" in untagged.errors[0]


async def test_a_missing_token_sends_nothing_and_says_so(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The summary counts every row as not sent and names the source; the log says it too."""
    spec = make_spec(emu, token_from="env:BP_TEST_NO_SUCH_TOKEN")
    before = len(emu.log)
    summary = await ainsert_rows_partition(spec, "StockTable", rows(0, 25))
    assert (summary.items, summary.not_sent, summary.requests) == (25, 25, 0)
    assert "env:BP_TEST_NO_SUCH_TOKEN" in summary.errors[0]
    assert "nothing was sent" in caplog.text
    assert len(emu.log) == before


async def test_bad_arguments_fail_before_anything_is_sent(emu: Emulator) -> None:
    """A wrong table, chunk size, partition or spec is a ConfigurationError."""
    spec = make_spec(emu)
    with pytest.raises(ConfigurationError, match="chunk_size"):
        await ainsert_rows_partition(spec, "StockTable", rows(0, 1), chunk_size=5000)
    with pytest.raises(ConfigurationError, match="table"):
        await ainsert_rows_partition(spec, "", rows(0, 1))
    with pytest.raises(ConfigurationError, match="not a single dict"):
        await ainsert_rows_partition(spec, "StockTable", {"sku": "a"})
    with pytest.raises(ConfigurationError, match="ClientSpec"):
        await ainsert_rows_partition("spec", "StockTable", rows(0, 1))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="merge"):
        PartitionSummary.empty().merge("x")  # type: ignore[arg-type]


def test_an_unknown_option_names_itself_and_the_valid_ones() -> None:
    """A misspelt option, or the coroutine twins' ``client`` on a blocking function, is refused.

    The spec points at a port nothing listens on: the options are checked before any request.
    """
    spec = ClientSpec(token_from="env:BP_TEST_NO_SUCH_TOKEN", bot_id="bot", api_url=free_url())
    with pytest.raises(ConfigurationError, match="chunksize") as caught:
        insert_rows_partition(spec, "StockTable", rows(0, 1), chunksize=10)  # type: ignore[call-arg]
    assert caught.value.fix == "use only checkpoint, chunk_size, partition"
    with pytest.raises(ConfigurationError, match="'client'"):
        upload_files_partition(spec, [], client=None)  # type: ignore[call-arg]


def _record_many(path: str, worker: int) -> None:
    checkpoint = Checkpoint(path)
    for i in range(50):
        checkpoint.record(f"w{worker}-{i}", "done", 1)
    checkpoint.close()


def test_workers_that_start_together_share_one_new_checkpoint(tmp_path: Path) -> None:
    """Four processes create and write one checkpoint file at once; every record lands."""
    import multiprocessing

    path = str(tmp_path / "shared.sqlite")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_record_many, args=(path, n)) for n in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    checkpoint = Checkpoint(path)
    try:
        assert checkpoint.counts() == {"done": 200}
        assert checkpoint.state("w3-49") == "done"
        assert checkpoint.state("nope") is None
    finally:
        checkpoint.close()
