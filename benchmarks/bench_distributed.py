"""Distributed jobs: a 2-worker Dask LocalCluster against one process, and the shared budget.

1. Rows inserted by ``insert_rows_partition`` on a Dask ``LocalCluster`` of two worker
   processes (the rows are generated in the workers, 8 partitions) against the same rows
   inserted by one process with ``client.tables.insert_rows``; the emulator runs in its own
   process. Wall time and total requests of each, and their ratio. ``BENCH_DISTRIBUTED_ROWS``
   sets the number of rows (1,000,000 by default).
2. The shared budget: 8 worker processes, each with its own Redis connection, acquire as fast
   as they can from one ``RedisCoordinator`` of 200 requests/s for 3 s; the figure is the
   fleet's rate over the configured one (target: within 10 %). Then one worker reports a 429
   with ``Retry-After: 0.5`` and the others count the requests they start during the pause
   (target: none). Needs ``redis-server`` on the PATH; skipped with a message otherwise.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from benchmarks._emulator import emulator_process
from benchmarks._server import free_port
from botpress_async import AsyncClient

ROWS = int(os.environ.get("BENCH_DISTRIBUTED_ROWS", "1000000"))
PARTITIONS = 8
SCHEMA = {"properties": {"sku": {"type": "string"}, "qty": {"type": "number"}}}
TOKEN_ENV = "BENCH_DISTRIBUTED_TOKEN"  # noqa: S105 - a variable name
RATE = 200.0
FLEET = 8
WINDOW = 3.0
CONCURRENCY = 8


def _rows(prefix: str, start: int, count: int) -> Iterator[dict[str, Any]]:
    for i in range(start, start + count):
        yield {"sku": f"{prefix}{i}", "qty": i}


async def _make_table(info: dict[str, str], name: str) -> None:
    async with AsyncClient(info["bak"], bot_id=info["bot_id"], api_url=info["url"]) as client:
        await client.tables.get_or_create_table(table=name, schema=SCHEMA, key_column="sku")


async def _one_process(info: dict[str, str]) -> tuple[float, int]:
    async with AsyncClient(info["bak"], bot_id=info["bot_id"], api_url=info["url"]) as client:
        started = time.perf_counter()
        result = await client.tables.insert_rows(
            "SingleTable", _rows("s", 0, ROWS), concurrency=8, keep_rows=False
        )
        elapsed = time.perf_counter() - started
    assert result.ok, result
    return elapsed, -(-ROWS // 1000)


def _partition(spec: Any, partition: int) -> Any:
    from botpress_async.distributed import insert_rows_partition

    size = -(-ROWS // PARTITIONS)
    start = partition * size
    rows = _rows("d", start, max(0, min(size, ROWS - start)))
    return insert_rows_partition(spec, "DaskTable", rows, partition=partition)


def _dask(info: dict[str, str]) -> tuple[float, int]:
    import dask
    import dask.bag as db
    import distributed

    from botpress_async.distributed import ClientSpec, PartitionSummary

    os.environ[TOKEN_ENV] = info["bak"]  # the workers inherit it; the spec only names it
    spec = ClientSpec(token_from=f"env:{TOKEN_ENV}", bot_id=info["bot_id"], api_url=info["url"])
    with (
        dask.config.set({"logging.distributed": "error"}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        started = time.perf_counter()
        bag = db.from_sequence(range(PARTITIONS), npartitions=PARTITIONS)
        summary = bag.map(lambda p: _partition(spec, p)).fold(PartitionSummary.merge).compute()
        elapsed = time.perf_counter() - started
    assert summary.ok, summary
    assert summary.succeeded == ROWS, summary
    return elapsed, summary.requests


def _fleet_worker(url: str, reporter: bool, conn: Any) -> None:
    """One worker process of the fleet: connect, wait for the start time, note its requests."""
    conn.send(asyncio.run(_fleet(url, reporter, conn)))


async def _fleet(url: str, reporter: bool, conn: Any) -> tuple[list[float], tuple[float, float]]:
    from botpress_async.distributed import RedisCoordinator, budget_key

    limiter: Any = RedisCoordinator(url=url, rate=RATE).bind(budget_key("bp_bak_" + "x" * 40))
    await limiter.acquire()  # connected before the window opens
    conn.send("ready")
    start_at, pause_at = await asyncio.to_thread(conn.recv)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    starts: list[float] = []
    pause = (0.0, 0.0)
    stop_at = pause_at + 1.0

    async def report() -> None:
        # The reporting worker sees a 429 at pause_at and shares its Retry-After.
        nonlocal pause
        await asyncio.sleep(max(0.0, pause_at - time.time()))
        await limiter.observe(429, {"Retry-After": "0.5"})
        set_by = time.time()
        remaining = int(await limiter._eval(2, limiter._keys[1:], []))
        pause = (set_by, time.time() + remaining / 1_000_000)

    async def loop() -> None:
        while time.time() < stop_at:
            await limiter.acquire()
            starts.append(time.time())

    tasks = [loop() for _ in range(CONCURRENCY)]
    await asyncio.gather(*tasks, *([report()] if reporter else []))
    await limiter.aclose()
    return starts, pause


def _budget() -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        print("shared budget: skipped (redis-server is not installed)")
        return
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        url = f"redis://127.0.0.1:{port}/0"
        ctx = multiprocessing.get_context("spawn")
        conns, procs = [], []
        for i in range(FLEET):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_fleet_worker, args=(url, i == 0, theirs), daemon=True)
            proc.start()
            conns.append(mine)
            procs.append(proc)
        for conn in conns:
            if not conn.poll(60):
                raise RuntimeError("a fleet worker did not start")
            conn.recv()
        # Every worker is connected: the window opens for all at once.
        start_at = time.time() + 0.5
        pause_at = start_at + WINDOW + 0.2
        for conn in conns:
            conn.send((start_at, pause_at))
        results = [conn.recv() for conn in conns if conn.poll(60)]
        for proc in procs:
            proc.join(30)
    finally:
        server.terminate()
        server.wait(10)
    starts = [at for worker_starts, _ in results for at in worker_starts]
    total = sum(start_at <= at < start_at + WINDOW for at in starts)
    paused_from, paused_until = max((p for _, p in results), key=lambda p: p[1])
    paused = sum(paused_from < at < paused_until for at in starts)
    rate = total / WINDOW
    print(
        f"shared budget: {len(results)} processes x {CONCURRENCY} requests in flight, "
        f"configured {RATE:.0f}/s, fleet {rate:.1f}/s (ratio {rate / RATE:.3f}); requests "
        f"started during a shared {paused_until - paused_from:.2f}s pause: {paused}"
    )


def main() -> None:
    """Run both measurements and print their figures."""
    if os.environ.get("BENCH_DISTRIBUTED_ONLY") == "budget":
        _budget()
        return
    _budget()
    with emulator_process(seed=16) as info:
        asyncio.run(_make_table(info, "SingleTable"))
        asyncio.run(_make_table(info, "DaskTable"))
        # The cluster goes first, so the single process never meets a fuller emulator.
        dask_time, dask_requests = _dask(info)
        single, single_requests = asyncio.run(_one_process(info))
    print(
        f"{ROWS:,} rows: one process insert_rows {single:.1f}s ({single_requests} requests); "
        f"2-worker Dask LocalCluster {dask_time:.1f}s ({dask_requests} requests); "
        f"time ratio dask/single {dask_time / single:.2f}"
    )


if __name__ == "__main__":
    main()
