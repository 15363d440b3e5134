"""The private event loop that runs the async core on behalf of blocking callers.

One daemon thread per process runs one asyncio loop, started on first use; every
`botpress_sync.Client` of the process hands its coroutines to it. One loop per process rather
than per client because blocking code often makes short-lived clients (one per Django request,
one per cron run): a thread each would cost a thread start per client and leave threads behind,
while one loop multiplexes any number of clients, each with its own connection pool. Fork and
exit handling then have exactly one loop to look after.

What the waiting side guarantees (see `run`):

- a call from the loop's own thread raises `LoopThreadError` instead of deadlocking;
- a thread that already runs its own event loop (Jupyter, async code calling blocking code) just
  blocks, it never touches its own loop;
- KeyboardInterrupt, or any exception, while waiting cancels the task on the loop (so its
  connection is closed and the server sees the abort) and is re-raised within a moment;
- an exception of the coroutine is re-raised in the caller's thread, traceback included, so the
  caller's line shows up on top of the frames that ran in the loop.

After `os.fork()` the child starts a fresh loop and thread on first use; what the parent's loop
and connections were is kept alive and never touched, because finalizing them would unregister
the parent's sockets from the epoll instance that parent and child share. At interpreter exit
the open clients are closed with a short deadline and the loop stops, quietly.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import threading
import warnings
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Generator
from typing import Any, Protocol, TypeVar

__all__ = [
    "LoopStoppedError",
    "LoopThreadError",
    "Owner",
    "iterate",
    "keep_forever",
    "register",
    "run",
    "schedule",
    "started",
    "unregister",
]

_T = TypeVar("_T")

#: Seconds a waiting thread gives a cancelled task to finish (and close its connection).
CANCEL_GRACE = 0.5
#: Seconds the exit handler gives the open clients to close before the loop stops.
EXIT_GRACE = 0.5


class LoopThreadError(RuntimeError):
    """A blocking call was made from the thread that runs the SDK's private event loop.

    Waiting there would deadlock: the loop cannot run the call while it waits for it.
    """


class Owner(Protocol):
    """What the loop needs from a blocking client: how to forget a fork and how to close."""

    def _forget_after_fork(self) -> None:
        """Drop (without closing) everything that belongs to the parent process."""

    async def _close_at_exit(self) -> None:
        """Close the client's connections; called on the loop at interpreter exit."""


class _LoopThread:
    """An asyncio loop running forever in a daemon thread of the process that made it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._main, args=(ready,), name="botpress-sync-loop", daemon=True
        )
        self.thread.start()
        ready.wait()
        self.ident = self.thread.ident

    def _main(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        try:
            self.loop.run_forever()
        finally:
            self._drain()

    def _drain(self) -> None:
        # Runs only when the loop was stopped on purpose (interpreter exit): nothing here may
        # print, because a traceback at exit is exactly what users must not see.
        loop = self.loop
        loop.set_exception_handler(lambda _loop, _context: None)
        with contextlib.suppress(BaseException):
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks, timeout=EXIT_GRACE))
            loop.run_until_complete(loop.shutdown_asyncgens())
        with contextlib.suppress(BaseException):
            loop.close()


class _Call:
    """One coroutine handed to the loop, and the lock its caller waits on."""

    __slots__ = ("coro", "done", "error", "result", "task")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro: Coroutine[Any, Any, Any] | None = coro
        self.done = threading.Lock()
        self.done.acquire()
        self.task: asyncio.Task[Any] | None = None
        self.result: Any = None
        self.error: BaseException | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Create the task on the loop (runs in the loop thread)."""
        coro, self.coro = self.coro, None
        if coro is None:  # cancelled before the loop got to it
            return
        self.task = loop.create_task(coro)
        self.task.add_done_callback(self.finish)

    def finish(self, task: asyncio.Task[Any]) -> None:
        """Record the outcome and wake the caller (runs in the loop thread)."""
        if task.cancelled():
            self.error = LoopStoppedError()
        else:
            # exception() rather than result(): re-raising here would add this frame to the
            # traceback the caller will see.
            self.error = task.exception()
            if self.error is None:
                self.result = task.result()
        self.done.release()

    def cancel(self) -> None:
        """Cancel the task, or drop the coroutine if it has not started (runs in the loop)."""
        if self.task is not None:
            self.task.cancel()
        elif self.coro is not None:
            self.coro.close()
            self.coro = None
            self.done.release()


class LoopStoppedError(RuntimeError):
    """The private event loop stopped (interpreter exit) before the call finished."""

    def __init__(self) -> None:
        super().__init__("the SDK's event loop stopped before the call finished")


_lock = threading.Lock()
_current: _LoopThread | None = None
_owners: weakref.WeakSet[Owner] = weakref.WeakSet()


def _loop_thread() -> _LoopThread:
    current = _current
    if current is not None and current.pid == os.getpid():
        return current
    return _start()


def _start() -> _LoopThread:
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            if _current is not None:  # a fork the at-fork hook did not see
                keep_forever(_current)
            _current = _LoopThread()
        return _current


def run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on the private loop and block until it returns or raises.

    Args:
        coro: the coroutine; it is closed unawaited when the call cannot be made.

    Raises:
        LoopThreadError: when called from the loop's own thread.
    """
    try:
        current = _loop_thread()
        if threading.get_ident() == current.ident:
            raise LoopThreadError(
                "a blocking botpress_sync call was made from the thread that runs its event "
                "loop, which would deadlock; code running on that loop must await the "
                "botpress_async client instead"
            )
        call = _Call(coro)
        current.loop.call_soon_threadsafe(call.start, current.loop)
    except BaseException:
        coro.close()
        raise
    try:
        call.done.acquire()
    except BaseException:
        _abandon(current.loop, call)
        raise
    error = call.error
    if error is None:
        return call.result  # type: ignore[no-any-return]
    call.error = None  # the traceback below refers to this frame; do not make a cycle through it
    try:
        raise error
    finally:
        del error


def _abandon(loop: asyncio.AbstractEventLoop, call: _Call) -> None:
    # The waiting thread was interrupted (Ctrl-C, an exception from a signal handler): stop the
    # task so its connection is closed, give it a moment, then let the interruption through.
    with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing to cancel
        loop.call_soon_threadsafe(call.cancel)
        call.done.acquire(timeout=CANCEL_GRACE)


async def _anext(iterator: AsyncIterator[_T]) -> _T:
    return await iterator.__anext__()


def iterate(iterator: AsyncIterator[_T]) -> Generator[_T, None, None]:
    """Turn an async iterator into a blocking one, one loop round trip per element.

    Pagers use it over pages, so the thread boundary is crossed once per page. When the
    blocking iterator is dropped early, the async one is closed on the loop.
    """
    finished = False
    try:
        while True:
            try:
                item = run(_anext(iterator))
            except StopAsyncIteration:
                finished = True
                return
            yield item
    finally:
        aclose: Callable[[], Coroutine[Any, Any, None]] | None = getattr(iterator, "aclose", None)
        if not finished and aclose is not None:
            with contextlib.suppress(Exception):
                run(aclose())


def register(owner: Owner) -> None:
    """Remember a client so that a fork resets it and interpreter exit closes it."""
    _owners.add(owner)


def unregister(owner: Owner) -> None:
    """Forget a closed client."""
    _owners.discard(owner)


def started() -> bool:
    """Whether this process has started its loop thread."""
    current = _current
    return current is not None and current.pid == os.getpid()


def schedule(close: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine function on the loop without waiting (from a finalizer); no-op if unsafe."""
    current = _current
    if current is None or current.pid != os.getpid() or current.loop.is_closed():
        return
    with contextlib.suppress(RuntimeError):
        current.loop.call_soon_threadsafe(_start_detached, close)


def _start_detached(close: Callable[[], Coroutine[Any, Any, None]]) -> None:
    task = asyncio.get_running_loop().create_task(close())
    task.add_done_callback(_ignore_outcome)


def _ignore_outcome(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it


def keep_forever(obj: object) -> None:
    """Never finalize an object that belongs to the parent process (used in a forked child)."""
    # In a forked child the parent's loop, sessions and transports must never be finalized:
    # aiohttp's finalizers close transports, which unregisters their sockets from the epoll
    # instance the child shares with the parent (and so breaks the parent). One extra
    # reference that is never released keeps them out of reach of both the reference counter
    # and the interpreter's shutdown; the memory is the parent's copy-on-write pages anyway.
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _after_fork_in_child() -> None:
    global _current, _lock, _owners
    # Another thread may have held the lock at the moment of the fork; it does not exist here.
    _lock = threading.Lock()
    if _current is not None:
        keep_forever(_current)
        _current = None
    owners = list(_owners)
    _owners = weakref.WeakSet()
    for owner in owners:
        owner._forget_after_fork()


def _at_exit() -> None:
    current = _current
    if current is None or current.pid != os.getpid() or current.loop.is_closed():
        return
    owners = list(_owners)
    _owners.clear()
    if owners:
        for _ in owners:
            # An "error" warnings filter must not turn the exit into a traceback.
            with contextlib.suppress(Exception):
                warnings.warn(
                    "a botpress_sync.Client was not closed; it was closed at interpreter exit",
                    ResourceWarning,
                    stacklevel=1,
                )
        with contextlib.suppress(BaseException):
            run(_close_all(owners))
    with contextlib.suppress(RuntimeError):
        current.loop.call_soon_threadsafe(current.loop.stop)
    current.thread.join(timeout=2 * EXIT_GRACE)


async def _close_all(owners: list[Owner]) -> None:
    tasks = [asyncio.ensure_future(owner._close_at_exit()) for owner in owners]
    done, pending = await asyncio.wait(tasks, timeout=EXIT_GRACE)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled():
            task.exception()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
