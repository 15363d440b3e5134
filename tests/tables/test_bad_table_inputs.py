"""Row jobs, bulk jobs and row queries given arguments of the wrong type are refused with the
SDK's errors before anything is sent, never with a bare TypeError or ValueError."""

from __future__ import annotations

from typing import Any

import pytest

from botpress_async import ArgumentTypeError, AsyncClient, ConfigurationError, run_bulk
from tests.loopback import FAKE_BAK, Script

pytestmark = pytest.mark.anyio

ROWS = [{"sku": "a"}]


def client_for(server: Script) -> AsyncClient:
    return AsyncClient(FAKE_BAK, bot_id="bot", api_url=server.url)


@pytest.mark.parametrize("method", ["insert_rows", "upsert_rows", "delete_rows"])
@pytest.mark.parametrize("items", [5, None, object()])
async def test_a_row_job_needs_an_iterable(server: Script, method: str, items: Any) -> None:
    async with client_for(server) as client:
        job = getattr(client.tables, method)
        extra = {"key_column": "sku"} if method == "upsert_rows" else {}
        with pytest.raises(ArgumentTypeError, match="must be an iterable"):
            await job("T", items, **extra)
    assert server.seen == []


@pytest.mark.parametrize("chunk_size", ["5", 2.5, None, True, 0])
async def test_a_chunk_size_must_be_a_whole_number_of_rows(server: Script, chunk_size: Any) -> None:
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match="chunk_size must be between 1 and 1000"):
            await client.tables.insert_rows("T", ROWS, chunk_size=chunk_size)
    assert server.seen == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page_size": "5"}, "page_size must be between"),
        ({"page_size": 2.5}, "page_size must be between"),
        ({"select": 5}, "select must be a list"),
        ({"select": "sku"}, "select must be a list"),
    ],
)
async def test_find_rows_options_of_the_wrong_type(
    server: Script, kwargs: dict[str, Any], message: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match=message):
            client.tables.find_rows("T", **kwargs)
    assert server.seen == []


@pytest.mark.parametrize("limit", ["5", 2.5, True])
async def test_collect_needs_an_int_limit(server: Script, limit: Any) -> None:
    async with client_for(server) as client:
        with pytest.raises(ArgumentTypeError, match="limit must be an int or None"):
            await client.tables.find_rows("T").collect(limit)
    assert server.seen == []


async def test_a_bulk_job_needs_items_and_a_function(server: Script) -> None:
    async def call(item: int) -> int:
        return item

    with pytest.raises(ArgumentTypeError, match="must be an iterable"):
        await run_bulk(call, 5)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="coroutine function per item"):
        await run_bulk(5, [1])  # type: ignore[arg-type]
    done = await run_bulk(call, range(3))
    assert (done.succeeded_count, done.failed) == (3, [])


async def test_a_table_handle_names_its_own_arguments(server: Script) -> None:
    async with client_for(server) as client:
        table = client.tables.table("T")
        with pytest.raises(ArgumentTypeError, match=r"export_rows\(\) got unknown argument"):
            async for _ in table.export_rows(bogus=1):  # type: ignore[call-arg]
                pass
        for rows in (5, "id", {"id": 1}):
            with pytest.raises(ArgumentTypeError, match="update\\(\\) takes an iterable"):
                await table.update(rows)  # type: ignore[arg-type]
    assert server.seen == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"shard_rows": "x"}, ConfigurationError, "shard_rows must be a positive number"),
        ({"shard_rows": 2.5}, ConfigurationError, "shard_rows must be a positive number"),
        ({"poll_interval": "x"}, ArgumentTypeError, "poll_interval must be a number"),
        ({"job_timeout": None}, ArgumentTypeError, "job_timeout must be a number"),
    ],
)
async def test_import_options_of_the_wrong_type(
    server: Script, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(error, match=message):
            await client.tables.import_rows("T", ROWS, **kwargs)
        if "shard_rows" not in kwargs:
            with pytest.raises(error, match=message):
                async for _ in client.tables.export_rows("T", **kwargs):
                    pass
    assert server.seen == []


async def test_an_import_needs_an_iterable_before_it_asks_for_the_schema(server: Script) -> None:
    async with client_for(server) as client:
        with pytest.raises(ArgumentTypeError, match="rows must be an iterable"):
            await client.tables.import_rows("T", 5)  # type: ignore[arg-type]
    assert server.seen == []
