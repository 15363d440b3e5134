"""``async for`` over find_rows makes its rows from each page's JSON: the same rows as the
decoded pages give, and the same errors and stops for pages the API would not send."""

from __future__ import annotations

import json
from typing import Any

import pytest

from botpress_async import (
    AsyncClient,
    MalformedFieldError,
    ResponseDecodeError,
    Row,
    strict_decoding,
)
from tests.loopback import FAKE_BAK, Script

pytestmark = pytest.mark.anyio


def page(first: int, count: int, *, more: bool, **extra: Any) -> dict[str, Any]:
    """A findTableRows answer with ``count`` rows from id ``first``."""
    rows = [
        {"id": i, "createdAt": "2026-01-02T03:04:05.000Z", "qty": i}
        for i in range(first, first + count)
    ]
    return {"rows": rows, "hasMore": more, "offset": first - 1, "limit": count, **extra}


def client_for(server: Script) -> AsyncClient:
    return AsyncClient(FAKE_BAK, bot_id="bot", api_url=server.url)


async def test_rows_walked_are_the_rows_of_the_decoded_pages(server: Script) -> None:
    """Two pages then the last: every row once, as a Row equal to the decoded page's, with its
    system fields apart from its columns; each request asks for the offset after the last."""
    answers = [page(1, 3, more=True), page(4, 3, more=True), page(7, 1, more=False)]
    for answer in answers * 2:
        server.reply(200, answer)
    async with client_for(server) as client:
        walked = [row async for row in client.tables.find_rows("T", page_size=3)]
        pages = [p async for p in client.tables.find_rows("T", page_size=3).pages()]
    assert [type(r) for r in walked] == [Row] * 7
    assert walked == [r for p in pages for r in p.rows]
    assert [r.id for r in walked] == list(range(1, 8))
    assert walked[0]["qty"] == 1
    assert dict(walked[0]) == {"qty": 1}
    assert walked[0].created_at == "2026-01-02T03:04:05.000Z"
    offsets = [json.loads(s.body)["offset"] for s in server.seen[:3]]
    assert offsets == [0, 3, 6]


async def test_a_walk_after_the_first_page_was_awaited_goes_on_from_it(server: Script) -> None:
    """``await pager`` keeps the first page; a walk then starts from it without asking again."""
    server.reply(200, page(1, 2, more=True))
    server.reply(200, page(3, 2, more=False))
    async with client_for(server) as client:
        pager = client.tables.find_rows("T", page_size=2)
        first = await pager
        walked = [row.id async for row in pager]
    assert [r.id for r in first.rows] == [1, 2]
    assert walked == [1, 2, 3, 4]
    assert len(server.seen) == 2


async def test_a_page_that_is_not_an_object_raises_a_decode_error(server: Script) -> None:
    server.reply(200, [1, 2])
    async with client_for(server) as client:
        with pytest.raises(ResponseDecodeError, match="FindTableRowsResponse"):
            _ = [row async for row in client.tables.find_rows("T")]


async def test_a_row_that_is_not_an_object_raises_a_decode_error(server: Script) -> None:
    """The page is refused before any of its rows is given, as the decoded page does."""
    body = page(1, 2, more=False)
    body["rows"].append("not a row")
    server.reply(200, body)
    async with client_for(server) as client:
        with pytest.raises(ResponseDecodeError, match="expected a JSON object"):
            _ = [row async for row in client.tables.find_rows("T")]


async def test_a_page_without_has_more_is_walked_as_its_decode_reads_it(server: Script) -> None:
    """A field the API always sends is missing: the rows still come, and the stop is the
    decoded page's (its unreadable field raises on read)."""
    body = page(1, 2, more=False)
    del body["hasMore"]
    server.reply(200, body)
    async with client_for(server) as client:
        with pytest.raises(MalformedFieldError):
            _ = [row async for row in client.tables.find_rows("T")]
        server.reply(200, body)
        with strict_decoding(), pytest.raises(ResponseDecodeError):
            _ = [row async for row in client.tables.find_rows("T")]


async def test_a_server_answering_the_same_page_again_ends_the_walk(server: Script) -> None:
    """An offset that does not move on would loop forever: the walk stops after that page."""
    server.reply(200, page(1, 2, more=True))
    server.reply(200, {**page(1, 2, more=True), "offset": 0})  # asked for offset 2, says 0
    server.reply(200, page(5, 2, more=False))
    async with client_for(server) as client:
        walked = [row.id async for row in client.tables.find_rows("T", page_size=2)]
    assert walked == [1, 2, 1, 2]
    assert len(server.seen) == 2


async def test_an_empty_last_page_ends_the_walk(server: Script) -> None:
    server.reply(200, page(1, 2, more=True))
    server.reply(200, {"rows": [], "hasMore": True, "offset": 2, "limit": 2})
    async with client_for(server) as client:
        walked = [row.id async for row in client.tables.find_rows("T", page_size=2)]
    assert walked == [1, 2]
    assert len(server.seen) == 2


async def test_an_offset_that_is_not_an_integer_raises_a_decode_error(server: Script) -> None:
    """The rows of the page come; asking for the next page then names the bad offset, walking
    rows and walking pages alike."""
    body = {**page(1, 2, more=True), "offset": "0"}
    server.reply(200, body)
    server.reply(200, body)
    async with client_for(server) as client:
        walked: list[int] = []

        async def walk() -> None:
            async for row in client.tables.find_rows("T", page_size=2):
                walked.append(row.id)

        with pytest.raises(ResponseDecodeError, match="offset must be an integer"):
            await walk()
        with pytest.raises(ResponseDecodeError, match="offset must be an integer"):
            _ = [p async for p in client.tables.find_rows("T", page_size=2).pages()]
    assert walked == [1, 2]
    assert len(server.seen) == 2
