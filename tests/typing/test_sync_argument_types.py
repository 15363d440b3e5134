"""Pinned parameter types of the blocking client: it asks for what blocking code can give.

Checked by mypy and pyright, never run. The async client's bulk helpers take a plain or an async
iterable; their blocking twins take a plain one, so passing an async iterable is a type error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from typing_extensions import assert_type

import botpress_sync
from botpress_async import AsyncClient, RowsResult


async def _async_rows() -> AsyncIterator[Mapping[str, Any]]:
    yield {"sku": "a"}


def _rows() -> Iterator[Mapping[str, Any]]:
    yield {"sku": "a"}


def blocking_arguments(client: botpress_sync.Client) -> None:
    assert_type(client.tables.insert_rows("T", _rows()), RowsResult[Mapping[str, Any]])
    assert_type(client.tables.delete_rows("T", iter([1, 2])), RowsResult[int])
    client.tables.insert_rows("T", _async_rows())  # type: ignore[arg-type]
    client.bulk(client.request, _async_rows())  # type: ignore[arg-type]


async def async_arguments(client: AsyncClient) -> None:
    rows = await client.tables.insert_rows("T", _async_rows())
    assert_type(rows, RowsResult[Mapping[str, Any]])
