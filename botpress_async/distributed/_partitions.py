"""Partition functions: one partition of a distributed dataset in, one small summary out.

Each runs the SDK's bulk runner in the worker, on the worker's cached client, and returns a
`PartitionSummary` (counts, failed and unknown keys, a few error messages; never the rows),
which the engine gathers and merges. The ``a``-prefixed coroutine functions here are for
workers that already run an event loop; their blocking twins, what engines call, are
generated from them into ``_blocking.py`` (``python -m codegen``), each documented by the
docstring its coroutine twin's ``@blocking_twin`` gives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypedDict, TypeVar

import attrs
from typing_extensions import Unpack

from botpress_async._bulk import _aiter, outcome_unknown, run_bulk
from botpress_async._errors import BotpressError, ConfigurationError, InvalidItemError
from botpress_async._rows import BULK_MAX_RETRIES, MAX_ROWS_PER_REQUEST

from ._checkpoint import Checkpoint, chunk_key
from ._spec import ClientSpec
from ._summary import MAX_ERRORS, MAX_KEYS, PartitionSummary

if TYPE_CHECKING:
    from botpress_async._client import AsyncClient

__all__ = [
    "AsyncPartitionOptions",
    "AsyncRowPartitionOptions",
    "PartitionOptions",
    "RowPartitionOptions",
    "abackfill_messages_partition",
    "ainsert_rows_partition",
    "aupload_files_partition",
    "aupsert_rows_partition",
    "blocking_twin",
]

logger: Final = logging.getLogger("botpress.distributed")

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
Key = str | int


def blocking_twin(doc: str) -> Callable[[F], F]:
    """Mark a coroutine function ``aname`` for a generated blocking twin ``name``.

    The generator (``codegen.emit_sync``) reads the mark from this module's source and writes
    the twin, documented by ``doc``, into ``_blocking.py``; at run time the mark does nothing,
    so the signature is written once, here.

    Args:
        doc: the blocking twin's docstring; without an ``Args:`` section, it takes the
            coroutine function's (``AsyncRowPartitionOptions`` read as ``RowPartitionOptions``).
    """

    def mark(function: F) -> F:
        return function

    return mark


def _blocking(coro: Any) -> PartitionSummary:
    """Run a partition coroutine to its end on the SDK's own loop: the generated twins' body."""
    from botpress_sync import _loop

    from ._dask import remember_worker

    # A Dask worker is only reachable from the task's own thread: note it before the hand-off.
    remember_worker()
    summary: PartitionSummary = _loop.run(coro)
    return summary


# The options are typed once, for the blocking functions and their coroutine twins alike, so
# that a new option is one edit and the two families cannot drift apart.
class PartitionOptions(TypedDict, total=False):
    """The options every blocking partition function takes, all optional.

    Attributes:
        checkpoint: skip what an earlier run of the partition recorded as done (or unknown),
            and record new outcomes, so that a re-run sends nothing twice. None by default.
    """

    checkpoint: Checkpoint | None


class RowPartitionOptions(PartitionOptions, total=False):
    """The options of `insert_rows_partition` and `upsert_rows_partition`, all optional.

    Attributes:
        partition: the partition's label (its number, say): failed rows are then listed as
            ``"label:index"``, and checkpoint records of different partitions never mix.
        chunk_size: rows per request, 1 to 1000 (1000 by default).
    """

    partition: str | int | None
    chunk_size: int


class AsyncPartitionOptions(PartitionOptions, total=False):
    """The options of the coroutine twins: those of `PartitionOptions`, and a client.

    Attributes:
        client: a client to use instead of the worker's cached one.
    """

    client: AsyncClient | None


class AsyncRowPartitionOptions(RowPartitionOptions, AsyncPartitionOptions, total=False):
    """The options of `ainsert_rows_partition` and `aupsert_rows_partition`.

    Those of `RowPartitionOptions`, and ``client``, a client to use instead of the worker's
    cached one.
    """


def _check_options(options: Mapping[str, Any], allowed: type[Any], caller: str) -> None:
    """Refuse an option ``caller`` does not take, naming it and the valid ones."""
    valid: frozenset[str] = allowed.__optional_keys__ | allowed.__required_keys__
    unknown = sorted(set(options) - valid)
    if unknown:
        raise ConfigurationError(
            f"{caller}() takes no option {unknown[0]!r}",
            fix=f"use only {', '.join(sorted(valid))}",
            argument=unknown[0],
        )


@attrs.define
class _Chunk:
    """Items sent in one request, with where they start in the partition."""

    index: int
    first: int
    items: list[Any]
    keys: list[Key]
    checkpoint_key: str | None = None
    invalid: str | None = None


@attrs.define
class _Tally:
    """The mutable counts of one running partition job, frozen into a summary at the end."""

    operation: str
    items: int = 0
    succeeded: int = 0
    failed: int = 0
    unknown: int = 0
    not_sent: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    requests: int = 0
    failed_keys: list[Key] = attrs.Factory(list)
    unknown_keys: list[Key] = attrs.Factory(list)
    truncated: bool = False
    errors: list[str] = attrs.Factory(list)

    def add_keys(self, target: list[Key], keys: list[Key]) -> None:
        room = MAX_KEYS - len(target)
        if len(keys) > room:
            self.truncated = True
        target.extend(keys[: max(0, room)])

    def error(self, exc: BaseException) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{type(exc).__name__}: {exc}"[:500])

    def freeze(self, started: float, throttled: int) -> PartitionSummary:
        return PartitionSummary(
            operation=self.operation,
            items=self.items,
            succeeded=self.succeeded,
            failed=self.failed,
            unknown=self.unknown,
            not_sent=self.not_sent,
            skipped=self.skipped,
            created=self.created,
            updated=self.updated,
            requests=self.requests,
            throttled=throttled,
            failed_keys=tuple(self.failed_keys),
            unknown_keys=tuple(self.unknown_keys),
            keys_truncated=self.truncated,
            errors=tuple(self.errors),
            elapsed=time.monotonic() - started,
        )


def _records(items: Any) -> Iterable[Any] | Any:
    # A pandas (or Dask) partition arrives as a DataFrame: its rows are its records.
    if hasattr(items, "to_dict") and hasattr(items, "columns"):
        return items.to_dict("records")
    if isinstance(items, (str, bytes, Mapping)):
        raise ConfigurationError(
            f"a partition is an iterable of items, not a single {type(items).__name__}"
        )
    return items


async def _count(items: Any) -> int:
    count = 0
    async for _ in _aiter(items):
        count += 1
    return count


async def _run(
    spec: ClientSpec,
    operation: str,
    items: Any,
    *,
    chunker: Callable[[AsyncIterator[Any]], AsyncIterator[_Chunk]],
    send: Callable[[AsyncClient, _Chunk, _Tally], Any],
    job: str,
    checkpoint: Checkpoint | None,
    client: AsyncClient | None,
    by_content: bool = False,
) -> PartitionSummary:
    """Run one partition job: chunk, skip what the checkpoint holds, send, tally."""
    started = time.monotonic()
    tally = _Tally(operation)
    if not isinstance(spec, ClientSpec):
        raise ConfigurationError(
            f"the first argument must be a ClientSpec, got {type(spec).__name__}"
        )
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise ConfigurationError(
            f"checkpoint must be a Checkpoint, got {type(checkpoint).__name__}"
        )
    items = _records(items)
    if client is None:
        try:
            client = spec.worker_client()
        except BotpressError as exc:
            # Nothing can be sent from this worker: say so in the summary and in its log.
            tally.not_sent = tally.items = await _count(items)
            tally.error(exc)
            logger.error("%s: nothing was sent from this worker: %s", operation, exc)
            return tally.freeze(started, 0)

    async def source() -> AsyncIterator[_Chunk]:
        async for chunk in chunker(_aiter(items)):
            tally.items += len(chunk.items)
            if checkpoint is not None:
                # Rows are named by their content (positions repeat from one partition to the
                # next); files and messages by their own keys.
                identity = chunk.items if by_content else chunk.keys
                chunk.checkpoint_key = chunk_key(job, None, chunk.index, identity)
                state = checkpoint.state(chunk.checkpoint_key)
                if state is not None:
                    tally.skipped += len(chunk.items)
                    if state == "unknown":
                        tally.unknown += len(chunk.items)
                        tally.add_keys(tally.unknown_keys, chunk.keys)
                    continue
            yield chunk

    async def one(chunk: _Chunk) -> None:
        if chunk.invalid is not None:
            raise InvalidItemError(chunk.invalid + "; this request was not sent")
        tally.requests += 1
        try:
            await send(client, chunk, tally)
        except BaseException as exc:
            if checkpoint is not None and chunk.checkpoint_key and outcome_unknown(exc):
                checkpoint.record(chunk.checkpoint_key, "unknown", len(chunk.items))
            raise
        tally.succeeded += len(chunk.items)
        if checkpoint is not None and chunk.checkpoint_key:
            checkpoint.record(chunk.checkpoint_key, "done", len(chunk.items))

    outcome = await run_bulk(one, source(), concurrency=spec.max_concurrency, keep_results=False)
    for failure in outcome.failed:
        chunk = failure.item
        tally.failed += len(chunk.items)
        tally.add_keys(tally.failed_keys, chunk.keys)
        if outcome_unknown(failure.error):
            tally.unknown += len(chunk.items)
            tally.add_keys(tally.unknown_keys, chunk.keys)
        tally.error(failure.error)
    for chunk in outcome.not_run:
        tally.not_sent += len(chunk.items)
    return tally.freeze(started, outcome.throttled)


def _position(partition: str | int | None, index: int) -> Key:
    return index if partition is None else f"{partition}:{index}"


def _row_chunker(
    size: int, partition: str | int | None, key_column: str | None
) -> Callable[[AsyncIterator[Any]], AsyncIterator[_Chunk]]:
    async def chunks(rows: AsyncIterator[Any]) -> AsyncIterator[_Chunk]:
        chunk = _Chunk(0, 0, [], [])
        position = 0
        async for row in rows:
            if not isinstance(row, Mapping):
                chunk.invalid = chunk.invalid or (
                    f"row {position} is a {type(row).__name__}, not a mapping of column to value"
                )
                key: Key = _position(partition, position)
            elif key_column is not None:
                value = row.get(key_column)
                if value is None:
                    chunk.invalid = chunk.invalid or (
                        f"row {position} has no value for the key column {key_column!r}"
                    )
                    key = _position(partition, position)
                else:
                    key = value if isinstance(value, (str, int)) else str(value)
            else:
                key = _position(partition, position)
            chunk.items.append(row)
            chunk.keys.append(key)
            position += 1
            if len(chunk.items) == size:
                yield chunk
                chunk = _Chunk(chunk.index + 1, position, [], [])
        if chunk.items:
            yield chunk

    return chunks


def _check_chunk_size(chunk_size: int) -> None:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise ConfigurationError(f"chunk_size must be an int, got {chunk_size!r}")
    if not 1 <= chunk_size <= MAX_ROWS_PER_REQUEST:
        raise ConfigurationError(
            f"chunk_size must be between 1 and {MAX_ROWS_PER_REQUEST} (the API's limit), "
            f"got {chunk_size}"
        )


def _nonempty(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _check_table(table: object) -> str:
    if not isinstance(table, str) or not table:
        raise ConfigurationError(f"table must be a table's name or id, got {table!r}")
    return table


async def _run_rows(
    spec: ClientSpec,
    operation: str,
    table: str,
    rows: Any,
    options: AsyncRowPartitionOptions,
    send: Callable[[AsyncClient, _Chunk, _Tally], Any],
    key_column: str | None = None,
) -> PartitionSummary:
    """The part of a row job insert and upsert share: the options, the chunks, the run."""
    _check_options(options, AsyncRowPartitionOptions, f"a{operation}_partition")
    partition = options.get("partition")
    chunk_size = options.get("chunk_size", MAX_ROWS_PER_REQUEST)
    _check_chunk_size(chunk_size)
    # The job's name keys its checkpoint records: the same partition of another table (or
    # key column) is another job.
    parts = [operation, table, str(partition)]
    if key_column is not None:
        parts.append(key_column)
    return await _run(
        spec,
        operation,
        rows,
        chunker=_row_chunker(chunk_size, partition, key_column),
        send=send,
        job="\0".join(parts),
        checkpoint=options.get("checkpoint"),
        client=options.get("client"),
        by_content=True,
    )


@blocking_twin(
    """Insert one partition's rows into ``table`` from a worker, and summarise what happened.

    Blocks; runs on the SDK's own event loop with the worker's cached client, so any number
    of partitions in one process share one connection pool.
    """
)
async def ainsert_rows_partition(
    spec: ClientSpec,
    table: str,
    rows: Iterable[Mapping[str, Any]] | Any,
    **options: Unpack[AsyncRowPartitionOptions],
) -> PartitionSummary:
    """Insert one partition's rows into ``table``; the coroutine twin of `insert_rows_partition`.

    Args:
        spec: how to build the worker's client.
        table: the table's name or id.
        rows: the partition's rows: mappings, or a pandas DataFrame.
        options: see `AsyncRowPartitionOptions`.
    """
    table = _check_table(table)

    async def send(client: AsyncClient, chunk: _Chunk, tally: _Tally) -> None:
        answer = await client.call(
            "createTableRows",
            {"table": table, "rows": chunk.items},
            max_retries=min(spec.max_retries, BULK_MAX_RETRIES),
        )
        if isinstance(answer, Mapping):
            tally.created += len(answer.get("rows") or ())

    return await _run_rows(spec, "insert_rows", table, rows, options, send)


@blocking_twin("""Upsert one partition's rows by ``key_column`` from a worker, and summarise it.""")
async def aupsert_rows_partition(
    spec: ClientSpec,
    table: str,
    rows: Iterable[Mapping[str, Any]] | Any,
    *,
    key_column: str = "id",
    **options: Unpack[AsyncRowPartitionOptions],
) -> PartitionSummary:
    """Upsert one partition's rows by ``key_column``; the coroutine twin of `upsert_rows_partition`.

    Upserts are safe to repeat, so a checkpoint only saves the requests of a re-run.

    Args:
        spec: how to build the worker's client.
        table: the table's name or id.
        rows: the partition's rows, each with a value for ``key_column``.
        key_column: the column that identifies a row; failed rows are listed by its value.
        options: see `AsyncRowPartitionOptions`.
    """
    table = _check_table(table)
    if not _nonempty(key_column):
        raise ConfigurationError(f"key_column must be a column name, got {key_column!r}")

    async def send(client: AsyncClient, chunk: _Chunk, tally: _Tally) -> None:
        answer = await client.call(
            "upsertTableRows",
            {"table": table, "rows": chunk.items, "keyColumn": key_column},
            max_retries=spec.max_retries,
        )
        if isinstance(answer, Mapping):
            tally.created += len(answer.get("inserted") or ())
            tally.updated += len(answer.get("updated") or ())

    return await _run_rows(spec, "upsert_rows", table, rows, options, send, key_column)


def _single_chunker(
    key_of: Callable[[int, Any], tuple[Key, str | None]],
) -> Callable[[AsyncIterator[Any]], AsyncIterator[_Chunk]]:
    async def chunks(items: AsyncIterator[Any]) -> AsyncIterator[_Chunk]:
        position = 0
        async for item in items:
            key, problem = key_of(position, item)
            yield _Chunk(position, position, [item], [key], invalid=problem)
            position += 1

    return chunks


def _file_key(position: int, item: Any) -> tuple[Key, str | None]:
    if isinstance(item, Mapping) and isinstance(item.get("key"), str) and item["key"]:
        return item["key"], None
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and item[0]:
        return item[0], None
    return position, (
        f"item {position} is not a mapping of upload_file arguments with a 'key', nor a "
        "(key, content) pair"
    )


@blocking_twin(
    """Upload one partition's files from a worker, and summarise it.

    Args:
        spec: how to build the worker's client.
        items: mappings of ``upload_file`` arguments or ``(key, content)`` pairs.
        options: see `PartitionOptions`.
    """
)
async def aupload_files_partition(
    spec: ClientSpec, items: Iterable[Any], **options: Unpack[AsyncPartitionOptions]
) -> PartitionSummary:
    """Upload one partition's files; the coroutine twin of `upload_files_partition`.

    Args:
        spec: how to build the worker's client.
        items: mappings of ``upload_file`` arguments (``{"key": ..., "content": ...}``) or
            ``(key, content)`` pairs; failed files are listed by key.
        options: see `AsyncPartitionOptions`.
    """
    _check_options(options, AsyncPartitionOptions, "aupload_files_partition")

    async def send(client: AsyncClient, chunk: _Chunk, tally: _Tally) -> None:
        item = chunk.items[0]
        if isinstance(item, Mapping):
            await client.files.upload_file(**item)
        else:
            await client.files.upload_file(item[0], item[1])
        tally.created += 1

    return await _run(
        spec,
        "upload_files",
        items,
        chunker=_single_chunker(_file_key),
        send=send,
        job="upload_files",
        checkpoint=options.get("checkpoint"),
        client=options.get("client"),
    )


_MESSAGE_FIELDS: Final = frozenset(
    {"userId", "conversationId", "type", "payload", "tags", "schedule", "origin"}
)


@blocking_twin(
    """Back-fill one partition's messages with ``getOrCreateMessage``; safe to re-run.

    Args:
        spec: how to build the worker's client.
        messages: ``getOrCreateMessage`` inputs, each with ``tags[tag]`` set.
        tag: the discriminating tag that makes a message unique in its conversation.
        options: see `PartitionOptions`.
    """
)
async def abackfill_messages_partition(
    spec: ClientSpec,
    messages: Iterable[Mapping[str, Any]],
    *,
    tag: str,
    **options: Unpack[AsyncPartitionOptions],
) -> PartitionSummary:
    """Back-fill messages, safe to re-run; the coroutine twin of `backfill_messages_partition`.

    Args:
        spec: how to build the worker's client.
        messages: ``getOrCreateMessage`` inputs (``userId``, ``conversationId``, ``type``,
            ``payload``, ``tags``); each one's ``tags[tag]`` names it uniquely in its
            conversation.
        tag: the discriminating tag: a message whose conversation already holds one with the
            same value of this tag is found, not created again.
        options: see `AsyncPartitionOptions` (a checkpoint only saves the requests of a
            re-run).
    """
    _check_options(options, AsyncPartitionOptions, "abackfill_messages_partition")
    if not _nonempty(tag):
        raise ConfigurationError(f"tag must be the name of a message tag, got {tag!r}")

    def key_of(position: int, item: Any) -> tuple[Key, str | None]:
        if not isinstance(item, Mapping):
            return position, f"message {position} is a {type(item).__name__}, not a mapping"
        tags = item.get("tags")
        value = tags.get(tag) if isinstance(tags, Mapping) else None
        if not isinstance(value, str) or not value:
            return position, (
                f"message {position} has no tags[{tag!r}]: a back-fill needs the "
                "discriminating tag on every message, or a re-run would create it twice"
            )
        unknown = set(item) - _MESSAGE_FIELDS
        if unknown:
            return value, f"message {position} has unknown fields {sorted(unknown)}"
        return value, None

    async def send(client: AsyncClient, chunk: _Chunk, tally: _Tally) -> None:
        answer = await client.call(
            "getOrCreateMessage",
            {**chunk.items[0], "discriminateByTags": [tag]},
            max_retries=spec.max_retries,
        )
        meta = answer.get("meta") if isinstance(answer, Mapping) else None
        if isinstance(meta, Mapping) and meta.get("created") is False:
            tally.updated += 1
        else:
            tally.created += 1

    return await _run(
        spec,
        "backfill_messages",
        messages,
        chunker=_single_chunker(key_of),
        send=send,
        job=f"backfill_messages\0{tag}",
        checkpoint=options.get("checkpoint"),
        client=options.get("client"),
    )
