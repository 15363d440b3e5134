"""The Dask worker plugin of `dask_worker_plugin`; imported only when Dask is installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from distributed import WorkerPlugin

from ._spec import ClientSpec, close_worker_sync_clients

__all__ = ["ClientSpecPlugin"]


async def _warm(spec: ClientSpec) -> None:
    # Builds the client and reads the token now, so a missing token shows in the worker's
    # log at start rather than in the first partition.
    spec.worker_client()


class ClientSpecPlugin(WorkerPlugin):
    """Warms the worker's client of one `ClientSpec` at start and closes it at teardown.

    Args:
        spec: the spec of the client to keep.
        note_worker: tells the coordinators of the worker's process which worker they run
            in (passed in by `dask_worker_plugin`, so this module needs nothing of theirs).
    """

    def __init__(self, spec: ClientSpec, note_worker: Callable[[Any], None]) -> None:
        self.spec = spec
        self.note_worker = note_worker
        self.name = f"botpress-client-{abs(hash(spec)):x}"

    def setup(self, worker: Any) -> None:
        """Make the worker's client on the SDK's loop (no request is sent).

        Args:
            worker: the Dask worker.
        """
        from botpress_sync import _loop

        self.note_worker(worker)
        _loop.run(_warm(self.spec))

    def teardown(self, worker: Any) -> None:
        """Close the worker's clients and their coordinators.

        Args:
            worker: the Dask worker.
        """
        close_worker_sync_clients()
