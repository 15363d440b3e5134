"""What a bulk job reports: its result, each failure, progress snapshots, and its cancel token.

These types are shared by the runner (`run_bulk`), the helpers built on it (rows, files,
``client.bulk``) and the command line, so they sit below all of them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Generic, TypeVar

import attrs

from ._errors import APIConnectionError, APIError, BulkCancelled, BulkError, ConfigurationError

__all__ = [
    "BulkProgress",
    "BulkResult",
    "CancelToken",
    "ItemFailure",
    "outcome_unknown",
]

T = TypeVar("T")
R = TypeVar("R")


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
        succeeded: ``(item, response)`` pairs, in completion order, when the job ran with
            ``keep_results=True``; empty otherwise (the default), and `succeeded_count`
            counts them.
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
