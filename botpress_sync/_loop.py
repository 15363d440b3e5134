"""The private event loop that runs the async core on behalf of blocking callers.

One asyncio loop per process, made on first use, serves every `botpress_sync.Client` of the
process. One loop per process rather than per client because blocking code often makes
short-lived clients (one per Django request, one per cron run): a loop and thread each would
be started per client and left behind, while one loop multiplexes any number of clients, each
with its own connection pool. Fork and exit handling then have one loop to look after.

Who runs the loop: the calling thread itself, whenever nobody else is running it, so that a
single-threaded caller pays no thread hop at all (running the loop costs what ``asyncio.run``
costs, a handful of microseconds). When the loop is busy with another thread's call, or the
caller's thread already runs an event loop of its own (Jupyter, async code calling blocking
code), the call is handed to whoever runs the loop, and one standby daemon thread (started
the first time it is needed) takes over the loop whenever calls are pending and no caller is
running it. Only one thread runs the loop at any moment (``_Loop.runner``).

What callers are promised (see `run`):

- a blocking call made from code running on the loop raises `LoopThreadError` instead of
  deadlocking;
- KeyboardInterrupt (or any exception while waiting) cancels the call's task, so its connection
  is closed and the server sees the abort, and is re-raised within a moment. When the main
  thread itself runs the loop, Ctrl-C is turned into that cancellation (as ``asyncio.run``
  does) rather than raised in the middle of the loop's callbacks;
- an exception of the coroutine is re-raised in the caller's thread with its traceback, so the
  caller's line shows on top of the frames that ran in the loop.

After `os.fork()` the child makes a fresh loop on first use; the parent's loop and connections
are kept alive and never touched, because finalizing them would unregister the parent's
sockets from the epoll instance parent and child share. At interpreter exit the open clients
are closed with a short deadline and the loop is closed, quietly.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import contextvars
import ctypes
import os
import sys
import threading
import warnings
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Generator
from time import monotonic as _monotonic
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import signal as _signal
else:
    # The C module under `signal`: the wrapper's enum conversions would cost more than all the
    # rest of a call's overhead, twice per call. Same functions, same types.
    import _signal

from botpress_async import _served
from botpress_async._errors import LoopStoppedError, LoopThreadError

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
_Task = asyncio.Task

#: Seconds an interrupted caller gives its cancelled task to finish (and close its connection).
CANCEL_GRACE = 0.5
#: Seconds the exit handler gives the open clients to close.
EXIT_GRACE = 0.5
#: Seconds the loop may have stood still before a call lets it look at its sockets first.
SETTLE_AFTER = 0.001
#: The name of the task that runs a blocking call on the loop (what a task dump shows).
TASK_NAME = "botpress-sync-call"


class Owner(Protocol):
    """What the loop needs from a blocking client: how to forget a fork and how to close."""

    def _forget_after_fork(self) -> None:
        """Drop (without closing) everything that belongs to the parent process."""

    async def _close_at_exit(self) -> None:
        """Close the client's connections; called on the loop at interpreter exit."""

    def _mark_closed_at_exit(self) -> None:
        """Mark the client closed, so that its finalizer does not warn about it again."""


class _Call:
    """One coroutine handed to the loop, and how its caller learns that it is done."""

    __slots__ = (
        "context",
        "coro",
        "counted",
        "done",
        "error",
        "interrupted",
        "owner",
        "result",
        "stops",
        "task",
    )

    def __init__(
        self,
        coro: Coroutine[Any, Any, Any],
        owner: _Loop,
        context: contextvars.Context | None = None,
    ) -> None:
        self.coro: Coroutine[Any, Any, Any] | None = coro
        self.owner = owner
        # The caller's context, when the task is created by another thread: context
        # variables set around a blocking call (strict_decoding()...) must reach its task.
        self.context = context
        # What a caller waiting in another thread blocks on; None for a caller that runs the
        # loop itself, which learns that its call is done when the loop stops.
        self.done: threading.Lock | None = None
        # Whether the call's end stops the loop: set while its own caller runs the loop.
        self.stops = False
        # Whether the call is in `_Loop.pending`, which counts the calls that need somebody
        # to run the loop for them; a caller running the loop itself needs nobody.
        self.counted = False
        # Whether Ctrl-C cancelled the call while its caller ran the loop (`_on_sigint`).
        self.interrupted = False
        self.task: asyncio.Task[None] | None = None
        self.result: Any = None
        self.error: BaseException | None = None

    def waitable(self) -> threading.Lock:
        """The lock the caller waits on, made held (before the call can end)."""
        done = self.done = threading.Lock()
        done.acquire()
        return done

    def start(self, settle: bool = False) -> None:
        """Create the task (on the loop, or by the thread about to run it)."""
        coro, self.coro = self.coro, None
        if coro is None:  # cancelled before the loop got to it
            return
        # The task is made directly rather than by loop.create_task: nobody sets a task
        # factory on a private loop, and a fixed name spares the formatting of "Task-<n>"
        # that every unnamed task costs (both show in the cost of a blocking call).
        loop = self.owner.loop
        if self.context is None:
            self.task = _Task(self.drive(coro, settle), loop=loop, name=TASK_NAME)
        else:
            # Context.run rather than Task(context=...): the same on Python 3.10.
            self.task = self.context.run(_Task, self.drive(coro, settle), loop=loop, name=TASK_NAME)

    async def drive(self, coro: Coroutine[Any, Any, Any], settle: bool) -> None:
        """Run the coroutine, record its outcome and wake the caller, inside the task.

        Waking the caller here rather than from a done callback saves a loop iteration per
        call: a caller running the loop itself has it stop at the end of this iteration
        (``run_until_complete`` would take one more, to run its done callback). Catching
        everything keeps a KeyboardInterrupt raised by the coroutine from stopping the loop
        that other callers share.

        Args:
            coro: the caller's coroutine.
            settle: let the loop handle what happened while nobody ran it first (a pooled
                connection the server closed meanwhile must be seen closed before the call
                picks a connection).
        """
        try:
            if settle:
                await asyncio.sleep(0)
            self.result = await coro
        except asyncio.CancelledError:
            self.error = LoopStoppedError()
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            self.error = exc
        finally:
            if self.counted:
                self.owner.finished()
            if self.stops:
                self.owner.loop.stop()
            done = self.done
            if done is not None:
                done.release()

    def cancel(self) -> None:
        """Cancel the task, or drop the coroutine if it has not started (runs on the loop)."""
        if self.task is not None:
            self.task.cancel()
        elif self.coro is not None:
            self.coro.close()
            self.coro = None
            self.error = LoopStoppedError()
            if self.counted:
                self.owner.finished()
            if self.done is not None:
                self.done.release()


class _Loop:
    """The process's loop, the lock of the thread running it and the standby thread."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        spin = _spinner(self.loop)
        # Runs the loop in the calling thread until a callback stops it (see `_spinner`).
        self.spin: Callable[[bool], None] = spin if spin is not None else self._run_forever
        self.runner = threading.Lock()
        self.runner_ident: int | None = None
        self.counter = threading.Lock()
        self.pending = 0
        self.idle: asyncio.Future[None] | None = None
        self.need = threading.Event()
        self.standby: threading.Thread | None = None
        self.stopping = False
        self.active = False  # the standby thread is running the loop
        self.inbox: collections.deque[_Call] = collections.deque()
        self.drain_scheduled = False
        # When a calling thread last stopped running the loop (time.monotonic).
        self.stopped_at = 0.0

    def _run_forever(self, poll_first: bool) -> None:
        self.loop.run_forever()

    def add(self, call: _Call) -> None:
        """Count a call that needs somebody to run the loop for it."""
        call.counted = True
        with self.counter:
            self.pending += 1

    def finished(self) -> None:
        """Count one call as done (runs on the loop); wake a standby run waiting for idle."""
        with self.counter:
            self.pending -= 1
            idle = self.pending == 0
        if idle and self.idle is not None and not self.idle.done():
            self.idle.set_result(None)

    def wake(self) -> None:
        """Make sure somebody runs the loop for the pending calls."""
        if self.standby is None:
            with _lock:
                if self.standby is None:
                    self.standby = threading.Thread(
                        target=self._standby, name="botpress-sync-loop", daemon=True
                    )
                    self.standby.start()
        self.need.set()

    def submit(self, call: _Call) -> None:
        """Queue a call for the loop (any thread); the loop is woken once per batch."""
        # Callers that submit while a drain is already scheduled need no wake-up of their
        # own: under heavy threading this saves a self-pipe write and read per call. The
        # drain clears the flag before it empties the queue, so no call is left behind.
        self.inbox.append(call)
        if not self.drain_scheduled:
            self.drain_scheduled = True
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """Start every queued call (on the loop)."""
        self.drain_scheduled = False
        inbox = self.inbox
        while inbox:
            inbox.popleft().start()

    def _standby(self) -> None:
        while True:
            if self.pending == 0:
                self.need.wait()
                self.need.clear()
            if self.stopping:
                return
            with self.runner:
                if self.pending == 0 or self.loop.is_closed():
                    continue
                # Nobody else runs the loop while this thread holds `runner`, so `pending`
                # can only grow until the run starts: the idle future cannot be missed.
                self.runner_ident = threading.get_ident()
                self.idle = self.loop.create_future()
                self.active = True
                try:
                    self.loop.run_until_complete(self.idle)
                except BaseException:  # noqa: S110 - the thread must survive to serve later calls
                    pass
                finally:
                    # Cleared before `pending` is read again at the top: a caller that saw
                    # `active` still set is counted in `pending`, so its call is not stranded.
                    self.active = False
                    self.idle = None
                    self.runner_ident = None


def _spinner(loop: asyncio.AbstractEventLoop) -> Callable[[bool], None] | None:
    """How a calling thread runs the loop until a callback stops it, or None.

    ``run_forever`` polls the sockets before it runs anything, although what a call has to
    do first (its task's first step: build and send the request) is already queued and no
    answer can have arrived for it: one wasted poll and loop iteration per call, the largest
    share of what a blocking call costs over an awaited one. The returned function does the
    setup of ``run_forever`` (the thread's running loop, the loop's thread and its async
    generator hooks), runs what is queued at once, then iterates the loop as ``run_forever``
    does. Its argument asks for the poll first after all: a call that settles (see
    `_Call.drive`) must see what the sockets say before its task goes on.

    It reads asyncio's own loop's queue and iteration method (unchanged since Python 3.7), so
    any other loop gets None; a loop in debug mode is run by ``run_forever`` itself, whose
    checks and timings it wants.
    """
    base = asyncio.BaseEventLoop
    run_once: Callable[[], None] | None = getattr(loop, "_run_once", None)
    ready = getattr(loop, "_ready", None)
    if (
        not isinstance(loop, base)
        or type(loop).run_forever is not base.run_forever
        or run_once is None
        or not isinstance(ready, collections.deque)
        or not isinstance(getattr(loop, "_stopping", None), bool)
        or not hasattr(loop, "_thread_id")
    ):
        return None
    first_iter = getattr(loop, "_asyncgen_firstiter_hook")  # noqa: B009
    finalizer = getattr(loop, "_asyncgen_finalizer_hook")  # noqa: B009
    get_hooks, set_hooks = sys.get_asyncgen_hooks, sys.set_asyncgen_hooks
    set_running = asyncio.events._set_running_loop
    get_ident = threading.get_ident

    def spin(poll_first: bool) -> None:
        if poll_first or loop.get_debug():
            loop.run_forever()
            return
        hooks = get_hooks()
        set_hooks(first_iter, finalizer)
        loop._thread_id = get_ident()
        set_running(loop)
        try:
            for _ in range(len(ready)):
                handle = ready.popleft()
                if not handle._cancelled:
                    handle._run()
            while not loop._stopping:  # type: ignore[attr-defined]
                run_once()
        finally:
            loop._stopping = False  # type: ignore[attr-defined]
            loop._thread_id = None
            set_running(None)
            set_hooks(*hooks)

    return spin


_SIGINT = int(_signal.SIGINT)
_MAIN_THREAD = threading.main_thread().ident
_lock = threading.Lock()
_current: _Loop | None = None
_owners: weakref.WeakSet[Owner] = weakref.WeakSet()
# The call the main thread runs the loop for while `_on_sigint` is installed.
_interruptible: _Call | None = None


def _state() -> _Loop:
    current = _current
    if current is not None and current.pid == os.getpid():
        return current
    return _start()


def _start() -> _Loop:
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            if _current is not None:  # a fork the at-fork hook did not see
                keep_forever(_current)
            _current = _Loop()
        return _current


def run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on the private loop and block until it returns or raises.

    Args:
        coro: the coroutine; it is closed unawaited when the call cannot be made.

    Raises:
        LoopThreadError: when called from code running on the private loop.
    """
    ident = threading.get_ident()
    try:
        state = _state()
        if state.runner_ident == ident:
            raise LoopThreadError(
                "a blocking botpress_sync call was made from code running on its event loop, "
                "which would deadlock; code running there must await the botpress_async "
                "client instead"
            )
        if state.loop.is_closed():
            raise LoopStoppedError()
        call = _Call(coro, state)
    except BaseException:
        coro.close()
        raise
    # asyncio._get_running_loop: the no-exception form of get_running_loop (a public name of
    # asyncio for exactly this check); a thread running its own loop cannot run ours. The
    # lock's flag is passed by position: parsing it as a keyword cost as much as the acquire.
    if asyncio._get_running_loop() is None and state.runner.acquire(False):
        _run_here(state, call, ident)
    else:
        state.add(call)
        _hand_over(state, call)
    error = call.error
    if error is None:
        return call.result  # type: ignore[no-any-return]
    call.error = None  # the traceback below refers to this frame; do not make a cycle through it
    try:
        raise error
    finally:
        del error


def _run_here(state: _Loop, call: _Call, ident: int) -> None:
    # This thread holds `state.runner`: it runs the loop until its own call is done (serving
    # whatever else is pending meanwhile), then lets the standby thread take over the rest.
    sigint = _catch_sigint(call, ident)
    state.runner_ident = ident
    call.stops = True
    try:
        # What arrived while nobody ran the loop (a pooled connection the server closed)
        # is handled before the call picks a connection, at the cost of one loop iteration.
        # Calls made back to back skip it: the loop stood still for under a millisecond, and
        # servers close idle connections after seconds of keep-alive, not within that.
        settle = _monotonic() - state.stopped_at > SETTLE_AFTER
        call.start(settle=settle)
        state.spin(settle)  # until the call's task stops it (`_Call.drive`)
    except BaseException:
        # Something raised inside the loop itself (a signal handler): stop the call, and let
        # the standby thread finish cancelling it. Nothing runs the loop at this point, so
        # the task cannot end between these lines.
        call.stops = False
        done = call.waitable()
        if call.task is None or call.task.done():
            done.release()
        else:
            state.add(call)  # now it needs the standby thread to run the loop until it ends
        _release(state, sigint)
        _abandon(state, call)
        raise
    _release(state, sigint)
    if call.interrupted:
        raise KeyboardInterrupt


def _release(state: _Loop, sigint: Any) -> None:
    global _interruptible
    if sigint is not None:
        _signal.signal(_SIGINT, sigint)
        _interruptible = None
    state.stopped_at = _monotonic()
    state.runner_ident = None
    state.runner.release()
    if state.pending:  # other threads' calls are still in flight: someone must run them
        state.wake()


def _catch_sigint(call: _Call, ident: int) -> Any:
    # Ctrl-C while the main thread runs the loop would raise in the middle of a callback of
    # any client's connection; like asyncio.run, turn the first one into a cancellation.
    global _interruptible
    if ident != _MAIN_THREAD:
        return None
    previous = _signal.getsignal(_SIGINT)
    if previous is not _signal.default_int_handler:
        return None
    # One handler for every call, told which call by a global: only the main thread
    # installs it, and that thread runs one call at a time (a nested one raises).
    _interruptible = call
    _signal.signal(_SIGINT, _on_sigint)
    return previous


def _on_sigint(signum: int, frame: object) -> None:
    call = _interruptible
    if call is None or call.interrupted or call.task is None:
        raise KeyboardInterrupt
    call.interrupted = True
    call.task.cancel()
    call.owner.loop.call_soon_threadsafe(_nothing)


def _nothing() -> None:
    """A callback that only wakes the loop up."""


def _hand_over(state: _Loop, call: _Call) -> None:
    # A caller's own loop stops while it waits: recorded before the call can start, so a
    # request to a server of that loop raises at once (see botpress_async._served).
    caller_loop = asyncio._get_running_loop()
    if caller_loop is not None:
        _served.block(caller_loop)
    try:
        _wait_for(state, call)
    finally:
        if caller_loop is not None:
            _served.unblock(caller_loop)


def _wait_for(state: _Loop, call: _Call) -> None:
    done = call.waitable()
    call.context = contextvars.copy_context()
    try:
        state.submit(call)
    except RuntimeError:  # closed meanwhile (interpreter exit)
        state.finished()
        call.coro = None
        call.error = LoopStoppedError()
        return
    if not state.active:  # read after `pending` counted this call; see `_Loop._standby`
        state.wake()
    try:
        done.acquire()
    except BaseException:
        _abandon(state, call)
        raise


def _abandon(state: _Loop, call: _Call) -> None:
    # The waiting thread was interrupted: stop the task so its connection is closed, give it
    # a moment, then let the interruption through.
    with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to cancel
        state.loop.call_soon_threadsafe(call.cancel)
        state.wake()
        if call.done is not None:
            call.done.acquire(timeout=CANCEL_GRACE)


async def _anext(iterator: AsyncIterator[_T]) -> _T:
    return await iterator.__anext__()


def iterate(iterator: AsyncIterator[_T]) -> Generator[_T, None, None]:
    """Turn an async iterator into a blocking one, one loop round trip per element.

    Pagers use it over pages, so the loop is entered once per page. When the blocking
    iterator is dropped early, the async one is closed on the loop.
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
    """Whether this process has made its loop."""
    current = _current
    return current is not None and current.pid == os.getpid()


def schedule(close: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine function on the loop without waiting (from a finalizer); no-op if unsafe."""
    current = _current
    if current is None or current.pid != os.getpid() or current.loop.is_closed():
        return
    call = _Call(close(), current)
    current.add(call)
    try:
        current.loop.call_soon_threadsafe(call.start)
    except RuntimeError:
        current.finished()
        call.coro = None
        return
    current.wake()


def keep_forever(obj: object) -> None:
    """Never finalize an object that belongs to the parent process (used in a forked child)."""
    # In a forked child the parent's loop, sessions and transports must never be finalized:
    # aiohttp's finalizers close transports, which unregisters their sockets from the epoll
    # instance the child shares with the parent (and so breaks the parent). One extra
    # reference that is never released keeps them out of reach of both the reference counter
    # and the interpreter's shutdown; the memory is the parent's copy-on-write pages anyway.
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _after_fork_in_child() -> None:
    global _current, _lock, _owners, _MAIN_THREAD
    _MAIN_THREAD = threading.get_ident()  # the forking thread is the child's main thread
    # Another thread may have held the lock at the moment of the fork; it does not exist here.
    _lock = threading.Lock()
    if _current is not None:
        keep_forever(_current)
        _current = None
    owners = list(_owners)
    _owners = weakref.WeakSet()
    for owner in owners:
        owner._forget_after_fork()


def _warn_unclosed_at_exit(owner: Owner) -> None:
    """One warning line per client left open, never a traceback (even under ``-W error``)."""
    with contextlib.suppress(Exception):
        message = (
            f"{owner!r} was not closed; it was closed at interpreter exit "
            "(use 'with Client(...)' or call client.close())"
        )
        try:
            warnings.warn(message, ResourceWarning, stacklevel=2)
        except Warning as raised:
            # An "error" filter turned it into an exception: an exit handler cannot raise,
            # so show it as the warning line it is.
            warnings.showwarning(raised, ResourceWarning, __file__, 0, line="")


def _at_exit() -> None:
    current = _current
    owners = list(_owners)
    _owners.clear()
    for owner in owners:
        # Marked first: the finalizer that runs later must not warn a second time (-X dev).
        with contextlib.suppress(Exception):
            owner._mark_closed_at_exit()
        _warn_unclosed_at_exit(owner)
    if current is None or current.pid != os.getpid() or current.loop.is_closed():
        return
    with contextlib.suppress(BaseException):
        run(_close_all(owners))
    current.stopping = True
    current.need.set()
    if current.standby is not None:
        current.standby.join(EXIT_GRACE)
    # Whatever is still on the loop is dropped quietly: nothing may print at exit.
    if current.runner.acquire(timeout=EXIT_GRACE):
        _drain(current.loop)


def _drain(loop: asyncio.AbstractEventLoop) -> None:
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


async def _close_all(owners: list[Owner]) -> None:
    tasks = [asyncio.ensure_future(owner._close_at_exit()) for owner in owners]
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=EXIT_GRACE)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled():
            task.exception()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
