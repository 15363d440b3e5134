"""The one row type: columns as items, system fields as attributes, on every operation."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import pickle
from typing import Any

import anyio
import pytest

import botpress_sync
from botpress_async import (
    AsyncClient,
    ColumnNotFoundError,
    ConfigurationError,
    InvalidRowError,
    ResourceNotFoundError,
    Row,
)
from botpress_async._rows import _chunks, _KeyGuard
from botpress_async.testing import Emulator

from .conftest import stored

pytestmark = pytest.mark.anyio


def test_row_built_in_python_carries_columns() -> None:
    """A Python-built row holds columns, keeps the namespaces apart and round-trips."""
    row: Row = Row({"sku": "a", "items": 2, "keys": "k"}, id=5)
    assert (row.id, row["sku"], row.get("items"), row.get("nope", 0)) == (5, "a", 2, 0)
    assert "sku" in row
    assert "id" not in row
    assert list(row) == ["sku", "items", "keys"]
    assert dict(row) == {"sku": "a", "items": 2, "keys": "k"}
    assert row["items"] == 2
    assert callable(row.items)
    assert callable(row.keys)
    assert row.to_dict() == {"sku": "a", "items": 2, "keys": "k", "id": 5}
    assert Row.from_dict(row.to_dict()) == row
    assert pickle.loads(pickle.dumps(row)) == row  # noqa: S301 - our own bytes
    with pytest.raises(ColumnNotFoundError, match=r"row\.id"):
        row["id"]
    with pytest.raises(KeyError, match="no column 'missing'"):
        row["missing"]
    with pytest.raises(ConfigurationError, match="not a column"):
        Row({"id": 3})
    with pytest.raises(ConfigurationError, match="mapping"):
        Row(["sku"])  # type: ignore[arg-type]


def test_odd_keys_and_ids_raise_the_sdk_errors() -> None:
    """An unhashable column name is a missing column, and a row id that is not an integer
    raises MalformedFieldError (an AttributeError too), never a bare TypeError/ValueError."""
    from botpress_async import MalformedFieldError

    row: Row = Row({"sku": "a"})
    with pytest.raises(ColumnNotFoundError, match="no column"):
        row[["sku"]]  # type: ignore[index]
    assert row.get({}, 7) == 7  # type: ignore[arg-type]
    assert ["sku"] not in row
    with pytest.raises(MalformedFieldError, match="built in Python without one"):
        row.id  # noqa: B018
    assert not hasattr(row, "id")
    for sent, read in ((12, 12), ("12", 12), (12.0, 12)):
        assert Row.from_dict({"id": sent}).id == read
    for bad in ("abc", 1.5, True, [], "١٢", float("inf")):
        with pytest.raises(MalformedFieldError, match="not an integer"):
            Row.from_dict({"id": bad}).id  # noqa: B018
        assert getattr(Row.from_dict({"id": bad}), "id", None) is None


def test_repr_shows_id_and_columns_cut_short() -> None:
    """repr names the id and the columns, in order, and stays short for wide rows."""
    assert repr(Row({"sku": "a", "qty": 3}, id=1)) == "Row(id=1, {'sku': 'a', 'qty': 3})"
    wide = Row({f"c{i}": "x" * 500 for i in range(40)}, id=2)
    text = repr(wide)
    assert text.startswith("Row(id=2, {'c0': 'xxx")
    assert len(text) <= 300
    assert text.endswith("...)")


async def test_every_row_operation_returns_rows_with_columns(client: AsyncClient) -> None:
    """create, get, find, update, upsert and the bulk helpers all give Row with columns."""
    t = client.tables
    created = (await t.create_table_rows(table="productsTable", rows=[{"sku": "a", "qty": 1}])).rows
    got = (await t.get_table_row(table="productsTable", id=created[0].id)).row
    found = (await t.find_table_rows(table="productsTable")).rows
    updated = (
        await t.update_table_rows(table="productsTable", rows=[{"id": created[0].id, "qty": 2}])
    ).rows
    upserted = (
        await t.upsert_table_rows(table="productsTable", rows=[{"sku": "b", "qty": 3}])
    ).inserted
    bulk = (await t.insert_rows("productsTable", [{"sku": "c"}], keep_rows=True)).inserted
    bulk_up = (
        await t.upsert_rows("productsTable", [{"sku": "c", "qty": 9}], keep_rows=True)
    ).updated
    for rows, sku in [
        (created, "a"),
        ([got], "a"),
        (found, "a"),
        (updated, "a"),
        (upserted, "b"),
        (bulk, "c"),
        (bulk_up, "c"),
    ]:
        assert isinstance(rows[0], Row)
        assert rows[0]["sku"] == sku
        assert isinstance(rows[0].id, int)
        assert rows[0].created_at is not None
        assert repr(rows[0]).startswith(f"Row(id={rows[0].id}, {{'sku': '{sku}'")
    assert updated[0]["qty"] == 2
    assert bulk_up[0]["qty"] == 9
    assert got.computed == {}
    assert got.stale == []
    # ids read from rows go straight back into calls that take ints
    deleted = await t.delete_rows("productsTable", [r.id for r in found])
    assert deleted.deleted_count == 1


async def test_sync_client_returns_the_same_rows(emu: Emulator) -> None:
    """The blocking client gives the same Row from operations and helpers."""

    def work() -> list[Any]:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
            c.tables.create_table(name="syncTable", schema={"properties": {"sku": {}}})
            made = c.tables.create_table_rows(table="syncTable", rows=[{"sku": "s"}]).rows[0]
            got = c.tables.get_table_row(table="syncTable", id=made.id).row
            found = c.tables.find_table_rows(table="syncTable").rows[0]
            kept = c.tables.insert_rows("syncTable", [{"sku": "t"}], keep_rows=True).inserted[0]
            return [made, got, found, kept]

    rows = await anyio.to_thread.run_sync(work)
    assert [r["sku"] for r in rows] == ["s", "s", "s", "t"]
    assert all(isinstance(r, Row) and isinstance(r.id, int) for r in rows)


async def test_upsert_twice_is_idempotent_on_a_keyed_table(client: AsyncClient) -> None:
    """Without key_column the table's own key is used: two runs leave one row per key."""
    rows = [{"sku": f"k{i}", "qty": i} for i in range(30)]
    first = await client.tables.upsert_rows("productsTable", rows, chunk_size=7)
    second = await client.tables.upsert_rows("productsTable", rows, chunk_size=7)
    assert (first.inserted_count, second.inserted_count, second.updated_count) == (30, 0, 30)
    assert len(await stored(client, "productsTable")) == 30


async def test_upsert_twice_is_idempotent_on_a_table_without_key(client: AsyncClient) -> None:
    """A table without a key column upserts by id; rows without an id are refused, not added."""
    made = await client.tables.insert_rows(
        "notesTable", [{"sku": f"n{i}"} for i in range(5)], keep_rows=True
    )
    rows: list[dict[str, Any]] = [{"id": r.id, "qty": 1} for r in made.inserted]
    rows.append({"sku": "no id"})
    for _ in range(2):
        result = await client.tables.upsert_rows("notesTable", rows)
        assert result.updated_count == 5
        assert result.inserted_count == 0
        assert len(result.failed) == 1
        assert isinstance(result.failed[0].error, InvalidRowError)
        assert "rows[5]" in str(result.failed[0].error)
        assert "'id'" in str(result.failed[0].error)
    assert len(await stored(client, "notesTable")) == 5


async def test_rows_missing_the_key_are_reported_not_inserted(client: AsyncClient) -> None:
    """A row without the key column is in the result as failed, with its index and the column."""
    rows: list[dict[str, Any]] = [{"sku": "a"}, {"qty": 1}, {"sku": None}, {"sku": "b"}]
    result = await client.tables.upsert_rows("productsTable", rows)
    assert result.succeeded_rows == 2
    assert not result.ok
    errors = [f.error for f in result.failed]
    assert all(isinstance(e, InvalidRowError) for e in errors)
    assert [(f.first_index, f.rows) for f in result.failed] == [(1, [{"qty": 1}]), (2, [rows[2]])]
    assert "rows[1] has no value for the key column 'sku'" in str(errors[0])
    assert result.total == 4
    assert sorted(r["sku"] for r in await stored(client, "productsTable")) == ["a", "b"]


async def test_repeated_keys_in_one_job_never_duplicate(client: AsyncClient) -> None:
    """The same key many times in one concurrent job still leaves one row, with the last value."""
    rows = [{"sku": f"d{i % 3}", "qty": i} for i in range(60)]
    result = await client.tables.upsert_rows("productsTable", rows, chunk_size=4, concurrency=8)
    assert result.ok
    table = await stored(client, "productsTable")
    assert sorted(r["sku"] for r in table) == ["d0", "d1", "d2"]


async def test_the_key_guard_holds_back_only_requests_that_share_a_key() -> None:
    """A request whose keys are in flight waits for the one holding them, not for the others;
    disjoint requests go at once, and every key is given back."""
    guard = _KeyGuard()
    first = await guard.enter({"a", "b"})
    other = await guard.enter({"c"})  # disjoint: not held back
    waiting = asyncio.ensure_future(guard.enter({"b", "d"}))
    await asyncio.sleep(0)
    guard.leave({"c"}, other)
    await asyncio.sleep(0)
    assert not waiting.done()  # "b" is still the first request's
    guard.leave({"a", "b"}, first)
    third = await asyncio.wait_for(waiting, 1)
    assert guard._held == {"b", "d"}
    guard.leave({"b", "d"}, third)
    assert guard._held == set()
    assert guard._flying == []


async def test_upsert_chunks_hold_the_keys_of_the_rows_they_send() -> None:
    """Each upsert chunk's key set is its rows' keys, whichever way the chunk was checked: a
    batch cut at a repeated key, a row without the key, an unhashable key value."""

    async def cut(rows: list[Any], size: int) -> list[tuple[list[Any], set[Any], int]]:
        return [
            (c.rows, c.keys, len(c.rejected)) async for c in _chunks(rows, size, "upsert", "sku")
        ]

    plain = [{"sku": f"s{i}", "qty": i} for i in range(5)]
    assert await cut(plain, 10) == [(plain, {f"s{i}" for i in range(5)}, 0)]
    repeated = [{"sku": "a"}, {"sku": "b"}, {"sku": "a"}, {"sku": "c"}]
    assert await cut(repeated, 10) == [
        (repeated[:2], {"a", "b"}, 0),
        (repeated[2:], {"a", "c"}, 0),
    ]
    # Two rows without the key, then a repeat: the first chunk sends the keyed rows only.
    missing: list[Any] = [{"sku": "a"}, {"qty": 1}, {"qty": 2}, {"sku": "b"}, {"sku": "a"}]
    assert await cut(missing, 10) == [
        ([{"sku": "a"}, {"sku": "b"}], {"a", "b"}, 2),
        ([{"sku": "a"}], {"a"}, 0),
    ]
    unhashable: list[Any] = [{"sku": "a"}, {"sku": ["x"]}, {"sku": "b"}]
    assert await cut(unhashable, 10) == [([{"sku": "a"}, {"sku": "b"}], {"a", "b"}, 1)]


async def test_upsert_key_errors(client: AsyncClient, emu: Emulator) -> None:
    """An unknown table fails before any row is sent; an unknown key column is the API's 400."""
    emu.log.clear()
    with pytest.raises(ResourceNotFoundError):
        await client.tables.upsert_rows("missingTable", [{"sku": "a"}])
    assert not [e for e in emu.log if e.operation_id == "upsertTableRows"]
    result = await client.tables.upsert_rows("productsTable", [{"nope": "a"}], key_column="nope")
    assert "'nope'" in str(result.failed[0].error)
    assert result.total == 1


async def test_values_json_cannot_carry_fail_their_row(client: AsyncClient) -> None:
    """Decimal, set, NaN and objects fail their row (index and column named); dates go as ISO."""
    when = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    rows: list[dict[str, Any]] = [
        {"sku": "ok", "when": when},
        {"sku": "dec", "qty": decimal.Decimal("1.5")},
        {"sku": "set", "keys": {"a"}},
        {"sku": "nan", "qty": float("nan")},
        {"sku": "obj", "keys": object()},
        {"sku": "day", "when": dt.date(2024, 5, 2)},
    ]
    result = await client.tables.insert_rows("productsTable", rows)
    assert result.succeeded_rows == 2
    failures = {f.first_index: str(f.error) for f in result.failed}
    assert sorted(failures) == [1, 2, 3, 4]
    assert "rows[1], column 'qty': a Decimal" in failures[1]
    assert "rows[2], column 'keys': a set" in failures[2]
    assert "rows[3], column 'qty': nan" in failures[3]
    assert "rows[4], column 'keys': object values" in failures[4]
    table = {r["sku"]: r for r in await stored(client, "productsTable")}
    assert table["ok"]["when"] == "2024-05-01T12:30:00.000Z"
    assert table["day"]["when"] == "2024-05-02"


async def test_uuids_go_as_strings_and_plain_batches_are_encoded_once(client: AsyncClient) -> None:
    """A UUID in a row is sent as its string, as in every other body. A batch of plain
    values is encoded once, by its check, into the bytes the request carries; a batch with a
    date is checked row by row, then encoded once the same way."""
    import uuid

    from botpress_async._encoding import JSON_LIBRARY, dumps

    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    plain = [{"sku": "u", "keys": ident, "qty": None}, {"sku": "v", "keys": [ident], "qty": 1.5}]
    chunks = [c async for c in _chunks(plain, 10, "upsert", "sku")]
    assert [c.rows for c in chunks] == [plain]
    if JSON_LIBRARY == "orjson":
        assert dumps({"rows": chunks[0].encoded}) == dumps({"rows": plain})
    dated = [{"sku": "w", "when": dt.date(2024, 5, 2), "keys": ident}]
    if JSON_LIBRARY == "orjson":
        encoded = [c.encoded async for c in _chunks(dated, 10, "insert", None)]
        assert dumps({"rows": encoded[0]}) == dumps({"rows": dated})
    result = await client.tables.upsert_rows("productsTable", [plain[0], *dated])
    assert (result.inserted_count, result.failed) == (2, [])
    table = {r["sku"]: r for r in await stored(client, "productsTable")}
    assert table["u"]["keys"] == table["w"]["keys"] == str(ident)
    assert table["w"]["when"] == "2024-05-02"


async def test_values_the_encoder_refuses_fail_their_row_alone(client: AsyncClient) -> None:
    """A lone surrogate, an integer past 64 bits, nesting deeper than the encoder goes and a
    datetime with no UTC form fail their row, named with its column, in a batch of plain
    dicts and in one with dates alike; the job goes on and the other rows are stored."""
    deep: list[Any] = []
    inner = deep
    for _ in range(1200):  # past orjson's limit and the standard library's recursion limit
        inner.append([])
        inner = inner[0]
    far = dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-2)))
    plain: list[dict[str, Any]] = [
        {"sku": "p0", "keys": "ok"},
        {"sku": "p1", "keys": "bad \ud800"},
        {"sku": "p2", "qty": -(2**70)},
        {"sku": "p3", "keys": deep},
        {"sku": "p4", "qty": 4},
    ]
    from botpress_async._encoding import JSON_LIBRARY

    dated: list[dict[str, Any]] = [
        {"sku": "d0", "when": dt.date(2024, 5, 2)},
        {"sku": "d1", "when": far},
        {"sku": "d2", "keys": "bad \udfff", "when": dt.date(2024, 5, 3)},
    ]
    for upsert in (False, True):
        await client.tables.delete_table_rows(table="productsTable", delete_all_rows=True)
        job = client.tables.upsert_rows if upsert else client.tables.insert_rows
        result = await job("productsTable", [*plain, *dated], chunk_size=4)
        failures = {f.first_index: f.error for f in result.failed}
        # orjson stops at 64 bits; the standard library writes an integer of any size
        big = JSON_LIBRARY == "orjson"
        assert sorted(failures) == ([1, 2, 3, 6, 7] if big else [1, 3, 6, 7])
        assert all(isinstance(e, InvalidRowError) for e in failures.values())
        columns = {i: e.column for i, e in failures.items()}  # type: ignore[attr-defined]
        assert columns == {
            1: "keys",
            3: "keys",
            6: "when",
            7: "keys",
            **({2: "qty"} if big else {}),
        }
        assert "rows[1], column 'keys': cannot be sent as JSON" in str(failures[1])
        assert "surrogates" in str(failures[1])
        assert "no UTC form" in str(failures[6])
        assert all(not f.outcome_unknown for f in result.failed)
        assert result.succeeded_rows == (3 if big else 4)
        stored_skus = sorted(r["sku"] for r in await stored(client, "productsTable"))
        assert stored_skus == ["d0", "p0", "p4"] if big else ["d0", "p0", "p2", "p4"]


async def test_requests_carry_the_bytes_the_checks_encoded(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a row request sends is the chunk's encoding, not a second encode of its rows:
    with the encoders made to add 100 to each quantity, the stored rows say so, for a batch
    of plain dicts and for one with a date alike."""
    from botpress_async import _rows
    from botpress_async._encoding import FRAGMENT_TYPE, dumps, plain_fragment

    if FRAGMENT_TYPE is None:
        pytest.skip("pre-encoded rows need orjson 3.9 or later")

    def shifted(rows: list[dict[str, Any]]) -> object:
        return FRAGMENT_TYPE(dumps([{**r, "qty": r["qty"] + 100} for r in rows]))

    def shifted_if_plain(rows: list[dict[str, Any]]) -> object:
        # the real check decides which path a batch takes; only its bytes are replaced
        return None if plain_fragment(rows) is None else shifted(rows)

    monkeypatch.setattr(_rows, "plain_fragment", shifted_if_plain)
    monkeypatch.setattr(_rows, "encoded_fragment", shifted)
    rows: list[dict[str, Any]] = [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]
    dated = [{"sku": "c", "qty": 3, "when": dt.date(2024, 5, 2)}]
    for job in (client.tables.insert_rows, client.tables.upsert_rows):
        await client.tables.delete_table_rows(table="productsTable", delete_all_rows=True)
        result = await job("productsTable", [*rows, *dated], chunk_size=2)
        assert (result.succeeded_rows, result.failed) == (3, [])
        table = {r["sku"]: r["qty"] for r in await stored(client, "productsTable")}
        assert table == {"a": 101, "b": 102, "c": 103}


async def test_fragments_go_as_their_text_and_uuid_keys_name_the_fix(client: AsyncClient) -> None:
    """An orjson.Fragment in a row is sent as the JSON it holds, in a plain batch and in one
    with a date; a UUID as the key column of an upsert is refused with ``str(value)``."""
    import uuid

    from botpress_async._encoding import FRAGMENT_TYPE

    ident = uuid.UUID(int=7)
    result = await client.tables.upsert_rows("productsTable", [{"sku": ident, "qty": 1}])
    assert result.succeeded_rows == 0
    assert "must hold a string or a number, got UUID; pass str(value)" in str(
        result.failed[0].error
    )
    if FRAGMENT_TYPE is None:
        return
    rows = [
        {"sku": "f", "keys": FRAGMENT_TYPE(b'"k\\u00e9"'), "qty": FRAGMENT_TYPE(b"2.5")},
        {"sku": "g", "keys": FRAGMENT_TYPE(b'"k"'), "when": dt.date(2024, 5, 2)},
    ]
    for dated in (False, True):
        await client.tables.delete_table_rows(table="productsTable", delete_all_rows=True)
        batch = rows if dated else rows[:1]
        assert (await client.tables.insert_rows("productsTable", batch)).failed == []
        table = {r["sku"]: (r["keys"], r.get("qty")) for r in await stored(client, "productsTable")}
        assert table == (
            {"f": ("k\u00e9", 2.5), "g": ("k", None)} if dated else {"f": ("k\u00e9", 2.5)}
        )


async def test_rows_read_back_can_be_upserted(client: AsyncClient) -> None:
    """A Row read from the API is a valid input row: its columns (and id) are sent."""
    await client.tables.insert_rows("productsTable", [{"sku": "r", "qty": 1}])
    found = (await client.tables.find_table_rows(table="productsTable")).rows
    changed = [Row({**row, "qty": 5}) for row in found]
    result = await client.tables.upsert_rows("productsTable", changed)
    assert result.updated_count == 1
    assert [r["qty"] for r in await stored(client, "productsTable")] == [5]


def test_a_page_of_rows_decodes_as_row_by_row() -> None:
    """The array hook of a page of rows gives what decoding each row gives: plain dicts and
    other mappings alike, in order, and the same error for an item that is not an object."""
    import types

    from botpress_async import ResponseDecodeError
    from botpress_async._converter import structure
    from botpress_async.models.tables import FindTableRowsResponse

    page = {
        "rows": [
            {"id": 1, "createdAt": "2026-01-01T00:00:00Z", "sku": "a"},
            types.MappingProxyType({"id": 2, "sku": "b"}),
        ],
        "hasMore": False,
        "offset": 0,
        "limit": 2,
    }
    rows = structure(page, FindTableRowsResponse).rows
    assert [type(r) for r in rows] == [Row, Row]
    assert [(r.id, r["sku"]) for r in rows] == [(1, "a"), (2, "b")]
    assert rows[0].to_dict() == page["rows"][0]
    assert rows[1].to_dict() == {"id": 2, "sku": "b"}

    bad = structure({**page, "rows": [{"id": 3}, "not a row"]}, FindTableRowsResponse)
    with pytest.raises(ResponseDecodeError, match="expected a JSON object") as caught:
        _ = bad.rows
    assert isinstance(caught.value, AttributeError)
