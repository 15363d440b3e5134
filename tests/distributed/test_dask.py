"""The Dask recipe on a 2-worker LocalCluster (processes) against one emulator."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from botpress_async.distributed import (
    Checkpoint,
    ClientSpec,
    DaskCoordinator,
    PartitionSummary,
    dask_worker_plugin,
    insert_rows_partition,
    upsert_rows_partition,
)
from botpress_async.testing import Emulator

from .conftest import TOKEN_ENV, make_spec

dask = pytest.importorskip("dask", reason="Dask is missing: pip install -e '.[dev]'")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dask_emu() -> Iterator[Emulator]:
    """One emulator on a thread of this process for the module; workers reach it on 127.0.0.1."""
    import asyncio

    from .conftest import _make_table

    emulator = Emulator(seed=16)
    with emulator.run_in_thread():
        asyncio.run(_make_table(emulator))
        yield emulator


@pytest.fixture(scope="module")
def cluster(dask_emu: Emulator) -> Iterator[Any]:
    """Two worker processes with the bot's key in their environment, no dashboards."""
    saved = os.environ.get(TOKEN_ENV)
    # Set before the workers start: the token reaches them through their environment only.
    os.environ[TOKEN_ENV] = dask_emu.bak
    try:
        with (
            dask.config.set({"logging.distributed": "error"}),
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                worker_dashboard_address=None,
                silence_logs=40,
            ) as local,
            distributed.Client(local) as client,
        ):
            yield client
    finally:
        if saved is None:
            os.environ.pop(TOKEN_ENV, None)
        else:
            os.environ[TOKEN_ENV] = saved


def _rows(partition: int, count: int) -> list[dict[str, Any]]:
    return [{"sku": f"p{partition}-{i}", "qty": i} for i in range(count)]


def _leases_taken() -> int:
    # Runs in each worker: the leases its cached clients' Dask coordinators took.
    from botpress_async.distributed import _spec

    return sum(
        getattr(client._transport.coordinator, "granted", 0)
        for _, client in _spec._current.async_clients.values()
    )


def _insert(spec: ClientSpec, checkpoint: Checkpoint | None, rows: list[Any]) -> list[Any]:
    # A bag partition becomes one summary (a list of one, as map_partitions wants).
    return [insert_rows_partition(spec, "StockTable", rows, checkpoint=checkpoint)]


def test_bag_insert_with_a_worker_plugin_and_a_checkpoint(
    cluster: Any, dask_emu: Emulator, tmp_path: Path
) -> None:
    """Four partitions over two workers insert every row once, and a re-run inserts nothing."""
    import dask.bag as db

    spec = make_spec(dask_emu, max_concurrency=2, coordinator=DaskCoordinator(rate=200))
    cluster.register_plugin(dask_worker_plugin(spec))
    checkpoint = Checkpoint(tmp_path / "bag.sqlite")
    bag = db.from_sequence(range(4), npartitions=4).map(lambda p: _rows(p, 250))
    rows = bag.map_partitions(lambda parts: [row for part in parts for row in part])
    job = rows.map_partitions(functools.partial(_insert, spec, checkpoint))
    first = job.fold(PartitionSummary.merge).compute()
    again = job.fold(PartitionSummary.merge).compute()
    assert isinstance(first, PartitionSummary)
    assert (first.partitions, first.items, first.succeeded, first.created) == (4, 1000, 1000, 1000)
    assert first.ok
    assert (again.partitions, again.items, again.skipped, again.requests) == (4, 1000, 1000, 0)
    assert checkpoint.counts() == {"done": 1000}
    # Every request of the first run took a lease of the cluster's budget.
    assert sum(cluster.run(_leases_taken).values()) == first.requests == 4


def test_upsert_partitions_and_a_missing_token(cluster: Any, dask_emu: Emulator) -> None:
    """Upserts from both workers are idempotent; a spec whose token is absent sends nothing."""
    import dask.bag as db

    spec = make_spec(dask_emu, max_concurrency=2)
    bag = db.from_sequence([{"sku": f"u{i}", "qty": i} for i in range(600)], npartitions=3)
    upsert = functools.partial(upsert_rows_partition, spec, "StockTable", key_column="sku")
    job = bag.map_partitions(lambda rows: [upsert(rows)])
    first = PartitionSummary.sum(job.compute())
    second = PartitionSummary.sum(job.compute())
    assert (first.created, first.updated, second.created, second.updated) == (600, 0, 0, 600)

    missing = make_spec(dask_emu, token_from="env:BP_TEST_NOT_IN_WORKERS")
    lost = bag.map_partitions(
        lambda rows: [insert_rows_partition(missing, "StockTable", rows)]
    ).fold(PartitionSummary.merge)
    summary = lost.compute()
    assert (summary.items, summary.not_sent, summary.requests) == (600, 600, 0)
    assert "env:BP_TEST_NOT_IN_WORKERS" in summary.errors[0]
