"""Pinned types of the bulk options; checked by mypy and pyright, never run.

Each ``# type: ignore`` marks a call both checkers must refuse: mypy reports an unused ignore
(``warn_unused_ignores``, part of strict) and pyright an unnecessary one (the setting below),
so an option that stopped being checked fails the type check.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=true

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import botpress_sync
from botpress_async import AsyncClient, BulkProgress, CancelToken, run_bulk


def _report(progress: BulkProgress) -> None:
    print(progress.done)


async def _double(n: int) -> int:
    return 2 * n


async def async_options(client: AsyncClient, items: list[Mapping[str, Any]]) -> None:
    op = client.runtime.create_message
    await client.bulk(op, items, concurrency=4, fail_fast=True, keep_results=False)
    await client.bulk(op, items, on_progress=_report, cancel=CancelToken(), max_retries=1)
    await client.files.upload_files([("a.txt", b"a")], concurrency=32, progress_bar=True)
    await client.tables.insert_rows("T", [{"a": 1}], keep_rows=True, concurrency=2)
    await client.tables.delete_rows("T", [1], adaptive=False, max_connection_failures=None)
    await client.tables.import_rows("T", [{"a": 1}], on_progress=_report)
    await run_bulk(_double, range(3), concurrency=2, keep_results=False)

    await client.bulk(op, items, concurency=4)  # type: ignore[call-arg]
    await client.bulk(op, items, concurrency="4")  # type: ignore[arg-type]
    await client.files.upload_files([("a.txt", b"a")], fail_fast=1.5)  # type: ignore[arg-type]
    await client.files.upload_files([("a.txt", b"a")], cancel=True)  # type: ignore[arg-type]
    await client.tables.insert_rows("T", [{"a": 1}], keep_results=True)  # type: ignore[call-arg]
    await client.tables.delete_rows("T", [1], keep_rows=True)  # type: ignore[call-arg]
    await client.tables.import_rows("T", [{"a": 1}], concurrency=2)  # type: ignore[call-arg]
    await run_bulk(_double, range(3), max_retries=2)  # type: ignore[call-arg]
    await run_bulk(_double, range(3), on_progress=_double)  # type: ignore[arg-type]


def sync_options(client: botpress_sync.Client, items: list[Mapping[str, Any]]) -> None:
    op = client.runtime.create_message
    client.bulk(op, items, concurrency=4, progress_bar=True)
    client.files.upload_files([("a.txt", b"a")], keep_results=False)
    client.bulk(op, items, concurency=4)  # type: ignore[call-arg]
    client.files.upload_files([("a.txt", b"a")], concurrency=None)  # type: ignore[arg-type]
