"""Wrongly typed file and pager arguments raise the SDK's own errors, before anything is sent.

`ArgumentTypeError` is also a `TypeError`, so callers written against Python's convention keep
working, and ``except BotpressError`` catches it like every other refusal of the SDK.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from botpress_async import ArgumentTypeError, AsyncClient, BotpressError, ConfigurationError
from botpress_async.testing import Emulator

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[tuple[Emulator, AsyncClient]]:
    async with Emulator() as emu, AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
        yield emu, c


Call = Callable[[AsyncClient], Coroutine[Any, Any, Any]]

CASES: list[tuple[str, str, Call]] = [
    ("key", "key must be a str", lambda c: c.files.upload_file(3, b"x")),  # type: ignore[arg-type]
    ("url", "url must be a str", lambda c: c.files.upload_file("k", url=3)),  # type: ignore[arg-type]
    (
        "content_type",
        "content_type must be a str",
        lambda c: c.files.upload_file("k", b"x", content_type=3),  # type: ignore[arg-type]
    ),
    ("content", "content must be bytes", lambda c: c.files.upload_file("k", 3.5)),  # type: ignore[arg-type]
    ("content", "text mode", lambda c: c.files.upload_file("k", io.StringIO("text"))),  # type: ignore[arg-type]
    ("content", "chunks must be bytes", lambda c: c.files.upload_file("k", iter(["a", "b"]))),  # type: ignore[list-item,arg-type]
    ("file_or_id", "download takes a file id", lambda c: c.files.download(3)),  # type: ignore[call-overload]
    ("path", "path must be a str", lambda c: c.files.download("file_x", path=3)),  # type: ignore[call-overload]
]


@pytest.mark.parametrize(
    ("argument", "says", "call"), CASES, ids=[c[0] + ":" + c[1] for c in CASES]
)
async def test_a_wrongly_typed_argument_is_an_sdk_error_naming_it(
    client: tuple[Emulator, AsyncClient], argument: str, says: str, call: Call
) -> None:
    _, c = client
    with pytest.raises(ArgumentTypeError, match=says) as caught:
        await call(c)
    error = caught.value
    assert isinstance(error, TypeError)
    assert isinstance(error, BotpressError)
    assert error.argument == argument
    listed = await c.files.list_files()
    assert listed.files == [], "nothing may be uploaded by a refused call"


async def test_a_negative_collect_limit_is_a_configuration_error(
    client: tuple[Emulator, AsyncClient],
) -> None:
    _, c = client
    with pytest.raises(ConfigurationError, match="limit must be >= 0") as caught:
        await c.runtime.list_users().collect(limit=-1)
    assert caught.value.argument == "limit"


async def test_a_bulk_item_with_wrong_argument_names_fails_alone(
    client: tuple[Emulator, AsyncClient],
) -> None:
    """A misspelt or missing argument is that item's InvalidItemError, named; it is not
    sent, and the other items go on."""
    from botpress_async import InvalidItemError

    _, c = client
    items: list[dict[Any, Any]] = [
        {"tabel": "x"},
        {},
        {1: "x"},
        {"name": "GoodTable", "schema": {"properties": {}}},
    ]
    result = await c.bulk(c.tables.create_table, items)
    assert result.succeeded_count == 1
    errors = {f.index: f.error for f in result.failed}
    assert all(type(e) is InvalidItemError for e in errors.values())
    assert "'tabel' that create_table() does not take" in str(errors[0])
    assert "lacks argument(s) name, schema" in str(errors[1])
    assert "argument(s) 1 that" in str(errors[2])
    listed = await c.tables.list_tables()
    assert [t.name for t in listed.tables] == ["GoodTable"], "nothing else may be created"
