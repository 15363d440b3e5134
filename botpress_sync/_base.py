"""What every blocking client does besides delegating: lifecycle, forks, exit and pickling.

The generated `botpress_sync.Client` subclasses `ClientBase` and adds one blocking method per
method of `botpress_async.AsyncClient`; resource classes subclass `ResourceBase`.
"""

from __future__ import annotations

import inspect
import os
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botpress_async import AsyncClient, ClientStateError
from botpress_async._base_client import ResourceCache
from botpress_async._facades import register_async_twin
from botpress_async._lifecycle import SyncContext

from . import _loop

if TYPE_CHECKING:
    pass

__all__ = ["ClientBase", "ResourceBase"]


class ClientBase(SyncContext, ResourceCache):
    """Owns one `AsyncClient` per process and hands its coroutines to the private loop."""

    _core: AsyncClient | None
    _closed: bool = True  # until _open ran: a half-built client has nothing to close

    def _open(self, config: dict[str, Any]) -> None:
        # The async core is built here, in the caller's thread, so a bad argument fails on the
        # caller's line; it touches no event loop until its first request.
        self._factory: Callable[[], AsyncClient] = lambda: AsyncClient(**config)
        self._core = self._factory()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._resources = {}
        self._closed = False
        _loop.register(self)

    @property
    def _async(self) -> AsyncClient:
        """The async core of this process, rebuilt after a fork."""
        core = self._core
        if core is None or self._pid != os.getpid():
            return self._rebuild()
        return core

    def _rebuild(self) -> AsyncClient:
        with self._lock:
            if self._core is not None and self._pid == os.getpid():
                return self._core
            if self._closed:
                raise ClientStateError("the client is closed; create a new one")
            if self._core is not None:  # a fork the at-fork hook did not see
                self._forget_after_fork()
            self._core = self._factory()
            self._pid = os.getpid()
            _loop.register(self)
            return self._core

    def _forget_after_fork(self) -> None:
        # The parent's core (its session, pool and sockets) must never be used or finalized here.
        core, self._core = self._core, None
        if core is not None:
            _loop.keep_forever(core)
        self._lock = threading.Lock()
        self._resources = {}

    async def _close_at_exit(self) -> None:
        core = self._core
        if core is not None:
            await core.aclose()

    def _mark_closed_at_exit(self) -> None:
        self._closed = True

    def close(self) -> None:
        """Close the connection pool; idempotent. Calls made afterwards raise `ClientStateError`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _loop.unregister(self)
        core = self._core
        if core is not None and self._pid == os.getpid():
            _close_core(core)

    def __repr__(self) -> str:
        core = self._core
        if core is None:
            return f"<{type(self).__name__}>"
        return repr(core).replace("<AsyncClient", f"<{type(self).__name__}", 1)

    def __reduce__(self) -> Any:
        from botpress_async._errors import ClientPicklingError

        raise ClientPicklingError(
            f"botpress_sync.{type(self).__name__} holds a connection pool and a secret token and "
            "cannot be pickled; send a botpress_async.distributed.ClientSpec (it holds no token) "
            "and call spec.worker_sync_client() in the worker, or create one client in each "
            "worker process (for example in the pool's initializer), see docs/sync.md"
        )

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._closed:
            return
        core = self._core
        if core is not None and self._pid == os.getpid():
            _warn(
                f"unclosed {self!r}: use 'with Client(...)' or call client.close()",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )
            _loop.schedule(core.aclose)


class ResourceBase:
    """One API of a blocking client: forwards each call to the same API of the async core."""

    __slots__ = ("_client",)

    def __init__(self, client: ClientBase) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


def _close_core(core: AsyncClient) -> None:
    # Closing a client that never sent a request (in this process) does no I/O: finish it here
    # rather than start the loop thread only to close nothing.
    if not _loop.started():
        coro = core.aclose()
        try:
            coro.send(None)
        except StopIteration:
            return
        coro.close()
    _loop.run(core.aclose())


def _async_twin(operation: Callable[..., Any]) -> Callable[..., Awaitable[Any]] | None:
    """The async method a blocking method of this package forwards to, for the core's bulk.

    Every blocking object here (client, resource, table handle, chat user) keeps the async
    object it drives as ``_async``; the method of the same name there is the twin.
    """
    owner = getattr(operation, "__self__", None)
    if owner is None or not type(owner).__module__.startswith("botpress_sync."):
        return None
    twin = getattr(getattr(owner, "_async", None), getattr(operation, "__name__", ""), None)
    return twin if twin is not None and inspect.iscoroutinefunction(twin) else None


register_async_twin(_async_twin)
