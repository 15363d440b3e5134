"""The bulk runner: one call per input item, bounded and adaptive, every item accounted for.

::

    result = await run_bulk(send_one, items, concurrency=32, keep_results=True)
    result.succeeded   # [(item, response), ...]   (by default only counted: succeeded_count)
    result.failed      # [ItemFailure(item, error), ...]
    result.not_run     # items never started (fail fast, or the job was cancelled)

Items are pulled from the input only when a slot is free, so a generator of millions of
items is never held in memory. Calls share one `AdaptiveLimiter`: a 429 or 503 seen by any
call lowers the job's concurrency and pauses it for ``Retry-After``.

The calls run in ``concurrency`` workers of one anyio task group, each pulling the next item
when the limiter gives it a slot, so no call outlives the job whichever way it ends, and no
task is made per item. A stop (fail fast, a `CancelToken`, the API out of reach) cancels the
cancel scopes of the calls in flight and lets the workers leave.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from typing import Any, Final, TypeVar

from typing_extensions import Unpack

from ._bulk_options import (
    BULK_MAX_RETRIES,
    MAX_CONNECTION_FAILURES,
    JobSettings,
    RunBulkOptions,
    job_settings,
)
from ._bulk_results import BulkProgress, BulkResult, CancelToken, ItemFailure, outcome_unknown
from ._errors import (
    APIConnectionError,
    ArgumentTypeError,
    BulkCancelled,
    BulkError,
    ClientStateError,
    ConfigurationError,
    InvalidItemError,
)
from ._progress import both, progress_bar
from ._session import logger
from ._throttle import AdaptiveLimiter, current_limiter

__all__ = [
    "BULK_MAX_RETRIES",
    "MAX_CONNECTION_FAILURES",
    "BulkCancelled",
    "BulkError",
    "BulkProgress",
    "BulkResult",
    "CancelToken",
    "ItemFailure",
    "outcome_unknown",
    "resolve_operation",
    "run_bulk",
    "run_job",
]

T = TypeVar("T")
R = TypeVar("R")

_PROGRESS_INTERVAL = 0.25
# How many never-run items a stopped job lists before it leaves the rest of the input unread.
_NOT_RUN_LIMIT = 1_000_000


def resolve_operation(operation: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """The coroutine function behind ``operation``: itself, or a blocking method's async twin.

    Raises:
        ConfigurationError: ``operation`` is neither.
    """
    if inspect.iscoroutinefunction(operation):
        return operation
    from ._facades import async_twin

    twin = async_twin(operation)
    if twin is not None:
        return twin
    raise ConfigurationError(
        f"bulk() needs a method of the client, such as client.runtime.create_message; "
        f"got {operation!r}"
    )


def _iterable(items: object) -> bool:
    """Whether ``items`` can be walked: an (async) iterable, or a sequence ``iter`` takes."""
    return isinstance(items, (Iterable, AsyncIterable)) or hasattr(items, "__getitem__")


async def _aiter(items: Iterable[T] | AsyncIterable[T]) -> AsyncGenerator[T, None]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


async def run_bulk(
    func: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    **options: Unpack[RunBulkOptions],
) -> BulkResult[T, R]:
    """Call ``func`` once per item with bounded, adaptive concurrency; account for every item.

    The first item's call starts alone: when its checks before sending raise
    `ConfigurationError` (no bot id, a scope error, a bad argument) or `ClientStateError`,
    that error is raised at once and no other item is started, since every call would fail
    the same way.

    Args:
        func: the coroutine function to call with each item.
        items: any iterable or async iterable; it is consumed lazily.
        options: the job's options, described in `RunBulkOptions` (``concurrency``,
            ``fail_fast``, ``keep_results``, ``cancel``, ``on_progress``...).

    Raises:
        BulkError: with ``fail_fast=True``, when an item failed or did not run.
        ConfigurationError: an unknown option or a bad value, or the first call's job-wide
            error.
    """
    return await run_job(func, items, job_settings(options, RunBulkOptions, caller="run_bulk"))


async def run_job(
    func: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    settings: JobSettings,
) -> BulkResult[T, R]:
    """`run_bulk` with options already checked: what the bulk helpers call.

    Args:
        func: the coroutine function to call with each item.
        items: any iterable or async iterable; it is consumed lazily.
        settings: the job's checked options.
    """
    if not callable(func):
        raise ArgumentTypeError(
            f"a bulk job calls a coroutine function per item, not {type(func).__name__}",
            argument="func",
        )
    if not _iterable(items):
        raise ArgumentTypeError(
            f"the items of a bulk job must be an iterable or async iterable, not "
            f"{type(items).__name__}",
            argument="items",
        )
    # Imported here: ``import botpress_async`` stays free of anyio until a job runs.
    import anyio
    import anyio.lowlevel

    limiter = AdaptiveLimiter(settings.concurrency, adaptive=settings.adaptive)
    result: BulkResult[T, R] = BulkResult()
    started = time.monotonic()
    report = settings.on_progress
    if settings.progress_bar:
        report = both(report, progress_bar(len(items) if isinstance(items, Sized) else None))
    fail_fast, keep_results = settings.fail_fast, settings.keep_results
    max_connection_failures = settings.max_connection_failures
    # A plain iterable is read with next(): that never waits, so no other worker can read at
    # the same time and neither the lock nor the async generator is needed (six Python
    # calls per item). What is left of it after a stop is read through `source` as before.
    plain: Iterator[T] | None = None
    if not isinstance(items, AsyncIterable):
        try:
            plain = iter(items)
        except Exception:
            plain = None  # the first read raises it, as it does for any input
    source = _aiter(items if plain is None else plain)
    # One reader at a time: an async generator cannot be advanced by two workers at once.
    # asyncio's lock takes no loop turn when it is free, unlike anyio's by default.
    reading = asyncio.Lock()
    stop = asyncio.Event()
    # Opened once the first call has shown it is not failing for every item (see below).
    gate = asyncio.Event()
    first_read = asyncio.Event()  # the first item is read (or there is none, or a stop)
    # The cancel scope of each worker: a stop cancels them all. One scope per worker rather
    # than per call, because entering and leaving an anyio scope per call cost about 16,000
    # instructions of an uploaded file's 1.16 million. What a scope must not interrupt
    # (reading an async input: its item would be lost) runs shielded.
    scopes: set[anyio.CancelScope] = set()
    # anyio.CancelScope() looks the running backend up on every call; its class, found once,
    # builds the same scope without that lookup.
    new_scope: type[anyio.CancelScope] = type(anyio.CancelScope())
    in_flight = 0  # calls started and not settled, for the progress reports
    loop = asyncio.get_running_loop()
    cancelled = anyio.get_cancelled_exc_class()
    last_report = 0.0
    connection_failures = 0
    next_index = 0
    exhausted = False
    fatal: BaseException | None = None
    first_settled = False
    # One worker per slot, but no more than there are items when the input says how many.
    workers = settings.concurrency
    if isinstance(items, Sized):
        workers = max(1, min(workers, len(items)))

    def snapshot(final: bool = False) -> BulkProgress:
        return BulkProgress(
            done=result.succeeded_count,
            failed=len(result.failed),
            in_flight=in_flight,
            concurrency=limiter.limit,
            elapsed=time.monotonic() - started,
            final=final,
        )

    def maybe_report(force: bool = False) -> None:
        nonlocal last_report
        if report is None:
            return
        now = time.monotonic()
        if force or now - last_report >= _PROGRESS_INTERVAL:
            last_report = now
            report(snapshot(final=force))

    def request_stop() -> None:
        stop.set()
        gate.set()  # a worker waiting there must see the stop
        first_read.set()
        limiter.wake()
        for scope in scopes:
            scope.cancel()

    def failed(index: int, item: T, error: BaseException) -> None:
        nonlocal connection_failures
        result.failed.append(ItemFailure(item=item, error=error, index=index))
        if fail_fast:
            request_stop()
        if not isinstance(error, APIConnectionError):
            connection_failures = 0
            return
        connection_failures += 1
        if (
            max_connection_failures is not None
            and connection_failures >= max_connection_failures
            and not stop.is_set()
        ):
            result.stop_reason = (
                f"{connection_failures} calls in a row could not reach the API "
                f"(last: {error}); the items not started are in not_run"
            )
            logger.warning("bulk job stopped: %s", result.stop_reason)
            request_stop()

    async def worker() -> None:
        scope = new_scope()
        scopes.add(scope)
        try:
            with scope:
                await work(scope)
        finally:
            scopes.discard(scope)

    async def work(scope: anyio.CancelScope) -> None:
        """Take items and call `func` on them until the input ends or the job stops.

        A stop cancels ``scope``: a call in flight then raises the cancellation, which is
        accounted for and raised on to the scope that absorbs it; a wait for a slot or for
        the gate ends the same way, holding no item.
        """
        nonlocal next_index, exhausted, fatal, first_settled, connection_failures, in_flight
        while True:
            # Every read after the first waits for the first call's verdict. Both waits are
            # skipped when nothing is to be waited for: each would cost a coroutine per item.
            if next_index and not gate.is_set():
                await gate.wait()
            if stop.is_set() or (
                not limiter.try_acquire() and not await limiter.acquire(stop.is_set)
            ):
                return
            if plain is None:
                await reading.acquire()
            try:
                if stop.is_set() or exhausted:
                    limiter.release()
                    return
                try:
                    if plain is not None:
                        item = next(plain)
                    else:
                        with new_scope(shield=True):  # a stop must not lose the item read
                            item = await source.__anext__()
                except (StopIteration, StopAsyncIteration):
                    exhausted = True
                    first_read.set()
                    limiter.release()
                    return
                except cancelled:
                    raise  # the job is cancelled from outside
                except BaseException as exc:
                    # The input itself raised (a KeyboardInterrupt in a generator too): stop
                    # every call; the runner raises it as it is.
                    fatal = _graver(fatal, exc)
                    limiter.release()
                    request_stop()
                    return
                index = next_index
                next_index += 1
            finally:
                if plain is None:
                    reading.release()
            if stop.is_set():  # the stop came while the input was being read
                limiter.release()
                result.not_run.append(item)
                return
            if index == 0:
                first_read.set()
            in_flight += 1
            try:
                try:
                    response = await func(item)
                finally:
                    in_flight -= 1
            except cancelled:
                if scope.cancel_called:
                    # The job's stop reached this call in flight.
                    stopped = BulkCancelled("the job was stopped while this call was in flight")
                    result.failed.append(ItemFailure(item=item, error=stopped, index=index))
                    result.cancelled = True
                    raise  # to the worker's scope, which absorbs it
                if anyio.current_effective_deadline() == -math.inf:
                    raise  # the job itself is cancelled from outside: no account is owed
                # Cancelled from inside the call (a cancel scope of its own): still an outcome.
                failed(index, item, BulkCancelled("the call was cancelled"))
            except Exception as exc:
                failed(index, item, exc)
            except BaseException as exc:
                # KeyboardInterrupt, SystemExit and the like end the job, not the item: left to
                # the task group they would come out wrapped in a BaseExceptionGroup, which a
                # caller's `except KeyboardInterrupt` does not catch. The runner raises it as
                # it is once the other calls are stopped.
                fatal = _graver(fatal, exc)
                request_stop()
                return
            else:
                connection_failures = 0
                limiter.on_success()
                result.succeeded_count += 1
                if keep_results:
                    result.succeeded.append((item, response))
            finally:
                limiter.release()
                if index == 0:
                    first_settled = True
            try:
                maybe_report()
            except BaseException as exc:
                # The caller's progress callback failed: stop, and raise its error as it is
                # (not wrapped in the task group's exception group).
                fatal = _graver(fatal, exc)
                request_stop()
                return

    if settings.cancel is not None:

        def from_any_thread() -> None:
            loop.call_soon_threadsafe(request_stop)

        settings.cancel._subscribe(from_any_thread)

    token = current_limiter.set(limiter)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(worker)
            # The first call runs alone until it waits on the network or ends.
            await first_read.wait()
            for _ in range(_FIRST_STEPS):
                if first_settled or stop.is_set():
                    break
                await anyio.lowlevel.checkpoint()
            if first_settled and result.failed and _job_wide(result.failed[0].error):
                fatal = _graver(fatal, result.failed.pop(0).error)
                request_stop()
            else:
                for _ in range(workers - 1):
                    group.start_soon(worker)
                gate.set()
    finally:
        current_limiter.reset(token)
        if fatal is not None or not (exhausted or stop.is_set()):
            # Raised (the input, a job-wide error) or cancelled from outside: no call outlived
            # the task group, and the input is closed before the error goes on.
            await source.aclose()
    if fatal is not None:
        raise fatal

    if not exhausted:
        result.cancelled = True
        # Whatever the input still holds never ran; bounded, so an endless input cannot hang.
        async for item in source:
            if len(result.not_run) >= _NOT_RUN_LIMIT:
                result.input_left = True
                break
            result.not_run.append(item)
        await source.aclose()
    result.elapsed = time.monotonic() - started
    result.throttled = limiter.throttled
    maybe_report(force=True)
    result.failed.sort(key=lambda f: f.index)
    if fail_fast and not result.ok:
        raise BulkError(result)
    return result


# Loop turns given to the first call: enough for the checks behind a few awaits that finish
# without waiting, while a call that waits on the network lets the job go on at once.
_FIRST_STEPS: Final = 4

# Errors of the first call that every other call would meet too.
_JOB_WIDE: Final = (ConfigurationError, ClientStateError)


def _job_wide(error: BaseException) -> bool:
    # A bad item (a row without its key, say) is that item's failure, not the job's.
    return isinstance(error, _JOB_WIDE) and not isinstance(error, InvalidItemError)


def _graver(fatal: BaseException | None, error: BaseException) -> BaseException:
    """Which of two errors that each end a job the runner raises.

    The first one, unless the later one is an interruption (KeyboardInterrupt, SystemExit)
    and the first is not: a Ctrl-C pressed while a job is stopping for an ordinary error
    must still stop the program. The ordinary error, which the caller will not see raised,
    is logged.
    """
    if fatal is None:
        return error
    if isinstance(error, _INTERRUPTS) and not isinstance(fatal, _INTERRUPTS):
        logger.warning(
            "bulk job interrupted (%s) while it was stopping for an error: %s: %s",
            type(error).__name__,
            type(fatal).__name__,
            fatal,
        )
        return error
    return fatal


_INTERRUPTS: Final = (KeyboardInterrupt, SystemExit)
