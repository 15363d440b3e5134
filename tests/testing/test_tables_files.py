"""Tables (rows: find, filter, order, upsert by key, limits) and files (upload, download, copy)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from botpress_async.testing._tables import matches_filter

from .world import World, call

pytestmark = pytest.mark.anyio

SCHEMA = {
    "properties": {
        "sku": {"type": "string"},
        "price": {"type": "number"},
        "active": {"type": "boolean"},
    }
}


async def _table(world: World, session: aiohttp.ClientSession, rows: int = 5) -> str:
    h = world.runtime_headers()
    status, _ = await call(
        session,
        "POST",
        "/v1/tables",
        h,
        {"name": "ProductsTable", "schema": SCHEMA, "keyColumn": "sku"},
    )
    assert status == 200
    data = [{"sku": f"s{i}", "price": i * 10, "active": i % 2 == 0} for i in range(rows)]
    if data:
        status, _ = await call(session, "POST", "/v1/tables/ProductsTable/rows", h, {"rows": data})
        assert status == 200
    return "/v1/tables/ProductsTable"


async def _find(
    session: aiohttp.ClientSession, world: World, base: str, body: dict[str, Any]
) -> Any:
    status, answer = await call(session, "POST", f"{base}/rows/find", world.runtime_headers(), body)
    assert status == 200, answer
    return answer


async def test_find_filters_orders_and_pages(world: World, session: aiohttp.ClientSession) -> None:
    """findTableRows applies the filter, then the order, then offset and limit."""
    base = await _table(world, session)
    got = await _find(
        session,
        world,
        base,
        {
            "filter": {"price": {"$gte": 20}},
            "orderBy": "price",
            "orderDirection": "desc",
            "limit": 2,
            "offset": 1,
        },
    )
    assert [r["price"] for r in got["rows"]] == [30, 20]
    assert got["hasMore"] is False
    got = await _find(session, world, base, {"filter": {"$or": [{"sku": "s1"}, {"active": True}]}})
    assert sorted(r["sku"] for r in got["rows"]) == ["s0", "s1", "s2", "s4"]
    got = await _find(session, world, base, {"limit": 2})
    assert (len(got["rows"]), got["hasMore"]) == (2, True)


async def test_upsert_by_key_column(world: World, session: aiohttp.ClientSession) -> None:
    """Rows whose key column matches are updated, the others inserted."""
    base = await _table(world, session, rows=2)
    rows = [{"sku": "s1", "price": 99}, {"sku": "new", "price": 1}]
    status, got = await call(
        session,
        "POST",
        f"{base}/rows/upsert",
        world.runtime_headers(),
        {"rows": rows, "keyColumn": "sku"},
    )
    assert status == 200
    assert [r["sku"] for r in got["updated"]] == ["s1"]
    assert [r["sku"] for r in got["inserted"]] == ["new"]
    found = await _find(session, world, base, {"filter": {"sku": "s1"}})
    assert [r["price"] for r in found["rows"]] == [99]
    status, table = await call(session, "GET", base, world.runtime_headers())
    assert table["rows"] == 3


async def test_update_rename_delete(world: World, session: aiohttp.ClientSession) -> None:
    """updateTableRows, renameTableColumn and deleteTableRows change what find returns."""
    h = world.runtime_headers()
    base = await _table(world, session, rows=3)
    assert (await call(session, "PUT", f"{base}/rows", h, {"rows": [{"id": 1, "price": 5}]}))[
        0
    ] == 200
    status, _ = await call(
        session, "PUT", f"{base}/column", h, {"name": "price", "newName": "cost"}
    )
    assert status == 200
    got = await _find(session, world, base, {"filter": {"id": 1}})
    assert got["rows"][0]["cost"] == 5
    status, deleted = await call(
        session, "POST", f"{base}/rows/delete", h, {"filter": {"cost": {"$gt": 5}}}
    )
    assert deleted["deletedRows"] == 2
    status, _ = await call(session, "GET", f"{base}/row", h, params={"id": "2"})
    assert status == 404


async def test_row_limits(world: World, session: aiohttp.ClientSession) -> None:
    """More than 1000 rows in one call, or a find limit above 1000, is refused with 400."""
    h = world.runtime_headers()
    base = await _table(world, session, rows=1)
    status, body = await call(session, "POST", f"{base}/rows", h, {"rows": [{"sku": "x"}] * 1001})
    assert (status, body["type"]) == (400, "InvalidPayload")
    status, body = await call(session, "POST", f"{base}/rows/find", h, {"limit": 1001})
    assert status == 400
    assert "limit" in body["message"]
    status, _ = await call(session, "POST", f"{base}/rows", h, {"rows": [{"sku": "x"}] * 1000})
    assert status == 200


async def test_rows_are_checked_against_columns(
    world: World, session: aiohttp.ClientSession
) -> None:
    """An unknown column or a value of the wrong type is a 400 naming the column."""
    h = world.runtime_headers()
    base = await _table(world, session, rows=0)
    status, body = await call(session, "POST", f"{base}/rows", h, {"rows": [{"nope": 1}]})
    assert (status, "nope" in body["message"]) == (400, True)
    status, body = await call(session, "POST", f"{base}/rows", h, {"rows": [{"price": "ten"}]})
    assert (status, "price" in body["message"]) == (400, True)


async def test_table_names_are_unique_and_get_or_create_is_idempotent(
    world: World, session: aiohttp.ClientSession
) -> None:
    """createTable refuses a taken name; getOrCreateTable returns the existing table."""
    h = world.runtime_headers()
    await _table(world, session, rows=0)
    status, body = await call(
        session, "POST", "/v1/tables", h, {"name": "ProductsTable", "schema": SCHEMA}
    )
    assert (status, body["type"]) == (409, "AlreadyExists")
    status, got = await call(session, "POST", "/v1/tables/ProductsTable", h, {"schema": SCHEMA})
    assert (status, got["created"]) == (200, False)


def test_filter_operators() -> None:
    """The filter engine knows comparison, membership, existence, regex and logic operators."""
    row = {"a": 5, "b": "Hello", "c": None}
    assert matches_filter(row, {"a": {"$in": [1, 5]}, "b": {"$regex": "^H"}})
    assert matches_filter(row, {"c": {"$exists": False}, "a": {"$ne": 4, "$lte": 5}})
    assert matches_filter(row, {"$and": [{"a": {"$gt": 1}}, {"$not": {"b": "x"}}]})
    assert matches_filter(row, {"b": {"$regex": "hello", "$options": "i"}})
    assert not matches_filter(row, {"a": {"$nin": [5]}})
    assert not matches_filter(row, {"$or": [{"a": 1}, {"b": "no"}]})


async def test_file_upload_download_and_status(
    world: World, session: aiohttp.ClientSession
) -> None:
    """The upload URL takes the bytes without Authorization; the file's url then serves them."""
    h = world.runtime_headers()
    _, made = await call(
        session,
        "PUT",
        "/v1/files",
        h,
        {"key": "docs/a.txt", "size": 11, "contentType": "text/plain", "tags": {"kind": "doc"}},
    )
    assert made["file"]["status"] == "upload_pending"
    upload = made["file"]["uploadUrl"]
    assert upload.startswith(world.emu.url)
    async with (
        aiohttp.ClientSession() as bare,
        bare.put(
            upload,
            data=b"hello world",
            headers={"content-type": "text/plain", "x-amz-tagging": "public=true"},
        ) as resp,
    ):
        assert resp.status == 200
    _, got = await call(session, "GET", f"/v1/files/{made['file']['id']}", h)
    assert (got["file"]["status"], got["file"]["size"]) == ("upload_completed", 11)
    async with aiohttp.ClientSession() as bare, bare.get(got["file"]["url"]) as resp:
        assert await resp.read() == b"hello world"
    _, listed = await call(session, "GET", "/v1/files", h, params={"tags.kind": "doc"})
    assert [f["key"] for f in listed["files"]] == ["docs/a.txt"]


async def test_file_copy_and_upsert_keeps_id(world: World, session: aiohttp.ClientSession) -> None:
    """Upserting the same key keeps the file id; copying refuses to overwrite unless asked."""
    h = world.runtime_headers()
    _, first = await call(session, "PUT", "/v1/files", h, {"key": "k.bin", "size": 1})
    _, again = await call(session, "PUT", "/v1/files", h, {"key": "k.bin", "size": 2})
    assert first["file"]["id"] == again["file"]["id"]
    status, copy = await call(session, "POST", "/v1/files/k.bin/copy.bin", h, {})
    assert (status, copy["file"]["key"]) == (200, "copy.bin")
    status, body = await call(session, "POST", "/v1/files/k.bin/copy.bin", h, {})
    assert (status, body["type"]) == (409, "AlreadyExists")
    status, _ = await call(session, "POST", "/v1/files/k.bin/copy.bin", h, {"overwrite": True})
    assert status == 200


async def test_a_deleted_key_is_free_again(world: World, session: aiohttp.ClientSession) -> None:
    """The emulator's key index follows deletes: the key gets a new file, found by key."""
    h = world.runtime_headers()
    _, first = await call(session, "PUT", "/v1/files", h, {"key": "gone.txt", "size": 1})
    _, other = await call(session, "PUT", "/v1/files", h, {"key": "kept.txt", "size": 1})
    status, _ = await call(session, "DELETE", f"/v1/files/{first['file']['id']}", h)
    assert status == 200
    status, body = await call(session, "GET", "/v1/files/gone.txt", h)
    assert (status, body["type"]) == (404, "ResourceNotFound")
    status, _ = await call(session, "POST", "/v1/files/kept.txt/gone.txt", h, {})
    assert status == 200, "a deleted key must not block a copy onto it"
    _, again = await call(session, "PUT", "/v1/files", h, {"key": "gone.txt", "size": 3})
    assert again["file"]["id"] not in (first["file"]["id"], other["file"]["id"])
    _, got = await call(session, "GET", "/v1/files/gone.txt", h)
    assert (got["file"]["id"], got["file"]["size"]) == (again["file"]["id"], 3)
    wanted = [first["file"]["id"], other["file"]["id"], again["file"]["id"]]
    _, listed = await call(session, "GET", "/v1/files", h, params={"ids": wanted})
    assert sorted(f["key"] for f in listed["files"]) == ["gone.txt", "kept.txt"]


async def test_indexed_text_is_searchable(world: World, session: aiohttp.ClientSession) -> None:
    """An indexed text file's paragraphs become passages that searchFiles finds."""
    h = world.runtime_headers()
    _, made = await call(
        session,
        "PUT",
        "/v1/files",
        h,
        {"key": "faq.txt", "size": 10, "index": True, "contentType": "text/plain"},
    )
    async with (
        aiohttp.ClientSession() as bare,
        bare.put(
            made["file"]["uploadUrl"],
            data=b"Refunds take five days.\n\nShipping is free.",
            headers={"content-type": "text/plain"},
        ) as resp,
    ):
        assert resp.status == 200
    _, found = await call(session, "GET", "/v1/files/search", h, params={"query": "refunds"})
    assert [p["content"] for p in found["passages"]] == ["Refunds take five days."]
