"""A row write the server accepted but answered in a shape the API does not document: its
rows count as written (retrying them would insert them twice), what cannot be read is not
counted, and the result says so in the request's messages, never as a bare exception."""

from __future__ import annotations

from typing import Any

import pytest

from botpress_async import AsyncClient
from tests.loopback import FAKE_BAK, Script

pytestmark = pytest.mark.anyio

ROWS = [{"sku": "a"}, {"sku": "b"}]


def client_for(server: Script) -> AsyncClient:
    return AsyncClient(FAKE_BAK, bot_id="bot", api_url=server.url)


@pytest.mark.parametrize("keep_rows", [False, True])
@pytest.mark.parametrize(
    ("answer", "unread"),
    [
        ({"rows": 5}, "'rows' is not a list"),
        ({"rows": True, "errors": []}, "'rows' is not a list"),
        ({"rows": [{"id": 1}], "warnings": "careful"}, "'warnings' is not a list"),
    ],
)
async def test_an_insert_answer_that_cannot_be_read(
    server: Script, answer: dict[str, Any], unread: str, keep_rows: bool
) -> None:
    server.reply(200, answer)
    async with client_for(server) as client:
        result = await client.tables.insert_rows("T", ROWS, keep_rows=keep_rows)
    assert (result.succeeded_rows, result.failed, result.ok) == (2, [], True)
    (message,) = result.messages
    assert any(unread in text for text in message.warnings), message.warnings
    assert len(server.seen) == 1, "the written rows must not be sent again"


async def test_unreadable_errors_stay_errors(server: Script) -> None:
    """An ``errors`` of the wrong shape may hide rows that were not written: not ok."""
    server.reply(200, {"rows": [{"id": 1}, {"id": 2}], "errors": 5})
    async with client_for(server) as client:
        result = await client.tables.insert_rows("T", ROWS)
    assert (result.succeeded_rows, result.inserted_count, result.ok) == (2, 2, False)
    assert "'errors' is not a list" in result.messages[0].errors[0]


async def test_rows_kept_only_when_they_are_rows(server: Script) -> None:
    server.reply(200, {"inserted": [{"id": 1, "sku": "a"}, 7], "updated": [{"id": 2}]})
    async with client_for(server) as client:
        result = await client.tables.upsert_rows("T", ROWS, key_column="sku", keep_rows=True)
    assert (result.inserted_count, result.updated_count, result.failed) == (0, 1, [])
    assert [r.id for r in result.updated] == [2]
    assert "'inserted' is not a list of rows" in result.messages[0].warnings[0]


@pytest.mark.parametrize("deleted", ["x", [1], 2.5, True])
async def test_a_delete_answer_without_a_count(server: Script, deleted: object) -> None:
    server.reply(200, {"deletedRows": deleted})
    async with client_for(server) as client:
        result = await client.tables.delete_rows("T", [1, 2])
    assert (result.succeeded_rows, result.deleted_count, result.failed) == (2, 0, [])
    assert "'deletedRows' is not a count" in result.messages[0].warnings[0]
