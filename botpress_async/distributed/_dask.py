"""`DaskCoordinator`: one request budget for a Dask cluster, kept by its scheduler.

The budget is a ``distributed.Semaphore`` of ``rate * hold`` leases: each request takes a
lease and gives it back ``hold`` seconds later, so the cluster as a whole starts at most
``rate`` requests per second, whatever the number of workers. A 429 seen by a worker also
takes the free leases for the length of the pause, which holds the others off too.
Needs the ``dask`` extra; nothing here imports Dask until a worker uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from botpress_async._errors import ConfigurationError, CoordinatorError
from botpress_async._throttle import RateCoordinator

from ._coordinator import _check_rate, pause_from_answer

__all__ = ["DaskCoordinator", "DaskLimiter", "remember_worker"]

# The Dask worker of this process, noted from a task's thread (the only place Dask tells).
_worker: Any = None


def remember_worker() -> None:
    """Note the Dask worker running the current task, if any, for coordinators made later."""
    global _worker
    # A process that never imported Dask runs no Dask task: do not pay for the import here.
    module = sys.modules.get("distributed")
    if module is None:
        return
    with contextlib.suppress(ValueError, AttributeError):
        _worker = module.get_worker()


@attrs.frozen(kw_only=True)
class DaskCoordinator:
    """One budget of ``rate`` requests per second for all the workers of a Dask cluster.

    Attributes:
        rate: requests per second, for the whole cluster.
        hold: seconds each request keeps its lease; ``rate * hold`` requests may start at
            once (the burst), so shorter holds spread requests more evenly.
        name: the semaphore's name on the scheduler (the token's hash is appended).
        timeout: the longest a request waits for a lease, in seconds.
    """

    rate: float
    hold: float = 1.0
    name: str = "botpress-rate"
    timeout: float = 600.0

    def __attrs_post_init__(self) -> None:
        _check_rate(self.rate, 1)
        if not self.hold > 0 or not self.timeout > 0:
            raise ConfigurationError("hold and timeout must be positive numbers of seconds")

    @property
    def leases(self) -> int:
        """How many requests may hold a lease at once."""
        return max(1, round(self.rate * self.hold))

    def bind(self, key: str) -> RateCoordinator:
        """The live coordinator of budget ``key`` in this worker.

        Args:
            key: the budget's name, a hash of the token.
        """
        return DaskLimiter(self, key)


class DaskLimiter:
    """The live side of a `DaskCoordinator` in one worker process.

    Args:
        config: the coordinator's settings.
        key: the budget's name.
    """

    def __init__(self, config: DaskCoordinator, key: str) -> None:
        self.config = config
        self.name = f"{config.name}-{key}"
        self._semaphore: Any = None
        self._lock = threading.Lock()
        self._releases: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.granted = 0

    def _sem(self) -> Any:
        with self._lock:
            if self._semaphore is None:
                try:
                    from distributed import Semaphore
                except ImportError:
                    raise ConfigurationError(
                        "DaskCoordinator needs Dask: pip install 'botpress-sdk[dask]'"
                    ) from None
                worker = _worker
                if worker is not None:
                    sem = Semaphore(  # type: ignore[no-untyped-call]
                        max_leases=self.config.leases,
                        name=self.name,
                        scheduler_rpc=worker.scheduler,
                        loop=worker.loop,
                    )
                else:
                    # Not in a worker: the client process, with a default Dask client.
                    sem = Semaphore(max_leases=self.config.leases, name=self.name)  # type: ignore[no-untyped-call]
                if sem.loop is None:
                    raise CoordinatorError(
                        "DaskCoordinator is used outside a Dask worker and without a Dask "
                        "client; nothing was sent. Run the job on the cluster"
                    )
                self._semaphore = sem
            return self._semaphore

    async def acquire(self) -> None:
        """Take a lease of the cluster's budget (given back ``hold`` seconds later)."""
        sem = self._sem()
        try:
            got = await asyncio.to_thread(sem.acquire, self.config.timeout)
        except Exception as exc:
            raise CoordinatorError(
                f"the Dask rate coordinator failed ({type(exc).__name__}: {exc}); nothing was sent"
            ) from None
        if not got:
            raise CoordinatorError(
                f"waited over {self.config.timeout:g}s for a lease of the cluster's request "
                "budget; nothing was sent"
            )
        self.granted += 1
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def give_back() -> None:
            self._releases.discard(handle)
            self._spawn(asyncio.to_thread(sem.release))

        handle = loop.call_later(self.config.hold, give_back)
        self._releases.add(handle)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # A release that fails is taken back by the scheduler's lease timeout.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """After a 429 (or an exhausted ``RateLimit``), hold the free leases for the pause."""
        pause = pause_from_answer(status, headers)
        if not pause or self._semaphore is None:
            return
        sem = self._semaphore
        leases = self.config.leases

        def drain() -> int:
            taken = 0
            for _ in range(leases):
                if not sem.acquire(timeout=0):
                    break
                taken += 1
            return taken

        async def hold() -> None:
            taken = await asyncio.to_thread(drain)
            try:
                await asyncio.sleep(pause)
            finally:
                for _ in range(taken):
                    await asyncio.to_thread(sem.release)

        self._spawn(hold())

    async def aclose(self) -> None:
        """Give back every lease this worker holds now."""
        handles, self._releases = list(self._releases), set()
        sem = self._semaphore
        for handle in handles:
            handle.cancel()
            if sem is not None:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(sem.release)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)


def dask_worker_plugin(spec: Any) -> Any:
    """A Dask worker plugin that makes each worker's client at start and closes it at the end.

    ``client.register_plugin(dask_worker_plugin(spec))``: the first partition of each worker
    then finds its client ready, and the connections are closed when the worker stops.

    Args:
        spec: the `ClientSpec` the partition functions are given.
    """
    from ._dask_plugin import ClientSpecPlugin

    return ClientSpecPlugin(spec, note_worker)


def note_worker(worker: Any) -> None:
    """Note ``worker`` for the coordinators of this process (setup runs outside any task)."""
    global _worker
    _worker = worker
    remember_worker()
