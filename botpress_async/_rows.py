"""Bulk row operations of the tables API: split into requests of at most 1000 rows, run them
through the bulk runner, and report what happened to every row."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sized
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from ._bulk import (
    BULK_MAX_RETRIES,
    BulkError,
    BulkProgress,
    CancelToken,
    _aiter,
    _both,
    outcome_unknown,
    progress_bar_reporter,
    run_bulk,
)
from ._errors import ConfigurationError, RowsError
from ._types import NotGivenOr, RequestOptions, Timeout

if TYPE_CHECKING:
    from ._client import AsyncClient

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
        inserted: the rows the API created, as it returned them (``keep_rows=True``).
        updated: the rows the API updated (upserts), as it returned them.
        inserted_count: how many rows the API reported created.
        updated_count: how many rows the API reported updated.
        deleted_count: how many rows the API reported deleted.
        succeeded_rows: input rows whose request succeeded.
        failed: requests that failed, with their rows.
        messages: requests the API accepted but answered with errors or warnings.
        not_run: input rows never sent (after a fail-fast stop or a cancel).
        cancelled: whether the job stopped before every row was sent.
        elapsed: the job's duration in seconds.
        throttled: how many 429 or 503 answers the job received.
        stop_reason: why the job stopped early on its own (the API could not be reached by
            a run of requests in a row), or ``None``.
    """

    inserted: list[dict[str, Any]] = attrs.Factory(list)
    updated: list[dict[str, Any]] = attrs.Factory(list)
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


async def _chunks(
    items: Iterable[_I] | AsyncIterable[_I], size: int, check: Callable[[int, _I], str | None]
) -> AsyncIterator[_Chunk[_I]]:
    chunk: _Chunk[_I] = _Chunk(0, [])
    index = 0
    async for item in _aiter(items):
        problem = check(index, item)
        if problem is not None and chunk.invalid is None:
            chunk.invalid = problem
        chunk.rows.append(item)
        index += 1
        if len(chunk.rows) == size:
            yield chunk
            chunk = _Chunk(index, [])
    if chunk.rows:
        yield chunk


async def run_rows_job(
    client: AsyncClient,
    *,
    kind: str,
    table: str,
    items: Iterable[Any] | AsyncIterable[Any],
    body: Mapping[str, Any],
    chunk_size: int,
    concurrency: int,
    keep_rows: bool,
    fail_fast: bool,
    on_progress: Callable[[BulkProgress], None] | None,
    progress_bar: bool,
    cancel: CancelToken | None,
    timeout: NotGivenOr[Timeout | float | None],
    max_retries: int,
) -> RowsResult[Any]:
    """Run one bulk row job: ``kind`` is ``"insert"``, ``"upsert"`` or ``"delete"``."""
    if not table:
        raise ConfigurationError("table must be the name or id of a table, a non-empty string")
    what = "ids" if kind == "delete" else "rows"
    if isinstance(items, (str, bytes, Mapping)):
        raise ConfigurationError(
            f"{what} must be an iterable of {'row ids' if kind == 'delete' else 'row mappings'}, "
            f"not a single {type(items).__name__}"
        )
    if isinstance(chunk_size, bool) or not 1 <= chunk_size <= MAX_ROWS_PER_REQUEST:
        raise ConfigurationError(
            f"chunk_size must be between 1 and {MAX_ROWS_PER_REQUEST} (the API's limit), "
            f"got {chunk_size!r}"
        )

    if kind == "delete":

        def check(index: int, item: Any) -> str | None:
            if isinstance(item, bool) or not isinstance(item, int):
                return f"ids[{index}] must be an integer row id, got {item!r:.50}"
            return None

        path, field, idempotent = "/v1/tables/{table}/rows/delete", "ids", True
    else:

        def check(index: int, item: Any) -> str | None:
            if not isinstance(item, Mapping):
                return (
                    f"rows[{index}] must be a mapping of column name to value, "
                    f"got {type(item).__name__}"
                )
            return None

        path = "/v1/tables/{table}/rows" + ("/upsert" if kind == "upsert" else "")
        field, idempotent = "rows", kind == "upsert"

    options = RequestOptions(timeout=timeout, max_retries=max_retries)
    chunks = _chunks(items, chunk_size, check)
    # The first chunk is built before anything is sent, so bad input in it fails at once.
    first: list[_Chunk[Any]] = []
    async for chunk in chunks:
        if chunk.invalid is not None:
            raise ConfigurationError(chunk.invalid + "; nothing was sent")
        first.append(chunk)
        break

    async def source() -> AsyncIterator[_Chunk[Any]]:
        for chunk in first:
            yield chunk
        async for chunk in chunks:
            yield chunk

    result: RowsResult[Any] = RowsResult()

    def record(chunk: _Chunk[Any], response: Any) -> None:
        # Counted as each answer arrives, so neither rows nor answers pile up in memory.
        result.succeeded_rows += len(chunk.rows)
        if not isinstance(response, Mapping):
            return
        if kind == "delete":
            result.deleted_count += int(response.get("deletedRows") or 0)
            return
        created = response.get("rows" if kind == "insert" else "inserted") or []
        updated = response.get("updated") or []
        result.inserted_count += len(created)
        result.updated_count += len(updated)
        if keep_rows:
            result.inserted.extend(created)
            result.updated.extend(updated)
        errors, warnings = response.get("errors") or [], response.get("warnings") or []
        if errors or warnings:
            result.messages.append(
                RowsMessages(
                    rows=chunk.rows,
                    first_index=chunk.first_index,
                    errors=list(errors),
                    warnings=list(warnings),
                )
            )

    # Rows whose request has ended, either way: a bar counts rows, not requests.
    settled = 0

    async def send(chunk: _Chunk[Any]) -> None:
        nonlocal settled
        if chunk.invalid is not None:
            # Found after the job started: this request alone is refused, unsent.
            settled += len(chunk.rows)
            raise ConfigurationError(chunk.invalid + "; this request was not sent")
        try:
            response = await client._request(
                "POST",
                path,
                path_params={"table": table},
                json={field: chunk.rows, **body},
                api="tables",
                idempotent=idempotent,
                requires=("x-bot-id",),
                options=options,
            )
        finally:
            settled += len(chunk.rows)
        record(chunk, response)

    report = on_progress
    if progress_bar:
        bar = progress_bar_reporter(
            len(items) if isinstance(items, Sized) else None,
            unit="row",
            count=lambda _: settled,
        )
        if bar is not None:
            report = bar if on_progress is None else _both(on_progress, bar)

    try:
        outcome = await run_bulk(
            send,
            source(),
            concurrency=concurrency,
            fail_fast=fail_fast,
            keep_results=False,
            on_progress=report,
            cancel=cancel,
        )
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
