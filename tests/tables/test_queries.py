"""find_rows: a pager over every matching row, and the emulator's filter language."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import botpress_sync
from botpress_async import (
    AsyncClient,
    ConfigurationError,
    InvalidQueryError,
    Row,
)
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


async def fill(client: AsyncClient, n: int = 250) -> None:
    """``n`` products: sku p<i>, qty i, keys 'even'/'odd'."""
    rows = [{"sku": f"p{i}", "qty": i, "keys": "even" if i % 2 == 0 else "odd"} for i in range(n)]
    result = await client.tables.insert_rows("productsTable", rows)
    assert result.inserted_count == n


async def test_find_rows_walks_every_page_of_a_filtered_subset(
    client: AsyncClient, emu: Emulator
) -> None:
    """A filter matching 125 of 250 rows, 20 per page: 7 requests, every match once, in order."""
    await fill(client)
    emu.log.clear()
    pager = client.tables.find_rows(
        "productsTable", filter={"keys": "even"}, order_by="qty", page_size=20
    )
    seen = [row async for row in pager]
    assert [r["qty"] for r in seen] == list(range(0, 250, 2))
    assert all(isinstance(r, Row) for r in seen)
    requests = [e for e in emu.log if e.operation_id == "findTableRows"]
    assert len(requests) == 7


async def test_pages_and_collect(client: AsyncClient, emu: Emulator) -> None:
    """pages() gives the responses; collect(limit) stops fetching once it has enough."""
    await fill(client, 50)
    pages = [p async for p in client.tables.find_rows("productsTable", page_size=20).pages()]
    assert [len(p.rows) for p in pages] == [20, 20, 10]
    emu.log.clear()
    got = await client.tables.find_rows(
        "productsTable", order_by="qty", order_direction="desc", page_size=10
    ).collect(15)
    assert [r["qty"] for r in got] == list(range(49, 34, -1))
    assert len([e for e in emu.log if e.operation_id == "findTableRows"]) == 2


async def test_select_and_search(client: AsyncClient) -> None:
    """select keeps only the named columns; search narrows to rows holding the text."""
    await fill(client, 30)
    rows = await client.tables.find_rows("productsTable", select=["sku"]).collect()
    assert {tuple(r) for r in rows} == {("sku",)}
    found = await client.tables.find_rows("productsTable", search="p2").collect()
    assert sorted(r["sku"] for r in found) == ["p2", "p20", "p21", "p22", "p23", "p24"] + [
        f"p{i}" for i in range(25, 30)
    ]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"qty": {"$eq": 3}}, [3]),
        ({"qty": {"$ne": 0, "$lt": 3}}, [1, 2]),
        ({"qty": {"$gte": 8}}, [8, 9]),
        ({"qty": {"$gt": 7, "$lte": 8}}, [8]),
        ({"qty": {"$in": [1, 4, 40]}}, [1, 4]),
        ({"qty": {"$nin": list(range(2, 10))}}, [0, 1]),
        ({"sku": {"$regex": "^p[3-4]$"}}, [3, 4]),
        ({"sku": {"$regex": "^P1$", "$options": "i"}}, [1]),
        ({"$and": [{"keys": "odd"}, {"qty": {"$lt": 5}}]}, [1, 3]),
        ({"$or": [{"qty": 0}, {"qty": 9}]}, [0, 9]),
        ({"$not": {"qty": {"$lt": 8}}}, [8, 9]),
        ({"qty": {"$not": {"$gt": 1}}}, [0, 1]),
        ({"when": {"$exists": True}}, []),
        ({"keys": "odd", "qty": {"$gt": 6}}, [7, 9]),
    ],
)
async def test_filter_operators(
    client: AsyncClient, flt: dict[str, Any], expected: list[int]
) -> None:
    """Each operator of the tables guide selects what the guide says it does."""
    await fill(client, 10)
    rows = await client.tables.find_rows("productsTable", filter=flt, order_by="qty").collect()
    assert [r["qty"] for r in rows] == expected


async def test_unknown_operator_is_a_400_naming_it(client: AsyncClient) -> None:
    """An operator the emulator does not know is an InvalidQuery 400, even on an empty table."""
    with pytest.raises(InvalidQueryError, match=r"\$near"):
        await client.tables.find_rows("productsTable", filter={"qty": {"$near": 3}}).collect()
    with pytest.raises(InvalidQueryError, match=r"\$nor"):
        await client.tables.find_rows("productsTable", filter={"$nor": [{"qty": 1}]}).collect()


async def test_bad_arguments_fail_before_sending(client: AsyncClient, emu: Emulator) -> None:
    """A filter that is not a mapping, a bare string select or a bad page size: no request."""
    emu.log.clear()
    bad: Any = [("qty", 1)]
    with pytest.raises(ConfigurationError, match="filter must be a mapping"):
        client.tables.find_rows("productsTable", filter=bad)
    with pytest.raises(ConfigurationError, match="select must be a list"):
        client.tables.find_rows("productsTable", select="sku")
    with pytest.raises(ConfigurationError, match="page_size"):
        client.tables.find_rows("productsTable", page_size=5000)
    assert list(emu.log) == []


async def test_sync_find_rows_is_an_iterator(emu: Emulator, client: AsyncClient) -> None:
    """The blocking client iterates the same rows, page by page."""
    await fill(client, 45)

    def work() -> list[int]:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
            return [r["qty"] for r in c.tables.find_rows("productsTable", page_size=10)]

    assert await anyio.to_thread.run_sync(work) == list(range(45))
