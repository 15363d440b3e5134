"""`TableHandle`: the blocking twin of `botpress_async.AsyncTableHandle`."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal

from typing_extensions import Unpack

from botpress_async._row import C, Row
from botpress_async._rows import MAX_ROWS_PER_REQUEST, RowsResult
from botpress_async._table_handle import (
    AsyncTableHandle,
    DeleteJobOptions,
    ExportOptions,
    ImportOptions,
    RowJobOptions,
)
from botpress_async._types import NOT_GIVEN, NotGivenOr

from . import _loop
from ._pager import Pager

if TYPE_CHECKING:
    from botpress_async._table_jobs import ImportResult
    from botpress_async.models.tables import FindTableRowsResponse

__all__ = ["TableHandle"]


class TableHandle(Generic[C]):
    """One table of the bot, rows typed by ``C``; every method blocks until it is done.

    Made by ``client.tables.table("ordersTable", Order)`` on a blocking `Client`.

    Args:
        handle: the async handle it drives.
    """

    __slots__ = ("_async",)

    def __init__(self, handle: AsyncTableHandle[C]) -> None:
        self._async = handle

    def __repr__(self) -> str:
        return f"<TableHandle {self._async.name!r}>"

    @property
    def name(self) -> str:
        """The table's name or id, as given."""
        return self._async.name

    def find(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        search: str | None = None,
        order_by: str | None = None,
        order_direction: Literal["asc", "desc"] | None = None,
        select: Sequence[str] | None = None,
        page_size: int = MAX_ROWS_PER_REQUEST,
    ) -> Pager[Row[C], FindTableRowsResponse]:
        """Every matching row, page by page, as a blocking iterator.

        Args:
            filter: which rows, as a filter object.
            search: text to rank rows by.
            order_by: the column to sort by.
            order_direction: ``"asc"`` or ``"desc"``.
            select: the only columns to return.
            page_size: rows per request, 1 to 1000.
        """
        return Pager(
            self._async.find(
                filter=filter,
                search=search,
                order_by=order_by,
                order_direction=order_direction,
                select=select,
                page_size=page_size,
            )
        )

    def get(self, id: int) -> Row[C]:
        """The row with this id.

        Args:
            id: the row id.
        """
        return _loop.run(self._async.get(id))

    def insert(
        self, rows: Iterable[C] | AsyncIterable[C], **options: Unpack[RowJobOptions]
    ) -> RowsResult[C]:
        """Insert any number of rows (options as in ``insert_rows``).

        Args:
            rows: the rows.
            options: the bulk job's options.
        """
        return _loop.run(self._async.insert(rows, **options))

    def upsert(
        self,
        rows: Iterable[C] | AsyncIterable[C],
        *,
        key_column: str | None = None,
        **options: Unpack[RowJobOptions],
    ) -> RowsResult[C]:
        """Insert or update rows by the table's key column.

        Args:
            rows: the rows, each holding the key column.
            key_column: the column to match rows by; the table's own by default.
            options: the bulk job's options.
        """
        return _loop.run(self._async.upsert(rows, key_column=key_column, **options))

    def update(
        self, rows: Iterable[Mapping[str, Any]], *, wait_computed: NotGivenOr[bool] = NOT_GIVEN
    ) -> list[Row[C]]:
        """Change existing rows by id.

        Args:
            rows: each a mapping holding ``id`` and the columns to change (or a `Row`).
            wait_computed: wait for computed columns before each request answers.
        """
        return _loop.run(self._async.update(rows, wait_computed=wait_computed))

    def delete(
        self, ids: Iterable[int] | AsyncIterable[int], **options: Unpack[DeleteJobOptions]
    ) -> RowsResult[int]:
        """Delete rows by id.

        Args:
            ids: the row ids.
            options: the bulk job's options.
        """
        return _loop.run(self._async.delete(ids, **options))

    def import_rows(
        self, rows: Iterable[C] | AsyncIterable[C], **options: Unpack[ImportOptions]
    ) -> ImportResult:
        """Import rows through server-side import jobs.

        Args:
            rows: the rows.
            options: the import's options.
        """
        return _loop.run(self._async.import_rows(rows, **options))

    def export_rows(self, **options: Unpack[ExportOptions]) -> Iterator[Row[C]]:
        """Every row, through a server-side export job, as a blocking iterator.

        Args:
            options: the export's options.
        """
        return _loop.iterate(self._async.export_rows(**options))
