"""The typed table handle: the same rows and jobs as client.tables, bound to one table."""

from __future__ import annotations

from typing import TypedDict

import anyio
import pytest

import botpress_sync
from botpress_async import AsyncClient, ConfigurationError, Row
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


class Product(TypedDict):
    """The columns the tests use of productsTable."""

    sku: str
    qty: int


async def test_async_handle_covers_every_row_operation(client: AsyncClient) -> None:
    """insert, upsert (by the table's key), find, get, update and delete through one handle."""
    products = client.tables.table("productsTable", Product)
    assert repr(products) == "<AsyncTableHandle 'productsTable'>"
    assert (await products.insert([{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}])).ok
    assert (await products.upsert([{"sku": "a", "qty": 10}])).updated_count == 1
    rows = await products.find(order_by="sku").collect()
    assert [(r.columns["sku"], r.columns["qty"]) for r in rows] == [("a", 10), ("b", 2)]
    got = await products.get(rows[1].id)
    assert isinstance(got, Row)
    assert got["sku"] == "b"
    changed = await products.update([{"id": got.id, "qty": 3}, Row({"qty": 4}, id=rows[0].id)])
    assert [r["qty"] for r in changed] == [3, 4]
    assert (await products.delete([r.id for r in rows])).deleted_count == 2
    assert await products.find().collect() == []
    imported = await products.import_rows(
        [{"sku": "i", "qty": 1}], format="csv", poll_interval=0.001
    )
    assert imported.ok
    assert [r.columns["qty"] async for r in products.export_rows(poll_interval=0.001)] == [1]


async def test_handle_refuses_a_bad_name_and_bad_update_rows(client: AsyncClient) -> None:
    """An empty table name and an update row that is not a mapping fail before sending."""
    with pytest.raises(ConfigurationError, match="table"):
        client.tables.table("")
    with pytest.raises(ConfigurationError, match=r"rows\[0\]"):
        await client.tables.table("productsTable").update(["nope"])  # type: ignore[list-item]


async def test_sync_handle(emu: Emulator, client: AsyncClient) -> None:
    """The blocking client's handle gives the same rows."""

    def work() -> list[tuple[str, int]]:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
            products = c.tables.table("productsTable", Product)
            products.insert([{"sku": f"s{i}", "qty": i} for i in range(3)])
            products.upsert([{"sku": "s0", "qty": 7}])
            found = [(r.columns["sku"], r.columns["qty"]) for r in products.find(page_size=2)]
            products.delete([products.get(r.id).id for r in products.find()])
            return found

    assert await anyio.to_thread.run_sync(work) == [("s0", 7), ("s1", 1), ("s2", 2)]
    assert await client.tables.find_rows("productsTable").collect() == []


async def test_find_names_an_unknown_argument(client: AsyncClient, emu: Emulator) -> None:
    """A misspelt query argument of find() is refused before anything is sent, naming it and
    the arguments find() takes, on both handles; it is also a TypeError, as Python's own is."""
    from botpress_async import ArgumentTypeError

    products = client.tables.table("productsTable", Product)
    with pytest.raises(ArgumentTypeError, match=r"'oder_by'.*order_by") as caught:
        products.find(oder_by="sku")  # type: ignore[call-arg]
    assert isinstance(caught.value, TypeError)
    assert caught.value.argument == "oder_by"

    def blocking() -> None:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
            handle = c.tables.table("productsTable", Product)
            with pytest.raises(ArgumentTypeError, match="'limit'"):
                handle.find(limit=5)  # type: ignore[call-arg]

    await anyio.to_thread.run_sync(blocking)
