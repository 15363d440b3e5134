"""Bulk row operations of the tables API: split into requests of at most 1000 rows, run them
through the bulk runner, and report what happened to every row."""

from __future__ import annotations

import asyncio
import datetime as _dt
import decimal
import enum
import itertools
import math
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence, Sized
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from ._bulk import BulkError, run_job
from ._bulk_options import BULK_MAX_RETRIES, RequestJobOptions, job_settings
from ._bulk_results import outcome_unknown
from ._encoding import FRAGMENT_TYPE, encoded_fragment, plain_fragment
from ._errors import ArgumentTypeError, ConfigurationError, InvalidRowError, RowsError
from ._progress import both, progress_bar
from ._row import Row, from_wire
from ._types import NotGivenOr, RequestOptions, Timeout

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = [
    "BULK_MAX_RETRIES",
    "MAX_ROWS_PER_REQUEST",
    "RowsError",
    "RowsFailure",
    "RowsMessages",
    "RowsResult",
    "run_rows_job",
]

#: The API's limit on rows in one create, upsert or delete request.
MAX_ROWS_PER_REQUEST: Final = 1000

_I = TypeVar("_I")


@attrs.frozen(kw_only=True)
class RowsFailure(Generic[_I]):
    """A request of a bulk row job that failed, with the rows (or ids) it carried.

    Attributes:
        rows: the rows (or row ids, for deletes) of the failed request.
        first_index: the position of its first row in the input.
        error: the exception the request raised.
        outcome_unknown: true when the request may have been carried out (a reset after
            sending, a timeout, a 5xx): for inserts, check before sending these rows again.
    """

    rows: list[_I]
    first_index: int
    error: BaseException
    outcome_unknown: bool


@attrs.frozen(kw_only=True)
class RowsMessages(Generic[_I]):
    """Errors or warnings the API reported for one request it accepted.

    Attributes:
        rows: the rows of that request.
        first_index: the position of its first row in the input.
        errors: the API's error messages (some rows were not written).
        warnings: the API's warnings.
    """

    rows: list[_I]
    first_index: int
    errors: list[str]
    warnings: list[str]


@attrs.define(kw_only=True)
class RowsResult(Generic[_I]):
    """What a bulk row job did; every input row is counted once.

    Attributes:
        inserted: the rows the API created, as it returned them (only with ``keep_rows=True``:
            by default a job keeps counts, not rows, so memory stays flat for any input).
        updated: the rows the API updated (upserts), as it returned them (``keep_rows=True``).
        inserted_count: how many rows the API reported created.
        updated_count: how many rows the API reported updated.
        deleted_count: how many rows the API reported deleted.
        succeeded_rows: input rows whose request succeeded.
        failed: requests that failed, with their rows, and rows refused before sending (no
            key for an upsert, a value JSON cannot carry: `InvalidRowError`, one row each).
        messages: requests the API accepted but answered with errors or warnings.
        not_run: input rows never sent (after a fail-fast stop or a cancel).
        cancelled: whether the job stopped before every row was sent.
        elapsed: the job's duration in seconds.
        throttled: how many 429 or 503 answers the job received.
        stop_reason: why the job stopped early on its own (the API could not be reached by
            a run of requests in a row), or ``None``.
    """

    inserted: list[Row] = attrs.Factory(list)
    updated: list[Row] = attrs.Factory(list)
    inserted_count: int = 0
    updated_count: int = 0
    deleted_count: int = 0
    succeeded_rows: int = 0
    failed: list[RowsFailure[_I]] = attrs.Factory(list)
    messages: list[RowsMessages[_I]] = attrs.Factory(list)
    not_run: list[_I] = attrs.Factory(list)
    cancelled: bool = False
    elapsed: float = 0.0
    throttled: int = 0
    stop_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when every row was sent, every request succeeded and no API error was reported."""
        return (
            not self.failed
            and not self.not_run
            and not self.cancelled
            and not any(m.errors for m in self.messages)
        )

    @property
    def failed_rows(self) -> list[_I]:
        """The rows of every failed request, in input order."""
        return [row for failure in self.failed for row in failure.rows]

    @property
    def unknown_rows(self) -> list[_I]:
        """The rows whose request may or may not have been carried out."""
        return [row for f in self.failed if f.outcome_unknown for row in f.rows]

    @property
    def total(self) -> int:
        """Input rows accounted for: succeeded, failed and never sent."""
        return self.succeeded_rows + sum(len(f.rows) for f in self.failed) + len(self.not_run)

    def raise_for_failures(self) -> None:
        """Raise `RowsError` (carrying this result) unless `ok`."""
        if not self.ok:
            raise RowsError(self)

    def __repr__(self) -> str:
        return (
            f"<RowsResult succeeded_rows={self.succeeded_rows} inserted={self.inserted_count} "
            f"updated={self.updated_count} deleted={self.deleted_count} "
            f"failed_rows={sum(len(f.rows) for f in self.failed)} not_run={len(self.not_run)}>"
        )


@attrs.define
class _Chunk(Generic[_I]):
    first_index: int
    rows: list[_I]
    # Why the chunk cannot be sent (a bad row in it), found while it was built.
    invalid: str | None = None
    # Rows refused one by one (no key, a value JSON cannot carry): never sent, reported failed.
    rejected: list[RowsFailure[_I]] = attrs.Factory(list)
    # Upserts: the chunk's key values, so that two requests never carry the same key at once.
    keys: set[Any] = attrs.Factory(set)
    # The rows already encoded (an orjson fragment), when the check of the batch encoded
    # them; else None, and the request encodes `rows`.
    encoded: Any = None


# Types whose values JSON carries as they are; checked by identity first, which is the fast path.
_PLAIN: Final = frozenset({str, int, bool, type(None)})


def _json_problem(value: Any) -> str | None:
    """Why a column value cannot be sent as JSON, or None; datetimes and dates are sent as ISO."""
    kind = type(value)
    if kind in _PLAIN:
        return None
    if kind is FRAGMENT_TYPE:  # JSON the caller encoded, sent as the text it holds
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} is not a JSON number; use None"
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str):
                return f"object keys must be strings, got {type(key).__name__}"
            problem = _json_problem(inner)
            if problem is not None:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for inner in value:
            problem = _json_problem(inner)
            if problem is not None:
                return problem
        return None
    if isinstance(value, (str, int, _dt.date, enum.Enum, uuid.UUID)):
        # str/int subclasses; dates and datetimes go out as ISO 8601 strings, a UUID as its
        # string
        return None
    if isinstance(value, (set, frozenset)):
        return "a set has no order and no JSON form; pass a list"
    if isinstance(value, decimal.Decimal):
        return "a Decimal has no exact JSON form; pass float(value) or str(value)"
    return f"{type(value).__name__} values have no JSON form; convert it to str, a number or a list"


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object sent for a row given as a `Row` or another mapping."""
    if isinstance(row, Row):
        columns: dict[str, Any] = row.columns
        wire_id = row._wire.get("id")
        return columns if wire_id is None else {"id": wire_id, **columns}
    return dict(row)


def _row_rejection(index: int, row: Mapping[str, Any], key: str | None) -> RowsFailure[Any] | None:
    """The failure of a row that must not be sent, or None when it can be."""
    problem: InvalidRowError | None = None
    if key is not None:
        value = row.get(key)
        if value is None:
            problem = InvalidRowError(
                f"rows[{index}] has no value for the key column {key!r}: an upsert without a key "
                f"would insert a new row on every run, so it was not sent",
                index=index,
                column=key,
            )
        elif key == "id" and (isinstance(value, bool) or not isinstance(value, int)):
            problem = InvalidRowError(
                f"rows[{index}]: the row id must be an integer, got {value!r:.50}",
                index=index,
                column=key,
            )
        elif not isinstance(value, (str, int, float)):
            # A UUID key is refused, not sent as its string: the check that no two rows of a
            # request share a key compares the Python values, and a UUID and its string differ.
            fix = "; pass str(value)" if isinstance(value, uuid.UUID) else ""
            problem = InvalidRowError(
                f"rows[{index}]: the key column {key!r} must hold a string or a number, "
                f"got {type(value).__name__}{fix}",
                index=index,
                column=key,
            )
    if problem is None:
        for column, value in row.items():
            if type(value) in _PLAIN:
                continue
            try:
                reason = _json_problem(value)
            except RecursionError:
                reason = "it nests lists or objects too deep to be sent as JSON"
            if reason is not None:
                problem = InvalidRowError(
                    f"rows[{index}], column {column!r}: {reason}; the row was not sent",
                    index=index,
                    column=column,
                )
                break
    if problem is None:
        return None
    return RowsFailure(rows=[row], first_index=index, error=problem, outcome_unknown=False)


def _not_a_row(index: int, item: Any) -> str:
    return f"rows[{index}] must be a mapping of column name to value, got {type(item).__name__}"


def _not_an_id(index: int, item: Any) -> str:
    return f"ids[{index}] must be an integer row id, got {item!r:.50}"


def _chunk_of(
    first_index: int,
    batch: list[Any],
    kind: str,
    key: str | None,
    keys: set[Any] | None = None,
) -> _Chunk[Any]:
    """Check a batch of input items and make the request chunk that carries the good ones.

    ``keys``, when given, is the set of the batch's key values, one per row and all different
    (as `_split_at_repeated_key` found them), so that it is not built a second time.
    """
    chunk: _Chunk[Any] = _Chunk(first_index, batch)
    if kind == "delete":
        for offset, item in enumerate(batch):
            if type(item) is not int and (isinstance(item, bool) or not isinstance(item, int)):
                chunk.invalid = _not_an_id(first_index + offset, item)
                break
        return chunk
    if _plain_dicts(batch, key, chunk, keys):
        if chunk.encoded is None:
            _encode_rows(chunk, first_index, range(len(batch)), key)
        return chunk
    rows: list[Any] = batch
    for offset, item in enumerate(batch):
        if type(item) is dict:
            continue
        if not isinstance(item, Mapping):
            chunk.invalid = _not_a_row(first_index + offset, item)
            return chunk
        if rows is batch:
            rows = list(batch)
        rows[offset] = _plain_row(item)
    good: list[Any] = []
    offsets: list[int] = []
    for offset, row in enumerate(rows):
        rejection = _row_rejection(first_index + offset, row, key)
        if rejection is not None:
            chunk.rejected.append(rejection)
            continue
        good.append(row)
        offsets.append(offset)
        if key is not None:
            chunk.keys.add(row[key])
    chunk.rows = good
    if good:
        _encode_rows(chunk, first_index, offsets, key)
    return chunk


# What encoding rows that passed the checks may still raise: a string with a lone surrogate,
# an integer past 64 bits (orjson), nesting deeper than the encoder goes, a datetime with no
# UTC form (ConfigurationError, a ValueError).
_ENCODE_ERRORS: Final = (TypeError, ValueError, RecursionError)


def _encode_rows(
    chunk: _Chunk[Any], first_index: int, offsets: Sequence[int], key: str | None
) -> None:
    """Encode the chunk's rows once, for its request; a row that cannot be is refused alone.

    Without this, such a row would fail the whole request as it was sent, and the job with
    it. ``offsets`` are the rows' positions in the chunk's batch, for the failures' indexes.
    """
    try:
        chunk.encoded = encoded_fragment(chunk.rows)
        return
    except _ENCODE_ERRORS:
        pass
    good: list[Any] = []
    for offset, row in zip(offsets, chunk.rows, strict=True):
        problem = _encoding_problem(first_index + offset, row)
        if problem is None:
            good.append(row)
        else:
            chunk.rejected.append(
                RowsFailure(
                    rows=[row], first_index=problem.index, error=problem, outcome_unknown=False
                )
            )
    chunk.rows = good
    chunk.rejected.sort(key=lambda failure: failure.first_index)
    if key is not None:
        chunk.keys = {row[key] for row in good}
    # Each row encodes on its own as an item of a list, so the list of them encodes.
    chunk.encoded = encoded_fragment(good) if good else None


def _encoding_problem(index: int, row: dict[str, Any]) -> InvalidRowError | None:
    """Why the encoder refuses ``row`` as an item of a list, naming its column; or None."""
    try:
        encoded_fragment([row])
    except _ENCODE_ERRORS as exc:
        # orjson reports an error of `default` (a datetime with no UTC form) as its cause
        cause = exc.__cause__ or exc
        reason = str(cause) or type(cause).__name__
    else:
        return None
    column = None
    for name, value in row.items():
        try:
            encoded_fragment([{name: value}])
        except _ENCODE_ERRORS:
            column = name
            break
    where = f"rows[{index}]" if column is None else f"rows[{index}], column {column!r}"
    return InvalidRowError(
        f"{where}: cannot be sent as JSON ({reason}); the row was not sent",
        index=index,
        column=column,
    )


# Key types an upsert sends without a closer look (bool, a subclass of int, takes the slow path).
_PLAIN_KEYS: Final = frozenset({str, int, float})


def _plain_dicts(
    batch: list[Any], key: str | None, chunk: _Chunk[Any], keys: set[Any] | None = None
) -> bool:
    """Accept a batch of plain dicts of plain values whole, without a Python step per row.

    The usual input (dicts of strings, numbers, booleans and nulls) is checked with C-level
    passes over the batch. With orjson, one strict encode is the check and gives the
    request's bytes (`plain_fragment`), so the rows are not looked at again; without it, the
    values' types are gathered, and the sum of the floats, which is finite only when every
    float is. When this returns False, nothing was changed and the batch goes through the
    row-by-row checks, which name the row and column of any problem.
    """
    if set(map(type, batch)) != {dict}:
        return False
    encoded = plain_fragment(batch)
    if encoded is None and not _plain_values(batch):
        return False
    if key is not None:
        if keys is None:
            try:
                keys = set(map(dict.get, batch, itertools.repeat(key)))
            except TypeError:  # an unhashable key value: the row-by-row checks name it
                return False
            if len(keys) != len(batch):  # rows without the key: the checks refuse them
                return False
        # The values are all different, so the set holds every row's key and its type.
        key_kinds = set(map(type, keys))
        if not (key_kinds <= {int} if key == "id" else key_kinds <= _PLAIN_KEYS):
            return False
        chunk.keys = keys
    chunk.encoded = encoded
    return True


def _plain_values(batch: list[dict[str, Any]]) -> bool:
    """Whether every value of the batch's dicts is a string, a number, a boolean or null."""
    values = list(itertools.chain.from_iterable(map(dict.values, batch)))
    kinds = set(map(type, values))
    if float in kinds:
        floats = [v for v in values if v.__class__ is float]
        # One pass: a NaN or an infinity makes the sum non-finite (so does an overflow of
        # huge finite values, which then just takes the slow path).
        if not math.isfinite(sum(floats)):
            return False
        kinds.discard(float)
    return kinds <= _PLAIN


async def _chunks(
    items: Iterable[Any] | AsyncIterable[Any], size: int, kind: str, key: str | None
) -> AsyncIterator[_Chunk[Any]]:
    """Cut the input into request chunks; a plain iterable is sliced without a per-row await.

    For upserts a chunk ends early at a key it already holds: the API is not asked to write
    the same key twice in one request.
    """
    index = 0
    if not isinstance(items, AsyncIterable):
        iterator = iter(items)
        pending: list[Any] = []
        while True:
            batch = pending + list(itertools.islice(iterator, size - len(pending)))
            if not batch:
                return
            batch, pending, keys = _split_at_repeated_key(batch, key)
            yield _chunk_of(index, batch, kind, key, keys)
            index += len(batch)
    batch = []
    async for item in items:
        batch.append(item)
        if len(batch) == size:
            batch, rest, keys = _split_at_repeated_key(batch, key)
            yield _chunk_of(index, batch, kind, key, keys)
            index += len(batch)
            batch = rest
    while batch:
        batch, rest, keys = _split_at_repeated_key(batch, key)
        yield _chunk_of(index, batch, kind, key, keys)
        index += len(batch)
        batch = rest


def _split_at_repeated_key(
    batch: list[Any], key: str | None
) -> tuple[list[Any], list[Any], set[Any] | None]:
    """Split a batch before the first row whose key an earlier row of the batch holds.

    Also returns the batch's set of keys when the usual case found it whole, else None.
    Without a key column (not an upsert), the batch is whole and has no keys.
    """
    if key is None:
        return batch, [], None
    try:
        # The usual case, in C: dicts whose keys are all there and all different.
        keys = set(map(dict.get, batch, itertools.repeat(key)))
        if len(keys) == len(batch) and None not in keys:
            return batch, [], keys
    except TypeError:  # a row that is not a dict, or an unhashable key value
        pass
    seen: set[Any] = set()
    for position, row in enumerate(batch):
        try:
            value = row.get(key) if isinstance(row, Mapping) else None
            if value is None:
                continue
            if value in seen:
                return batch[:position], batch[position:], None
            seen.add(value)
        except TypeError:  # an unhashable key value: rejected when the chunk is checked
            continue
    return batch, [], None


def _unread(field: str, value: Any, wanted: str) -> str:
    return (
        f"the answer's {field!r} is not {wanted} ({type(value).__name__} {value!r:.60}); "
        "the rows were written but this part of the answer is not counted"
    )


def _listed(
    response: Mapping[str, Any], field: str, unread: list[str], of: type | None
) -> list[Any]:
    """The answer's list ``field`` whose items are all of type ``of`` (None: not looked at),
    or [] and a note in ``unread``."""
    value = response.get(field)
    if not value:
        return []
    if value.__class__ is list and (of is None or all(item.__class__ is of for item in value)):
        listed: list[Any] = value
        return listed
    unread.append(_unread(field, value, "a list" if of is None else "a list of rows"))
    return []


class _KeyGuard:
    """Keeps two upsert requests holding the same key from being in flight at the same time.

    Two concurrent requests could otherwise both find no row for a key and both insert one.
    Only the keys of requests in flight are held, so memory stays bounded. Taking and giving
    back a request's keys are set operations in C, three passes over its keys in all: a map
    of key to owner given back key by key in Python cost about 220 ns a key, this 155.
    """

    def __init__(self) -> None:
        self._held: set[Any] = set()
        # The requests in flight (at most the job's concurrency): their keys, and what a
        # request waiting for one of those keys waits on.
        self._flying: list[tuple[set[Any], asyncio.Future[None]]] = []

    async def enter(self, keys: set[Any]) -> asyncio.Future[None]:
        held = self._held
        while not held.isdisjoint(keys):
            await asyncio.wait(
                {done for theirs, done in self._flying if not theirs.isdisjoint(keys)}
            )
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        held |= keys
        self._flying.append((keys, mine))
        return mine

    def leave(self, keys: set[Any], mine: asyncio.Future[None]) -> None:
        # Every key is still this request's: `enter` takes keys only when none is held.
        self._held -= keys
        self._flying = [entry for entry in self._flying if entry[1] is not mine]
        mine.set_result(None)


async def _chained(
    first: list[_Chunk[Any]], rest: AsyncIterator[_Chunk[Any]]
) -> AsyncIterator[_Chunk[Any]]:
    for chunk in first:
        yield chunk
    async for chunk in rest:
        yield chunk


async def table_schema(
    client: BaseClient, table: str
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The table's record and its columns (name to column schema), from one ``getTable``.

    An unknown table raises the API's `ResourceNotFoundError` here, before a job starts.
    """
    data = await client._request(
        "GET",
        "/v1/tables/{table}",
        path_params={"table": table},
        api="tables",
        idempotent=True,
        requires=("x-bot-id",),
    )
    record = data.get("table") if isinstance(data, Mapping) else None
    record = record if isinstance(record, Mapping) else {}
    schema = record.get("schema")
    columns = schema.get("properties") if isinstance(schema, Mapping) else None
    return record, columns if isinstance(columns, Mapping) else {}


async def resolve_key_column(client: BaseClient, table: str, key_column: str | None) -> str:
    """The key column of an upsert job: the one given, else the table's own, else ``"id"``.

    One ``getTable`` per job: it also checks that the table exists and that a given key
    column is one of its columns.
    """
    record, columns = await table_schema(client, table)
    if key_column is None:
        own = record.get("keyColumn")
        return own if isinstance(own, str) and own else "id"
    if key_column != "id" and key_column not in columns:
        known = ", ".join(sorted(map(str, columns))) or "none"
        raise ConfigurationError(
            f"key_column {key_column!r} is not a column of table {table!r} "
            f"(its columns: {known}); nothing was sent"
        )
    return key_column


async def run_rows_job(
    client: BaseClient,
    *,
    kind: str,
    table: str,
    items: Iterable[Any] | AsyncIterable[Any],
    body: Mapping[str, Any],
    chunk_size: int,
    keep_rows: bool,
    timeout: NotGivenOr[Timeout | float | None],
    options: Mapping[str, Any],
    key_column: str | None = None,
) -> RowsResult[Any]:
    """Run one bulk row job: ``kind`` is ``"insert"``, ``"upsert"`` or ``"delete"``.

    ``options`` are the job's `RequestJobOptions` as given. For upserts, ``key_column`` is
    the column to match rows by (None: the table's own).
    """
    settings = job_settings(options, RequestJobOptions, caller=f"{kind}_rows", concurrency=8)
    fail_fast = settings.fail_fast
    if not table:
        raise ConfigurationError("table must be the name or id of a table, a non-empty string")
    what = "ids" if kind == "delete" else "rows"
    if isinstance(items, (str, bytes, Mapping)):
        raise ConfigurationError(
            f"{what} must be an iterable of {'row ids' if kind == 'delete' else 'row mappings'}, "
            f"not a single {type(items).__name__}"
        )
    if not isinstance(items, (Iterable, AsyncIterable)):
        raise ArgumentTypeError(
            f"{what} must be an iterable of "
            f"{'row ids' if kind == 'delete' else 'row mappings'}, not {type(items).__name__}",
            argument=what,
        )
    size_given: object = chunk_size
    if (
        isinstance(size_given, bool)
        or not isinstance(size_given, int)
        or not 1 <= size_given <= MAX_ROWS_PER_REQUEST
    ):
        raise ConfigurationError(
            f"chunk_size must be between 1 and {MAX_ROWS_PER_REQUEST} (the API's limit), "
            f"got {chunk_size!r}"
        )

    key: str | None = None
    if kind == "delete":
        path, field, idempotent = "/v1/tables/{table}/rows/delete", "ids", True
    else:
        path = "/v1/tables/{table}/rows" + ("/upsert" if kind == "upsert" else "")
        field, idempotent = "rows", kind == "upsert"
        if kind == "upsert":
            # A key column given is sent as it is (the API checks it); only the default
            # costs one getTable, to find the table's own key column.
            key = key_column or await resolve_key_column(client, table, None)
            body = {**body, "keyColumn": key}

    request_options = RequestOptions(timeout=timeout, max_retries=settings.max_retries)
    chunks = _chunks(items, chunk_size, kind, key)
    # The first chunk is built before anything is sent, so bad input in it fails at once.
    first: list[_Chunk[Any]] = []
    async for chunk in chunks:
        if chunk.invalid is not None:
            raise ConfigurationError(chunk.invalid + "; nothing was sent")
        first.append(chunk)
        break

    result: RowsResult[Any] = RowsResult()
    # Rows whose request has ended, either way: a bar counts rows, not requests.
    settled = 0

    async def source() -> AsyncIterator[_Chunk[Any]]:
        nonlocal settled
        async for chunk in _chained(first, chunks):
            if chunk.rejected:
                # Refused rows are accounted for at once; the rest of their chunk goes out.
                result.failed.extend(chunk.rejected)
                settled += len(chunk.rejected)
            if chunk.rows or chunk.invalid is not None:
                yield chunk

    def record(chunk: _Chunk[Any], response: Any) -> None:
        # Counted as each answer arrives, so neither rows nor answers pile up in memory.
        # The request succeeded: an answer of the wrong shape must not fail its rows (an
        # insert retried for it would be written twice), so what cannot be read is left
        # uncounted and said in a warning of the request's messages.
        result.succeeded_rows += len(chunk.rows)
        if not isinstance(response, Mapping):
            return
        unread: list[str] = []
        if kind == "delete":
            deleted = response.get("deletedRows") or 0
            if deleted.__class__ is int:
                result.deleted_count += deleted
            else:
                unread.append(_unread("deletedRows", deleted, "a count"))
        else:
            # Rows are looked at one by one only when they are kept: a count needs the length.
            of = dict if keep_rows else None
            created = _listed(response, "rows" if kind == "insert" else "inserted", unread, of)
            updated = _listed(response, "updated", unread, of)
            result.inserted_count += len(created)
            result.updated_count += len(updated)
            if keep_rows:
                result.inserted.extend(map(from_wire, created))
                result.updated.extend(map(from_wire, updated))
        # Messages are kept as the server wrote them, whatever their items. Errors that
        # cannot be read still mean some rows may not have been written: they stay errors.
        unreadable: list[str] = []
        errors = _listed(response, "errors", unreadable, None) + unreadable
        warnings = _listed(response, "warnings", unread, None) + unread
        if errors or warnings:
            result.messages.append(
                RowsMessages(
                    rows=chunk.rows,
                    first_index=chunk.first_index,
                    errors=errors,
                    warnings=warnings,
                )
            )

    guard = _KeyGuard() if key is not None else None

    async def send(chunk: _Chunk[Any]) -> None:
        nonlocal settled
        if chunk.invalid is not None:
            # Found after the job started: this request alone is refused, unsent.
            settled += len(chunk.rows)
            raise ConfigurationError(chunk.invalid + "; this request was not sent")
        held = await guard.enter(chunk.keys) if guard is not None else None
        try:
            response = await client._request(
                "POST",
                path,
                path_params={"table": table},
                json={field: chunk.rows if chunk.encoded is None else chunk.encoded, **body},
                api="tables",
                idempotent=idempotent,
                requires=("x-bot-id",),
                options=request_options,
            )
        finally:
            settled += len(chunk.rows)
            if held is not None and guard is not None:
                guard.leave(chunk.keys, held)
        record(chunk, response)

    bar = None
    if settings.progress_bar:
        total = len(items) if isinstance(items, Sized) else None
        bar = progress_bar(total, unit="row", count=lambda _: settled)
    # The runner reports requests; the bar counts rows, so it is drawn here.
    job = attrs.evolve(
        settings,
        on_progress=both(settings.on_progress, bar),
        progress_bar=False,
        keep_results=False,
    )
    try:
        outcome = await run_job(send, source(), job)
    except BulkError as exc:
        outcome = exc.result
    result.cancelled = outcome.cancelled
    result.elapsed = outcome.elapsed
    result.throttled = outcome.throttled
    result.stop_reason = outcome.stop_reason
    for failure in outcome.failed:
        result.failed.append(
            RowsFailure(
                rows=failure.item.rows,
                first_index=failure.item.first_index,
                error=failure.error,
                outcome_unknown=outcome_unknown(failure.error),
            )
        )
    result.failed.sort(key=lambda f: f.first_index)
    result.messages.sort(key=lambda m: m.first_index)
    for chunk in outcome.not_run:
        result.not_run.extend(chunk.rows)
    if fail_fast and not result.ok:
        raise RowsError(result)
    return result
