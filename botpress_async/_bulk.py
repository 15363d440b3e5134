"""The bulk runner: one call per input item, bounded and adaptive, every item accounted for.

::

    result = await run_bulk(send_one, items, concurrency=32)
    result.succeeded   # [(item, response), ...]   (or only counted, keep_results=False)
    result.failed      # [ItemFailure(item, error), ...]
    result.not_run     # items never started (fail fast, or the job was cancelled)

Items are pulled from the input only when a slot is free, so a generator of millions of
items is never held in memory. Calls share one `AdaptiveLimiter`: a 429 or 503 seen by any
call lowers the job's concurrency and pauses it for ``Retry-After``.

The calls are plain asyncio tasks, not an anyio task group: a task group's per-task handle
(a cancel scope and an event for each call) tripled the runner's CPU per item, and the
runner already waits for or cancels every task it starts before it returns.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable, Sized
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
    owner = getattr(operation, "__self__", None)
    twin_owner = getattr(owner, "_async", None)
    name = getattr(operation, "__name__", "")
    twin = getattr(twin_owner, name, None) if twin_owner is not None else None
    if twin is not None and inspect.iscoroutinefunction(twin):
        return twin  # type: ignore[no-any-return]
    raise ConfigurationError(
        f"bulk() needs a method of the client, such as client.runtime.create_message; "
        f"got {operation!r}"
    )


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
    limiter = AdaptiveLimiter(settings.concurrency, adaptive=settings.adaptive)
    result: BulkResult[T, R] = BulkResult()
    started = time.monotonic()
    report = settings.on_progress
    if settings.progress_bar:
        report = both(report, progress_bar(len(items) if isinstance(items, Sized) else None))
    fail_fast, keep_results = settings.fail_fast, settings.keep_results
    max_connection_failures = settings.max_connection_failures
    source = _aiter(items)
    stop = asyncio.Event()
    running: dict[asyncio.Task[Any], tuple[int, T]] = {}
    loop = asyncio.get_running_loop()
    last_report = 0.0

    def snapshot(final: bool = False) -> BulkProgress:
        return BulkProgress(
            done=result.succeeded_count,
            failed=len(result.failed),
            in_flight=len(running),
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

    # Indices whose call began: a task cancelled before its first step never sent anything.
    begun: set[int] = set()
    connection_failures = 0

    async def one(index: int, item: T) -> None:
        nonlocal connection_failures
        begun.add(index)
        stopped = False
        try:
            response = await func(item)
        except asyncio.CancelledError:
            if stop.is_set():
                stopped = True
                raise  # the runner is stopping: stop_all accounts for this item
            # Cancelled from inside the call (a cancel scope of its own): still an outcome.
            result.failed.append(
                ItemFailure(item=item, error=BulkCancelled("the call was cancelled"), index=index)
            )
        except Exception as exc:
            result.failed.append(ItemFailure(item=item, error=exc, index=index))
            if fail_fast:
                request_stop()
            if isinstance(exc, APIConnectionError):
                connection_failures += 1
                if (
                    max_connection_failures is not None
                    and connection_failures >= max_connection_failures
                    and not stop.is_set()
                ):
                    result.stop_reason = (
                        f"{connection_failures} calls in a row could not reach the API "
                        f"(last: {exc}); the items not started are in not_run"
                    )
                    logger.warning("bulk job stopped: %s", result.stop_reason)
                    request_stop()
            else:
                connection_failures = 0
        else:
            connection_failures = 0
            limiter.on_success()
            result.succeeded_count += 1
            if keep_results:
                result.succeeded.append((item, response))
        finally:
            if not stopped:
                begun.discard(index)
            limiter.release()
            maybe_report()

    def request_stop() -> None:
        stop.set()
        limiter.wake()

    if settings.cancel is not None:

        def from_any_thread() -> None:
            loop.call_soon_threadsafe(request_stop)

        settings.cancel._subscribe(from_any_thread)

    async def stop_all() -> None:
        # Cancel what runs; a task that never began gives its item (and slot) back unsent.
        pending = dict(running)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(list(pending))
        for task, (index, item) in sorted(pending.items(), key=lambda kv: kv[1][0]):
            if not task.cancelled():
                continue
            if index in begun:
                begun.discard(index)
                result.failed.append(
                    ItemFailure(
                        item=item,
                        error=BulkCancelled("the job was stopped while this call was in flight"),
                        index=index,
                    )
                )
            else:
                limiter.release()
                result.not_run.append(item)

    token = current_limiter.set(limiter)
    index = 0
    exhausted = False
    try:
        while await limiter.acquire(stop.is_set):
            try:
                item = await source.__anext__()
            except StopAsyncIteration:
                limiter.release()
                exhausted = True
                break
            if stop.is_set():  # the stop came while the input was being read
                limiter.release()
                result.not_run.append(item)
                break
            task = asyncio.ensure_future(one(index, item))
            running[task] = (index, item)
            task.add_done_callback(running.__delitem__)
            index += 1
            if index == 1:
                await _first_call(task, stop, result.failed)
        if running and not stop.is_set():
            # Wait for the last calls, unless a stop (fail fast, cancel) arrives meanwhile.
            stopper = asyncio.ensure_future(stop.wait())
            try:
                while running and not stop.is_set():
                    await asyncio.wait([stopper, *running], return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
    except BaseException:
        # Cancelled, or the input itself raised: no call may outlive the job.
        request_stop()
        await stop_all()
        await source.aclose()
        raise
    finally:
        current_limiter.reset(token)

    if running or not exhausted:
        result.cancelled = True
        await stop_all()
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


async def _first_call(
    task: asyncio.Task[Any], stop: asyncio.Event, failed: list[ItemFailure[Any]]
) -> None:
    """Let the job's first call run to its first wait; raise its error if no call can work.

    Such errors (no bot id, a scope error, a closed client) come from the checks made before
    anything is sent, so they show before the call first waits on the network; the other
    calls are started only then. A clear error beats thousands of identical failures.
    """
    for _ in range(_FIRST_STEPS):
        if task.done() or stop.is_set():
            break
        await asyncio.sleep(0)
    if task.done() and failed and _job_wide(failed[0].error):
        raise failed.pop(0).error


# Loop turns given to the first call: enough for the checks behind a few awaits that finish
# without waiting, while a call that waits on the network lets the job go on at once.
_FIRST_STEPS: Final = 4

# Errors of the first call that every other call would meet too.
_JOB_WIDE: Final = (ConfigurationError, ClientStateError)


def _job_wide(error: BaseException) -> bool:
    # A bad item (a row without its key, say) is that item's failure, not the job's.
    return isinstance(error, _JOB_WIDE) and not isinstance(error, InvalidItemError)
