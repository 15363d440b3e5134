"""Pinned types of rows and typed tables; checked by mypy, never run."""

from __future__ import annotations

from typing import Any, TypedDict

from typing_extensions import NotRequired, assert_type

import botpress_sync
from botpress_async import AsyncClient, AsyncTableHandle, ImportResult, Row, RowsResult
from botpress_sync import TableHandle


class Order(TypedDict):
    sku: str
    total: float
    note: NotRequired[str]


async def async_types(client: AsyncClient) -> None:
    orders = client.tables.table("ordersTable", Order)
    assert_type(orders, AsyncTableHandle[Order])
    async for row in orders.find(filter={"total": {"$gt": 10}}):
        assert_type(row, Row[Order])
        assert_type(row.columns["total"], float)
        assert_type(row.id, int)
        assert_type(row["anything"], Any)
    result = await orders.insert([{"sku": "a", "total": 1.5}])
    assert_type(result, RowsResult[Order])
    await orders.upsert([{"sku": "a", "total": 2.0, "note": "n"}], keep_rows=True)
    await orders.insert([{"sku": "a"}])  # type: ignore[typeddict-item]
    await orders.insert([{"sku": "a", "total": "x"}])  # type: ignore[typeddict-item]
    await orders.insert([{"sku": "a", "total": 1}], chunk_sise=5)  # type: ignore[call-arg]
    one = await orders.get(3)
    assert_type(one.columns["sku"], str)
    await orders.delete([r.id for r in await orders.find().collect()])
    imported = await orders.import_rows([{"sku": "a", "total": 1.0}], format="csv")
    assert_type(imported, ImportResult)
    await orders.import_rows([{"sku": 2, "total": 1.0}])  # type: ignore[typeddict-item]
    async for exported in orders.export_rows(format="json"):
        assert_type(exported.columns["total"], float)

    untyped = client.tables.table("notesTable")
    assert_type(untyped, AsyncTableHandle[dict[str, Any]])
    found = await client.tables.find_rows("notesTable").collect()
    assert_type(found[0], Row)
    assert_type(found[0].columns, dict[str, Any])
    await client.tables.delete_rows("notesTable", [r.id for r in found])
    page = await client.tables.find_table_rows(table="notesTable")
    assert_type(page.rows[0].id, int)


def sync_types(client: botpress_sync.Client) -> None:
    orders = client.tables.table("ordersTable", Order)
    assert_type(orders, TableHandle[Order])
    for row in orders.find(order_by="total"):
        assert_type(row.columns["sku"], str)
    assert_type(orders.insert([{"sku": "a", "total": 1.0}]), RowsResult[Order])
    orders.upsert([{"sku": 1, "total": 1.0}])  # type: ignore[typeddict-item]
    for r in client.tables.find_rows("notesTable"):
        assert_type(r, Row)
