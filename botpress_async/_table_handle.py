"""`AsyncTableHandle`: one table, typed by a ``TypedDict`` of its columns.

``client.tables.table("ordersTable", Order)`` costs nothing at run time: the handle only
remembers the table's name and hands every call to `TablesAPI`. The ``TypedDict`` is for the
type checker, which then checks the rows given to `insert` and `upsert` and the columns read
through ``row.columns``.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Protocol, TypedDict, cast

from typing_extensions import NotRequired, Unpack

from ._bulk_options import ProgressOptions, RequestJobOptions
from ._errors import ArgumentTypeError, ConfigurationError
from ._pagination import AsyncPager
from ._row import C, Row
from ._rows import MAX_ROWS_PER_REQUEST, RowsResult
from ._types import NOT_GIVEN, NotGivenOr, Timeout

if TYPE_CHECKING:
    from ._table_jobs import ImportResult
    from .models.tables import FindTableRowsResponse, GetTableRowResponse

__all__ = [
    "AsyncTableHandle",
    "RowTables",
    "DeleteJobOptions",
    "ExportOptions",
    "ImportOptions",
    "RowJobOptions",
]


class DeleteJobOptions(RequestJobOptions):
    """The options of a bulk delete job (see `TablesAPI.delete_rows` for their meaning)."""

    chunk_size: NotRequired[int]
    timeout: NotRequired[NotGivenOr[Timeout | float | None]]


class RowJobOptions(DeleteJobOptions):
    """The options of a bulk insert or upsert job (see `TablesAPI.insert_rows`)."""

    wait_computed: NotRequired[bool]
    keep_rows: NotRequired[bool]


class ImportOptions(ProgressOptions):
    """The options of `TablesAPI.import_rows`."""

    format: NotRequired[Literal["json", "csv"]]
    compress: NotRequired[bool]
    shard_rows: NotRequired[int]
    poll_interval: NotRequired[float]
    job_timeout: NotRequired[float]
    keep_files: NotRequired[bool]


class ExportOptions(TypedDict):
    """The options of `TablesAPI.export_rows`."""

    format: NotRequired[Literal["json", "csv"]]
    compress: NotRequired[bool]
    poll_interval: NotRequired[float]
    job_timeout: NotRequired[float]
    keep_file: NotRequired[bool]


_EXPORT_OPTIONS: Final = frozenset(ExportOptions.__annotations__)


def _check_known(method: str, given: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = given.keys() - allowed
    if unknown:
        # Raised here, not by the TablesAPI method called next, so that the message names
        # the handle's own arguments; a TypeError too, as a misspelt keyword argument raises.
        raise ArgumentTypeError(
            f"{method}() got unknown argument(s) {', '.join(sorted(map(repr, unknown)))}; "
            f"it takes {', '.join(sorted(allowed))}",
            argument=min(unknown),
        )


class RowQuery(TypedDict):
    """Which rows `AsyncTableHandle.find` walks, and how (see `TablesAPI.find_rows`).

    Attributes:
        filter: which rows, as a filter object, e.g. ``{"qty": {"$gt": 5}}``.
        search: text to rank rows by (searchable columns).
        order_by: the column to sort by (the row id by default).
        order_direction: ``"asc"`` or ``"desc"``.
        select: the only columns to return.
        page_size: rows per request, 1 to 1000 (the most, by default).
    """

    filter: NotRequired[Mapping[str, Any] | None]
    search: NotRequired[str | None]
    order_by: NotRequired[str | None]
    order_direction: NotRequired[Literal["asc", "desc"] | None]
    select: NotRequired[Sequence[str] | None]
    page_size: NotRequired[int]


_ROW_QUERY: Final = frozenset(RowQuery.__annotations__)


class RowTables(Protocol):
    """What a handle needs of the tables API: `TablesAPI` is one.

    A protocol rather than `TablesAPI` itself, because the tables API makes handles: naming
    it here would be an import cycle. Each member is the API's method; the handle's own
    signatures carry the argument types.
    """

    @property
    def find_rows(self) -> Callable[..., AsyncPager[Row, FindTableRowsResponse]]: ...
    @property
    def get_table_row(self) -> Callable[..., Awaitable[GetTableRowResponse]]: ...
    @property
    def insert_rows(self) -> Callable[..., Awaitable[RowsResult[Any]]]: ...
    @property
    def upsert_rows(self) -> Callable[..., Awaitable[RowsResult[Any]]]: ...
    @property
    def update_table_rows(self) -> Callable[..., Awaitable[Any]]: ...
    @property
    def delete_rows(self) -> Callable[..., Awaitable[RowsResult[Any]]]: ...
    @property
    def import_rows(self) -> Callable[..., Awaitable[ImportResult]]: ...
    @property
    def export_rows(self) -> Callable[..., AsyncIterator[Row]]: ...


class AsyncTableHandle(Generic[C]):
    """One table of the bot, with its rows typed by ``C`` (a ``TypedDict``, or a plain dict).

    Args:
        tables: the client's tables API.
        name: the table's name or id.
    """

    __slots__ = ("_name", "_tables")

    def __init__(self, tables: RowTables, name: str) -> None:
        given: Any = name
        if not isinstance(given, str) or not given:
            raise ConfigurationError("table must be the name or id of a table, a non-empty string")
        self._tables = tables
        self._name = name

    def __repr__(self) -> str:
        return f"<AsyncTableHandle {self._name!r}>"

    @property
    def name(self) -> str:
        """The table's name or id, as given."""
        return self._name

    def find(self, **query: Unpack[RowQuery]) -> AsyncPager[Row[C], FindTableRowsResponse]:
        """Every matching row, page by page (see `TablesAPI.find_rows`).

        Args:
            query: which rows and how: ``filter``, ``search``, ``order_by``,
                ``order_direction``, ``select``, ``page_size`` (see `RowQuery`).
        """
        _check_known("find", query, _ROW_QUERY)
        pager = self._tables.find_rows(self._name, **query)
        return cast("AsyncPager[Row[C], FindTableRowsResponse]", pager)

    async def get(self, id: int) -> Row[C]:
        """The row with this id.

        Args:
            id: the row id.
        """
        answer = await self._tables.get_table_row(table=self._name, id=id)
        return cast("Row[C]", answer.row)

    async def insert(
        self, rows: Iterable[C] | AsyncIterable[C], **options: Unpack[RowJobOptions]
    ) -> RowsResult[C]:
        """Insert any number of rows (see `TablesAPI.insert_rows` for the options).

        Args:
            rows: the rows (an async iterable too, on the async handle).
            options: the bulk job's options.
        """
        result = await self._tables.insert_rows(self._name, rows, **options)
        return cast("RowsResult[C]", result)

    async def upsert(
        self,
        rows: Iterable[C] | AsyncIterable[C],
        *,
        key_column: str | None = None,
        **options: Unpack[RowJobOptions],
    ) -> RowsResult[C]:
        """Insert or update rows by the table's key column (see `TablesAPI.upsert_rows`).

        Args:
            rows: the rows, each holding the key column.
            key_column: the column to match rows by; the table's own by default.
            options: the bulk job's options.
        """
        result = await self._tables.upsert_rows(self._name, rows, key_column=key_column, **options)
        return cast("RowsResult[C]", result)

    async def update(
        self, rows: Iterable[Mapping[str, Any]], *, wait_computed: NotGivenOr[bool] = NOT_GIVEN
    ) -> list[Row[C]]:
        """Change existing rows by id, 1000 per request, one request after the other.

        Args:
            rows: each a mapping holding ``id`` and the columns to change (or a `Row`).
            wait_computed: wait for computed columns before each request answers.
        """
        out: list[Row[C]] = []
        batch: list[Mapping[str, Any]] = []

        async def flush() -> None:
            answer = await self._tables.update_table_rows(
                table=self._name, rows=batch, wait_computed=wait_computed
            )
            out.extend(cast("list[Row[C]]", answer.rows))
            batch.clear()

        given: object = rows
        if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
            raise ArgumentTypeError(
                f"update() takes an iterable of rows (mappings holding 'id'), not a "
                f"{type(given).__name__}",
                argument="rows",
            )
        for index, row in enumerate(rows):
            if isinstance(row, Row):
                row = {"id": row.id, **row.columns}
            elif not isinstance(row, Mapping):
                raise ConfigurationError(
                    f"rows[{index}] must be a mapping holding 'id' and columns, "
                    f"got {type(row).__name__}"
                )
            batch.append(row)
            if len(batch) == MAX_ROWS_PER_REQUEST:
                await flush()
        if batch:
            await flush()
        return out

    async def delete(
        self, ids: Iterable[int] | AsyncIterable[int], **options: Unpack[DeleteJobOptions]
    ) -> RowsResult[int]:
        """Delete rows by id (see `TablesAPI.delete_rows`).

        Args:
            ids: the row ids.
            options: the bulk job's options.
        """
        return await self._tables.delete_rows(self._name, ids, **options)

    async def import_rows(
        self, rows: Iterable[C] | AsyncIterable[C], **options: Unpack[ImportOptions]
    ) -> ImportResult:
        """Import rows through server-side import jobs (see `TablesAPI.import_rows`).

        Args:
            rows: the rows (an async iterable too, on the async handle).
            options: the import's options.
        """
        return await self._tables.import_rows(self._name, rows, **options)

    async def export_rows(self, **options: Unpack[ExportOptions]) -> AsyncIterator[Row[C]]:
        """Every row, through a server-side export job (see `TablesAPI.export_rows`).

        Args:
            options: the export's options.
        """
        _check_known("export_rows", options, _EXPORT_OPTIONS)
        async for row in self._tables.export_rows(self._name, **options):
            yield cast("Row[C]", row)
