"""The bulk runner: one call per input item, bounded and adaptive, every item accounted for.

::

    result = await run_bulk(send_one, items, concurrency=32)
    result.succeeded   # [(item, response), ...]   (or only counted, keep_results=False)
    result.failed      # [ItemFailure(item, error), ...]
    result.not_run     # items never started (fail fast, or the job was cancelled)

Items are pulled from the input only when a slot is free, so a generator of millions of
items is never held in memory. Calls share one `AdaptiveLimiter`: a 429 or 503 seen by any
call lowers the job's concurrency and pauses it for ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import sys
import threading
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from types import FrameType
from typing import Any, Final, Generic, TypeVar

import attrs

from ._errors import (
    APIConnectionError,
    APIError,
    BulkCancelled,
    BulkError,
    ClientStateError,
    ConfigurationError,
    InvalidItemError,
    install_hint,
)
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
]

T = TypeVar("T")
R = TypeVar("R")

#: Retries per request of every bulk helper (rows, files, ``client.bulk``): jobs meet rate
#: limits and flaky moments by design. Under 8% of attempts failing with 503 or 429, a
#: request fails for good about once in 10^8 tries, where the default 2 lose one in 2,000.
BULK_MAX_RETRIES: Final = 6

#: A job stops after this many calls in a row failed without reaching the API (each after
#: its own retries): the server is gone, and hammering it helps nobody.
MAX_CONNECTION_FAILURES: Final = 10

_PROGRESS_INTERVAL = 0.25
# How many never-run items a stopped job lists before it leaves the rest of the input unread.
_NOT_RUN_LIMIT = 1_000_000


def outcome_unknown(error: BaseException) -> bool:
    """Whether a call that raised ``error`` may still have been carried out by the server."""
    if isinstance(error, (APIConnectionError, BulkCancelled)):
        return bool(getattr(error, "sent", True))
    if isinstance(error, APIError):
        # A 5xx can come after the work was done; 429 and 4xx answers were refusals.
        return error.status >= 500
    return False


@attrs.frozen(kw_only=True)
class ItemFailure(Generic[T]):
    """An item whose call failed.

    Attributes:
        item: the input item.
        error: the exception its call raised.
        index: the item's position in the input.
    """

    item: T
    error: BaseException
    index: int

    @property
    def outcome_unknown(self) -> bool:
        """True when the request may have been carried out although it failed (a reset after
        sending, a timeout, a 5xx): check before sending it again if it is not idempotent."""
        return outcome_unknown(self.error)


@attrs.frozen(kw_only=True)
class BulkProgress:
    """A snapshot of a running job, given to the ``on_progress`` callback.

    Attributes:
        done: items whose call succeeded.
        failed: items whose call failed.
        in_flight: items whose call runs now.
        concurrency: the job's current limit on calls in flight.
        elapsed: seconds since the job started.
        final: true for the last report, once the job is over.
    """

    done: int
    failed: int
    in_flight: int
    concurrency: int
    elapsed: float
    final: bool = False

    @property
    def rate(self) -> float:
        """Finished items per second so far."""
        return (self.done + self.failed) / self.elapsed if self.elapsed > 0 else 0.0


@attrs.define(kw_only=True)
class BulkResult(Generic[T, R]):
    """What happened to every item of a job; each item is in exactly one place.

    Attributes:
        succeeded: ``(item, response)`` pairs, in completion order (empty when the job ran
            with ``keep_results=False``; `succeeded_count` still counts them).
        failed: the items whose call failed, with their errors.
        not_run: the items that were never started (after a fail-fast stop or a cancel).
        succeeded_count: how many items succeeded.
        cancelled: whether the job was stopped before every item ran.
        elapsed: the job's duration in seconds.
        throttled: how many 429 or 503 answers the job's calls received (retried or not).
        input_left: true when a stopped job left input unread because ``not_run`` reached a
            million items (an endless input cannot hold a stop up).
        stop_reason: why the job stopped early on its own (the API could not be reached by
            a run of calls in a row), or ``None``.
    """

    succeeded: list[tuple[T, R]] = attrs.Factory(list)
    failed: list[ItemFailure[T]] = attrs.Factory(list)
    not_run: list[T] = attrs.Factory(list)
    succeeded_count: int = 0
    cancelled: bool = False
    elapsed: float = 0.0
    throttled: int = 0
    input_left: bool = False
    stop_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when every item ran and succeeded."""
        return not self.failed and not self.not_run and not self.cancelled

    @property
    def total(self) -> int:
        """Items accounted for: succeeded, failed and never run."""
        return self.succeeded_count + len(self.failed) + len(self.not_run)

    def raise_for_failures(self) -> None:
        """Raise `BulkError` (carrying this result) unless every item succeeded."""
        if not self.ok:
            raise BulkError(self)

    def __repr__(self) -> str:
        return (
            f"<BulkResult succeeded={self.succeeded_count} failed={len(self.failed)} "
            f"not_run={len(self.not_run)}{' cancelled' if self.cancelled else ''}>"
        )


class CancelToken:
    """Stops a running job from any thread; the job then returns what it has done.

    Calls in flight are cancelled (their items are reported failed with `BulkCancelled`,
    outcome unknown) and items not started are reported in ``not_run``. To keep that
    account when the user presses Ctrl-C, use `CancelToken.on_ctrl_c`.
    """

    def __init__(self) -> None:
        self._flag = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        # Re-entrant: a Ctrl-C handler may cancel while this thread is inside _subscribe.
        self._lock = threading.RLock()

    @classmethod
    @contextlib.contextmanager
    def on_ctrl_c(cls) -> Iterator[CancelToken]:
        """A token that Ctrl-C cancels while the block runs, so the job returns its account.

        ::

            with CancelToken.on_ctrl_c() as cancel:
                result = await client.bulk(op, items, cancel=cancel)
            print(result.succeeded_count, len(result.not_run))

        The first Ctrl-C stops the job (it returns normally, with ``cancelled`` set); a
        second one raises `KeyboardInterrupt` as usual. Use it in the main thread, where
        Python delivers signals.

        Raises:
            ConfigurationError: called from another thread than the main one.
        """
        if threading.current_thread() is not threading.main_thread():
            raise ConfigurationError(
                "CancelToken.on_ctrl_c() works in the main thread only (signals are delivered "
                "there); from another thread, call token.cancel() yourself"
            )
        token = cls()
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum: int, frame: FrameType | None) -> None:
            if token.cancelled:  # the second Ctrl-C: the user really wants out
                signal.signal(signal.SIGINT, previous)
                raise KeyboardInterrupt
            token.cancel()

        signal.signal(signal.SIGINT, handler)
        try:
            yield token
        finally:
            signal.signal(signal.SIGINT, previous)

    @property
    def cancelled(self) -> bool:
        """Whether `cancel` was called."""
        return self._flag.is_set()

    def cancel(self) -> None:
        """Ask the job to stop; safe to call from any thread, more than once."""
        with self._lock:
            self._flag.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def _subscribe(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self._flag.is_set():
                self._callbacks.append(callback)
                return
        callback()


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


async def _aiter(items: Iterable[T] | AsyncIterable[T]) -> AsyncGenerator[T, None]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def progress_bar_reporter(
    total: int | None,
    *,
    unit: str = "item",
    count: Callable[[BulkProgress], int] | None = None,
) -> Callable[[BulkProgress], None] | None:
    """A progress callback drawing a tqdm bar, or None when none should be drawn.

    A bar is drawn on a terminal only (standard error), unless ``BP_PROGRESS_BAR=always``
    forces it (a notebook, a CI log that renders bars); without tqdm a one-line hint names
    the extra to install.

    Args:
        total: the number of units the job will settle, when known.
        unit: what the bar counts, as tqdm shows it.
        count: the units settled so far, from a snapshot; items done plus failed by default.
    """
    forced = os.environ.get("BP_PROGRESS_BAR", "").lower() == "always"
    if not forced and not (sys.stderr is not None and sys.stderr.isatty()):
        return None  # a bar in a log file or a pipe is only noise
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        print(f"progress bar: tqdm is missing; {install_hint('progress')}", file=sys.stderr)
        return None
    bar = tqdm(total=total, unit=unit, dynamic_ncols=True)

    def update(p: BulkProgress) -> None:
        bar.n = count(p) if count is not None else p.done + p.failed
        bar.set_postfix(failed=p.failed, in_flight=p.in_flight, concurrency=p.concurrency)
        bar.refresh()
        if p.final:
            bar.close()

    return update


async def run_bulk(
    func: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = 16,
    adaptive: bool = True,
    fail_fast: bool = False,
    keep_results: bool = True,
    on_progress: Callable[[BulkProgress], None] | None = None,
    progress_bar: bool = False,
    cancel: CancelToken | None = None,
    max_connection_failures: int | None = MAX_CONNECTION_FAILURES,
) -> BulkResult[T, R]:
    """Call ``func`` once per item with bounded, adaptive concurrency; account for every item.

    The first item's call starts alone: when its checks before sending raise
    `ConfigurationError` (no bot id, a scope error, a bad argument) or `ClientStateError`,
    that error is raised at once and no other item is started, since every call would fail
    the same way.

    Args:
        func: the coroutine function to call with each item.
        items: any iterable or async iterable; it is consumed lazily.
        concurrency: the most calls in flight at once.
        adaptive: lower the concurrency on 429 and 503 answers and raise it back as calls
            succeed (additive increase, multiplicative decrease).
        fail_fast: stop at the first failure: cancel the calls in flight, start no more, and
            raise `BulkError` carrying the result.
        keep_results: keep each ``(item, response)``; turn off for huge jobs to keep memory
            flat (failures are always kept).
        on_progress: called with a `BulkProgress` about four times a second and at the end.
        progress_bar: show a terminal progress bar (needs tqdm).
        cancel: a `CancelToken` to stop the job from elsewhere.
        max_connection_failures: stop the job (see ``BulkResult.stop_reason``) after this
            many calls in a row failed with `APIConnectionError`; ``None`` never stops.
    """
    limiter = AdaptiveLimiter(concurrency, adaptive=adaptive)
    result: BulkResult[T, R] = BulkResult()
    started = time.monotonic()
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    report = on_progress
    if progress_bar:
        bar = progress_bar_reporter(total)
        if bar is not None:
            report = bar if on_progress is None else _both(on_progress, bar)
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

    if cancel is not None:

        def from_any_thread() -> None:
            loop.call_soon_threadsafe(request_stop)

        cancel._subscribe(from_any_thread)

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


def _both(
    first: Callable[[BulkProgress], None], second: Callable[[BulkProgress], None]
) -> Callable[[BulkProgress], None]:
    def call(progress: BulkProgress) -> None:
        first(progress)
        second(progress)

    return call
