"""Server-side import and export of table rows: files of the Files API and table jobs.

An import writes the rows into shard files on disk (gzipped JSON or CSV, see
`botpress_async._table_files`), uploads each shard, starts ``importTable`` on it and follows
``getTableJobs`` until the job ends, one shard after the other; an export starts
``exportTable``, waits for its job, downloads the output file to disk and reads the rows back
one at a time. Either way memory holds one row and one read buffer, whatever the row count.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import anyio
import attrs
from typing_extensions import Unpack

from ._bulk import _aiter
from ._bulk_options import ProgressOptions, job_settings
from ._bulk_results import BulkProgress
from ._errors import (
    ArgumentTypeError,
    ConfigurationError,
    InvalidRowError,
    ResponseDecodeError,
    TableJobError,
)
from ._progress import both, progress_bar
from ._row import SYSTEM_FIELDS, Row
from ._rows import _json_problem, table_schema
from ._table_files import FORMATS, MalformedFileError, RowFileWriter, read_rows

if TYPE_CHECKING:
    from .resources._tables import TablesResource
    from .resources.files import FilesAPI

__all__ = ["ImportResult", "export_rows", "import_rows"]

#: Rows per import shard: each shard is one file and one import job.
DEFAULT_SHARD_ROWS: Final = 200_000
_FINISHED: Final = frozenset({"completed", "failed"})


@attrs.define(kw_only=True)
class ImportResult:
    """What an `import_rows` run did.

    Attributes:
        jobs: the record of each shard's import job, as the API last returned it.
        rows: rows written into the shard files (and imported, when every job completed).
        files: the ids of the uploaded shard files (deleted after their job unless kept).
        rejected: rows left out because they cannot be imported (`InvalidRowError` each,
            naming the row index and the column).
        elapsed: the run's duration in seconds.
    """

    jobs: list[dict[str, Any]] = attrs.Factory(list)
    rows: int = 0
    files: list[str] = attrs.Factory(list)
    rejected: list[InvalidRowError] = attrs.Factory(list)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every row was imported: no row refused and every job completed."""
        return not self.rejected and all(j.get("status") == "completed" for j in self.jobs)

    def __repr__(self) -> str:
        return (
            f"<ImportResult rows={self.rows} jobs={len(self.jobs)} rejected={len(self.rejected)}>"
        )


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ConfigurationError(f"format must be 'json' or 'csv', got {format!r}")


def _files(tables: TablesResource) -> FilesAPI:
    """The files API of the client ``tables`` belongs to (imported late: tables alone loads
    no files models)."""
    from .resources.files import FilesAPI

    return tables._client._attach(FilesAPI)


async def _schema_columns(tables: TablesResource, table: str) -> dict[str, str | None]:
    """The table's columns and their types (one ``getTable``; unknown tables raise here)."""
    _, props = await table_schema(tables._client, table)
    return {
        str(name): (str(col.get("type")) if isinstance(col, Mapping) and col.get("type") else None)
        for name, col in props.items()
    }


def job_failure(job: Mapping[str, Any], what: str) -> TableJobError:
    """The error of a failed job, with the reason the server gave when it gave one."""
    reason = job.get("error") or job.get("failedReason") or job.get("message")
    detail = f": {reason}" if reason else " (the server gave no reason)"
    return TableJobError(f"{what} job {job.get('id')!r} failed{detail}", job=job)


async def wait_for_job(
    tables: TablesResource,
    table: str,
    job: Mapping[str, Any],
    *,
    poll_interval: float,
    job_timeout: float,
    on_poll: Callable[[Mapping[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Follow ``getTableJobs`` until the job is completed or failed; return its last record.

    Raises:
        TableJobError: the job failed, vanished, or did not finish within ``job_timeout``.
    """
    job_id = job.get("id")
    deadline = time.monotonic() + job_timeout
    current = dict(job)
    while current.get("status") not in _FINISHED:
        if time.monotonic() > deadline:
            raise TableJobError(
                f"job {job_id!r} did not finish within {job_timeout:g} s "
                f"(last status {current.get('status')!r}); it may still be running",
                job=current,
            )
        await anyio.sleep(poll_interval)
        answer = await tables.get_table_jobs(table=table)
        found = next((j for j in answer.to_dict().get("jobs", []) if j.get("id") == job_id), None)
        if found is None:
            raise TableJobError(f"job {job_id!r} is not among the table's jobs", job=current)
        current = found
        if on_poll is not None:
            on_poll(current)
    return current


def _row_for_file(
    index: int, row: Any, columns: Mapping[str, str | None], result: ImportResult
) -> Mapping[str, Any] | None:
    """The row to write, or None after recording why it cannot be imported."""
    if isinstance(row, Row):
        row = row.columns
    elif not isinstance(row, Mapping):
        raise ConfigurationError(
            f"rows[{index}] must be a mapping of column name to value, got {type(row).__name__}"
        )
    problem: str | None
    for column, value in row.items():
        if column in SYSTEM_FIELDS:
            continue
        if column not in columns:
            known = ", ".join(sorted(columns)) or "none"
            problem = f"column {column!r} is not in the table's schema (its columns: {known})"
        else:
            problem = _json_problem(value)
        if problem is not None:
            result.rejected.append(
                InvalidRowError(
                    f"rows[{index}], column {column!r}: {problem}", index=index, column=column
                )
            )
            return None
    checked: Mapping[str, Any] = row
    return checked


def _check_seconds(**given: object) -> None:
    """Refuse durations that are not numbers: they are compared and slept on later."""
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentTypeError(
                f"{name} must be a number of seconds, not {type(value).__name__}",
                argument=name,
            )


async def import_rows(
    tables: TablesResource,
    table: str,
    rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
    *,
    format: Literal["json", "csv"],
    compress: bool,
    shard_rows: int,
    poll_interval: float,
    job_timeout: float,
    keep_files: bool,
    **options: Unpack[ProgressOptions],
) -> ImportResult:
    """Implementation of `TablesAPI.import_rows`."""
    settings = job_settings(options, ProgressOptions, caller="import_rows")
    _check_format(format)
    if isinstance(rows, (str, bytes, Mapping)):
        raise ConfigurationError(
            f"rows must be an iterable of row mappings, not a single {type(rows).__name__}"
        )
    if not isinstance(rows, (Iterable, AsyncIterable)):
        raise ArgumentTypeError(
            f"rows must be an iterable of row mappings, not {type(rows).__name__}",
            argument="rows",
        )
    shard: object = shard_rows
    if isinstance(shard, bool) or not isinstance(shard, int) or shard < 1:
        raise ConfigurationError(
            f"shard_rows must be a positive number of rows, got {shard_rows!r}"
        )
    _check_seconds(poll_interval=poll_interval, job_timeout=job_timeout)
    if poll_interval <= 0 or job_timeout <= 0:
        raise ConfigurationError(
            "poll_interval and job_timeout must be positive numbers of seconds"
        )
    columns = await _schema_columns(tables, table)
    result = ImportResult()
    started = time.monotonic()
    bar = progress_bar(None, unit="row", count=lambda p: p.done) if settings.progress_bar else None
    report = both(settings.on_progress, bar)

    def progress(final: bool = False) -> None:
        if report is not None:
            report(
                BulkProgress(
                    done=result.rows,
                    failed=len(result.rejected),
                    in_flight=0,
                    concurrency=1,
                    elapsed=time.monotonic() - started,
                    final=final,
                )
            )

    run = uuid.uuid4().hex[:12]
    suffix = f".{format}" + (".gz" if compress else "")
    source = _aiter(rows)
    index = 0
    shard = 0
    exhausted = False
    with tempfile.TemporaryDirectory(prefix="botpress-import-") as scratch:
        while not exhausted:
            path = Path(scratch) / f"shard{shard}{suffix}"
            written = 0
            with path.open("wb") as handle:
                writer = RowFileWriter(handle, format, compress=compress, columns=list(columns))
                while written < shard_rows:
                    try:
                        row = await source.__anext__()
                    except StopAsyncIteration:
                        exhausted = True
                        break
                    ok = _row_for_file(index, row, columns, result)
                    index += 1
                    if ok is not None:
                        writer.write(ok)
                        written += 1
                writer.close()
            if written == 0:
                break
            key = f"table-imports/{table}/{run}-{shard}{suffix}"
            content_type = (
                "application/gzip"
                if compress
                else ("text/csv" if format == "csv" else "application/json")
            )
            uploaded = await _files(tables).upload_file(key, path, content_type=content_type)
            os.unlink(path)
            result.files.append(uploaded.id)
            started_job = await tables.import_table(table=table, file_id=uploaded.id)
            job = await wait_for_job(
                tables,
                table,
                started_job.job.to_dict(),
                poll_interval=poll_interval,
                job_timeout=job_timeout,
            )
            result.jobs.append(job)
            if job.get("status") == "failed":
                result.elapsed = time.monotonic() - started
                error = job_failure(job, "import")
                error.result = result
                raise error
            if not keep_files:
                await _files(tables).delete_file(id=uploaded.id)
            result.rows += written
            shard += 1
            progress()
    result.elapsed = time.monotonic() - started
    progress(final=True)
    return result


async def export_rows(
    tables: TablesResource,
    table: str,
    *,
    format: Literal["json", "csv"],
    compress: bool,
    poll_interval: float,
    job_timeout: float,
    keep_file: bool,
) -> AsyncIterator[Row]:
    """Implementation of `TablesAPI.export_rows`."""
    _check_format(format)
    _check_seconds(poll_interval=poll_interval, job_timeout=job_timeout)
    if poll_interval <= 0 or job_timeout <= 0:
        raise ConfigurationError(
            "poll_interval and job_timeout must be positive numbers of seconds"
        )
    columns: dict[str, str | None] = {}
    if format == "csv":
        # A CSV file is all text: the schema says which fields are numbers, booleans ...
        columns = {"id": "number", **await _schema_columns(tables, table)}
    started = await tables.export_table(table=table, format=format, compress=compress)
    job = await wait_for_job(
        tables, table, started.job.to_dict(), poll_interval=poll_interval, job_timeout=job_timeout
    )
    if job.get("status") == "failed":
        raise job_failure(job, "export")
    file_id = job.get("outputFileId")
    if not file_id:
        raise TableJobError(f"export job {job.get('id')!r} completed without a file", job=job)
    with tempfile.TemporaryDirectory(prefix="botpress-export-") as scratch:
        path = Path(scratch) / "export"
        await _files(tables).download(str(file_id), path=path)
        if not keep_file:
            await _files(tables).delete_file(id=str(file_id))
        with path.open("rb") as handle:
            rows = read_rows(handle, format, column_types=columns)
            while True:
                try:
                    # Parsing reads the file from disk: hand it to a worker thread in blocks
                    # of rows so the event loop is not held for a whole file.
                    block = await anyio.to_thread.run_sync(_take, rows, 1000)
                except MalformedFileError as exc:
                    raise ResponseDecodeError(f"the exported file of {table!r}: {exc}") from None
                for data in block:
                    yield Row.from_dict(data)
                if len(block) < 1000:
                    return


def _take(rows: Iterable[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) == n:
            break
    return out
