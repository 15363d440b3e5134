"""`TablesAPI`: the tables API as ``client.tables``, with its bulk row helpers."""

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
from typing import Any, Literal, overload

from typing_extensions import Unpack

from botpress_async import _table_jobs
from botpress_async._bulk_options import ProgressOptions, RequestJobOptions
from botpress_async._converter import structure
from botpress_async._errors import ConfigurationError, ResponseDecodeError
from botpress_async._pagination import AsyncPager
from botpress_async._row import C, Row
from botpress_async._rows import MAX_ROWS_PER_REQUEST, RowsResult, run_rows_job
from botpress_async._strict import STRICT
from botpress_async._table_handle import AsyncTableHandle
from botpress_async._table_jobs import DEFAULT_SHARD_ROWS, ImportResult
from botpress_async._types import NOT_GIVEN, NotGiven, NotGivenOr, RequestOptions, Timeout
from botpress_async.models.tables import FindTableRowsResponse
from botpress_async.resources._tables import TablesResource

__all__ = ["TablesAPI"]


def _page_rows(page: FindTableRowsResponse) -> list[Row]:
    return page.rows


def _next_offset(page: FindTableRowsResponse) -> str | None:
    # The cursor is the offset of the next page, as text for the shared pager.
    rows = page.rows
    if not (page.has_more and rows):
        return None
    offset: Any = page.offset  # the decode keeps what the server sent, whatever its type
    if offset.__class__ is not int:
        raise ResponseDecodeError(
            f"the response does not match FindTableRowsResponse: offset must be an integer, "
            f"got {offset!r}; the next page cannot be asked for"
        )
    return str(offset + len(rows))


_new = object.__new__


class _RowPager(AsyncPager[Row, FindTableRowsResponse]):
    """`find_rows`' pager: ``async for`` makes each `Row` from the page's JSON as it yields it.

    Decoding a page first made its thousand rows at once and kept them all until the page
    was used up; made one at a time, a row the loop has finished with is freed before the
    next is made, which spares the list, most of the garbage collections those live rows
    brought on, and about 600 instructions per row (the rows are the same). Pages, the first
    page (``await pager``) and `collect` go through the decoded response as for any pager;
    so does ``async for`` for a page that is not the shape the API sends (its decode says
    what is wrong), in ``strict_decoding()``, and after the first page was awaited.

    Args:
        fetch: sends the request for the page at an offset (NOT_GIVEN: offset 0), decoded.
        fetch_json: the same request, answering the response's JSON without decoding it.
    """

    __slots__ = ("_fetch_json",)

    def __init__(
        self,
        fetch: Callable[[NotGivenOr[str]], Awaitable[FindTableRowsResponse]],
        fetch_json: Callable[[int], Awaitable[Any]],
    ) -> None:
        super().__init__(fetch, items=_page_rows, next_token=_next_offset)
        self._fetch_json = fetch_json

    async def __aiter__(self) -> AsyncIterator[Row]:
        if self._first is not None or STRICT.get():
            async for row in super().__aiter__():
                yield row
            return
        offset = 0
        while True:
            data = await self._fetch_json(offset)
            rows = data.get("rows") if data.__class__ is dict else None
            if (
                rows.__class__ is not list
                or data.get("hasMore").__class__ is not bool
                or data.get("offset").__class__ is not int
                or "limit" not in data
                or {*map(type, rows)} != {dict}  # also false for a page without rows
            ):
                # The typed decode says what is wrong, or walks what is right.
                page = structure(data, FindTableRowsResponse)
                for row in page.rows:
                    yield row
                token = _next_offset(page)
                if token is None or int(token) == offset:
                    return
                offset = int(token)
                continue
            for wire in rows:
                made: Row = _new(Row)
                made._wire = wire  # what `from_wire` does for a plain dict
                yield made
            following = data["offset"] + len(rows)
            if not data["hasMore"] or following == offset:
                return  # the last page, or a server that answers the same page again
            offset = following
            data = rows = None  # let the page go before the next one is fetched


class TablesAPI(TablesResource):
    """Every operation of the tables API, plus bulk helpers that span many requests."""

    __slots__ = ()

    @overload
    def table(self, name: str, columns: None = None) -> AsyncTableHandle[dict[str, Any]]: ...

    @overload
    def table(self, name: str, columns: type[C]) -> AsyncTableHandle[C]: ...

    def table(self, name: str, columns: type[Any] | None = None) -> AsyncTableHandle[Any]:
        """A handle on one table, typed by a ``TypedDict`` of its columns; nothing is sent.

        ``orders = client.tables.table("ordersTable", Order)`` gives ``find``, ``get``,
        ``insert``, ``upsert``, ``update``, ``delete``, ``import_rows`` and ``export_rows``
        whose rows the type checker knows: ``row.columns["total"]`` has the type of
        ``Order["total"]``, and a row passed to ``insert`` must be an ``Order``.

        Args:
            name: the table's name or id.
            columns: the ``TypedDict`` of the table's columns (only read by type checkers).
        """
        return AsyncTableHandle(self, name)

    def find_rows(
        self,
        table: str,
        *,
        filter: Mapping[str, Any] | None = None,
        search: str | None = None,
        order_by: str | None = None,
        order_direction: Literal["asc", "desc"] | None = None,
        select: Sequence[str] | None = None,
        page_size: int = MAX_ROWS_PER_REQUEST,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
    ) -> AsyncPager[Row, FindTableRowsResponse]:
        """Every row that matches, page after page: ``async for row in ...find_rows(...)``.

        Pages are asked for by offset, one at a time and only when the rows of the page before
        are used up, so memory holds one page for any table size. `AsyncPager.pages` gives the
        pages, `AsyncPager.collect` a list. The filter language is described in the tables
        guide (``$eq``, ``$gt``, ``$in``, ``$regex``, ``$and``, ``$or`` ...).

        Args:
            table: the table's name or id.
            filter: which rows, as a filter object, e.g. ``{"qty": {"$gt": 5}}``.
            search: text to rank rows by (searchable columns); rows gain ``similarity``.
            order_by: the column to sort by (the row id by default).
            order_direction: ``"asc"`` or ``"desc"``.
            select: the only columns to return (the system fields always come).
            page_size: rows per request, 1 to 1000.
            timeout: per-request time limits.
            max_retries: retries per request.

        Raises:
            ConfigurationError: a bad argument, before anything is sent.
        """
        given: Any = table  # checked at run time: untyped callers pass anything
        if not isinstance(given, str) or not given:
            raise ConfigurationError("table must be the name or id of a table, a non-empty string")
        flt: Any = filter
        if flt is not None and not isinstance(flt, Mapping):
            raise ConfigurationError(
                f"filter must be a mapping such as {{'qty': {{'$gt': 5}}}}, "
                f"got {type(flt).__name__}"
            )
        chosen: object = select
        if isinstance(chosen, str) or (chosen is not None and not isinstance(chosen, Iterable)):
            raise ConfigurationError(f"select must be a list of column names, not {select!r}")
        size: object = page_size
        if (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not 1 <= size <= MAX_ROWS_PER_REQUEST
        ):
            raise ConfigurationError(
                f"page_size must be between 1 and {MAX_ROWS_PER_REQUEST}, got {page_size!r}"
            )
        query: dict[str, Any] = {"limit": page_size}
        for wire, value in (
            ("filter", filter),
            ("search", search),
            ("orderBy", order_by),
            ("orderDirection", order_direction),
            ("select", None if select is None else list(select)),
        ):
            if value is not None:
                query[wire] = value
        options = RequestOptions(timeout=timeout, max_retries=max_retries)
        client = self._client

        async def fetch_json(offset: int) -> Any:
            return await client._request(
                "POST",
                "/v1/tables/{table}/rows/find",
                path_params={"table": table},
                json={**query, "offset": offset},
                api="tables",
                idempotent=True,
                requires=("x-bot-id",),
                options=options,
            )

        async def fetch(cursor: NotGivenOr[str]) -> FindTableRowsResponse:
            offset = 0 if isinstance(cursor, NotGiven) else int(cursor)
            return structure(await fetch_json(offset), FindTableRowsResponse)

        return _RowPager(fetch, fetch_json)

    async def insert_rows(
        self,
        table: str,
        rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        chunk_size: int = MAX_ROWS_PER_REQUEST,
        wait_computed: NotGivenOr[bool] = NOT_GIVEN,
        keep_rows: bool = False,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        **options: Unpack[RequestJobOptions],
    ) -> RowsResult[Mapping[str, Any]]:
        """Insert any number of rows, in concurrent requests of at most 1000 rows.

        Inserts are not idempotent: a request that may have reached the server (a reset after
        sending, a 5xx) is not retried but reported, and its rows are in
        ``result.unknown_rows``. 429 answers are retried (they were not processed).

        Args:
            table: the table's name or id.
            rows: mappings of column name to value, from any iterable or async iterable;
                consumed lazily, so a generator of millions of rows keeps memory flat.
            chunk_size: rows per request (1 to 1000).
            wait_computed: wait for computed columns before each request answers.
            keep_rows: keep the created rows (`Row`) in ``result.inserted``; off by default, so
                that memory stays flat for any number of rows (the counts are always kept).
            timeout: per-request time limits.
            options: the job's options, described in `RequestJobOptions` (``concurrency=8``,
                ``fail_fast`` raising `RowsError`, ``max_retries=6`` when retrying is safe...).
        """
        body = {} if wait_computed is NOT_GIVEN else {"waitComputed": wait_computed}
        return await run_rows_job(
            self._client,
            kind="insert",
            table=table,
            items=rows,
            body=body,
            chunk_size=chunk_size,
            keep_rows=keep_rows,
            timeout=timeout,
            options=options,
        )

    async def upsert_rows(
        self,
        table: str,
        rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        key_column: str | None = None,
        chunk_size: int = MAX_ROWS_PER_REQUEST,
        wait_computed: NotGivenOr[bool] = NOT_GIVEN,
        keep_rows: bool = False,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        **options: Unpack[RequestJobOptions],
    ) -> RowsResult[Mapping[str, Any]]:
        """Insert or update any number of rows by a key column, in concurrent requests.

        Upserts by key are idempotent, so every failure that can be retried is retried:
        rate limits, 5xx answers and connections lost after sending. A row without a value
        for the key column is not sent (it would be inserted again on every run): it is in
        ``result.failed`` with an `InvalidRowError` naming its index. Rows holding the same key
        are never in flight at the same time, so concurrency cannot insert a key twice.

        Args:
            table: the table's name or id.
            rows: mappings of column name to value (or `Row` objects), each holding the key.
            key_column: the column that identifies a row (checked by the API); by default the
                table's own key column (one ``getTable`` per job), or ``"id"`` for a table
                without one.
            chunk_size: rows per request (1 to 1000).
            wait_computed: wait for computed columns before each request answers.
            keep_rows: keep the written rows (`Row`) in ``result.inserted`` and
                ``result.updated``; off by default so that memory stays flat.
            timeout: per-request time limits.
            options: the job's options, described in `RequestJobOptions` (``concurrency=8``,
                ``fail_fast`` raising `RowsError`, ``max_retries=6``...).
        """
        body = {} if wait_computed is NOT_GIVEN else {"waitComputed": wait_computed}
        return await run_rows_job(
            self._client,
            kind="upsert",
            key_column=key_column,
            table=table,
            items=rows,
            body=body,
            chunk_size=chunk_size,
            keep_rows=keep_rows,
            timeout=timeout,
            options=options,
        )

    async def delete_rows(
        self,
        table: str,
        ids: Iterable[int] | AsyncIterable[int],
        *,
        chunk_size: int = MAX_ROWS_PER_REQUEST,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        **options: Unpack[RequestJobOptions],
    ) -> RowsResult[int]:
        """Delete any number of rows by id, in concurrent requests of at most 1000 ids.

        Args:
            table: the table's name or id.
            ids: the row ids, from any iterable or async iterable.
            chunk_size: ids per request (1 to 1000).
            timeout: per-request time limits.
            options: the job's options, described in `RequestJobOptions` (``concurrency=8``,
                ``fail_fast`` raising `RowsError`, ``max_retries=6``...).
        """
        return await run_rows_job(
            self._client,
            kind="delete",
            table=table,
            items=ids,
            body={},
            chunk_size=chunk_size,
            keep_rows=False,
            timeout=timeout,
            options=options,
        )

    async def import_rows(
        self,
        table: str,
        rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        format: Literal["json", "csv"] = "json",
        compress: bool = True,
        shard_rows: int = DEFAULT_SHARD_ROWS,
        poll_interval: float = 1.0,
        job_timeout: float = 3600.0,
        keep_files: bool = False,
        **options: Unpack[ProgressOptions],
    ) -> ImportResult:
        """Import any number of rows through server-side import jobs, in a few requests.

        The rows are streamed into shard files on disk (``shard_rows`` rows each, gzipped
        JSON by default), and for each shard: upload it with `upload_file`, start
        ``importTable`` on it, follow ``getTableJobs`` until the job completes. Memory holds
        one row at a time. Rows that cannot be imported (a column not in the table's schema,
        a value JSON cannot carry) are left out and listed in ``result.rejected``.

        Args:
            table: the table's name or id.
            rows: mappings of column name to value, from any iterable or async iterable.
            format: the shard files' format, ``"json"`` or ``"csv"``.
            compress: gzip the shard files.
            shard_rows: rows per shard file (one import job each).
            poll_interval: seconds between two reads of the job's status.
            job_timeout: the longest wait for one job, in seconds.
            keep_files: keep the uploaded shard files instead of deleting each after its job.
            options: ``progress_bar`` and ``on_progress``, described in `ProgressOptions`
                (a snapshot after each shard, counting rows).

        Raises:
            TableJobError: a job failed; ``error.job`` is its record and ``error.result``
                what was imported before it.
            ConfigurationError: bad arguments or a row that is not a mapping.
        """
        return await _table_jobs.import_rows(
            self,
            table,
            rows,
            format=format,
            compress=compress,
            shard_rows=shard_rows,
            poll_interval=poll_interval,
            job_timeout=job_timeout,
            keep_files=keep_files,
            **options,
        )

    async def export_rows(
        self,
        table: str,
        *,
        format: Literal["json", "csv"] = "json",
        compress: bool = True,
        poll_interval: float = 1.0,
        job_timeout: float = 3600.0,
        keep_file: bool = False,
    ) -> AsyncIterator[Row]:
        """Every row of the table, through a server-side export job: ``async for row in ...``.

        Starts ``exportTable``, waits for its job, downloads the output file to a temporary
        file and reads the rows from it one at a time, so memory stays flat for any table
        size. CSV fields are turned back into numbers, booleans and objects by the table's
        schema.

        Args:
            table: the table's name or id.
            format: the export's format, ``"json"`` or ``"csv"``.
            compress: ask for a gzipped file.
            poll_interval: seconds between two reads of the job's status.
            job_timeout: the longest wait for the job, in seconds.
            keep_file: keep the exported file in the Files API instead of deleting it.

        Raises:
            TableJobError: the export job failed.
        """
        async for row in _table_jobs.export_rows(
            self,
            table,
            format=format,
            compress=compress,
            poll_interval=poll_interval,
            job_timeout=job_timeout,
            keep_file=keep_file,
        ):
            yield row
