"""Pinned types of the blocking client and the bulk helpers; checked by mypy, never run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from typing_extensions import assert_type

import botpress_sync
from botpress_async import AsyncClient, BulkResult, RowsResult
from botpress_async.models.files import File
from botpress_async.models.runtime import GetUserResponse, ListUsersResponse, User
from botpress_sync._pager import Pager


def sync_types(client: botpress_sync.Client) -> None:
    assert_type(client.runtime.get_user(id="u"), GetUserResponse)
    pager = client.runtime.list_users()
    assert_type(pager, Pager[User, ListUsersResponse])
    for user in pager:
        assert_type(user, User)
    assert_type(client.request("GET", "/v1/chat/users"), Any)
    rows = client.tables.insert_rows("T", [{"a": 1}])
    assert_type(rows, RowsResult[Mapping[str, Any]])
    assert_type(client.files.upload_file("k.txt", b"x"), File)


async def bulk_types(client: AsyncClient) -> None:
    rows = await client.tables.upsert_rows("T", [{"sku": "a"}], key_column="sku")
    assert_type(rows, RowsResult[Mapping[str, Any]])
    assert_type(rows.unknown_rows, list[Mapping[str, Any]])
    deleted = await client.tables.delete_rows("T", [1, 2])
    assert_type(deleted, RowsResult[int])
    result = await client.bulk(client.request, [{"method": "GET", "path": "/v1/chat/users"}])
    assert_type(result, BulkResult[Mapping[str, Any], Any])
    assert_type(result.succeeded_count, int)


async def file_types(client: AsyncClient, blocking: botpress_sync.Client) -> None:
    items: list[tuple[str, bytes]] = [("a.txt", b"a")]
    uploaded = await client.files.upload_files(items)
    assert_type(uploaded, BulkResult[tuple[str, bytes], File])
    for failure in uploaded.failed:
        assert_type(failure.item[0], str)
    mappings: list[dict[str, Any]] = [{"key": "b.txt", "content": b"b"}]
    assert_type(blocking.files.upload_files(mappings), BulkResult[dict[str, Any], File])
    async for listed in client.files.list_files():
        # An item of a list is a file record too: no getFile needed to download it.
        assert_type(await client.files.download(listed), bytes)
        assert_type(blocking.files.download(listed, path="out"), Path)


def blocking_bulk_types(client: botpress_sync.Client) -> None:
    # The blocking client's own methods are what blocking code hands to bulk().
    result = client.bulk(client.runtime.get_or_create_user, [{"tags": {}}])
    assert_type(result, BulkResult[Mapping[str, Any], Any])
