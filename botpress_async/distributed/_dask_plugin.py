"""The Dask worker plugin of `dask_worker_plugin`; imported only when Dask is installed."""

from __future__ import annotations

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
    """

    def __init__(self, spec: ClientSpec) -> None:
        self.spec = spec
        self.name = f"botpress-client-{abs(hash(spec)):x}"

    def setup(self, worker: Any) -> None:
        """Make the worker's client on the SDK's loop (no request is sent).

        Args:
            worker: the Dask worker.
        """
        from botpress_sync import _loop

        from ._dask import remember_worker

        global_worker(worker)
        remember_worker()
        _loop.run(_warm(self.spec))

    def teardown(self, worker: Any) -> None:
        """Close the worker's clients and their coordinators.

        Args:
            worker: the Dask worker.
        """
        close_worker_sync_clients()


def global_worker(worker: Any) -> None:
    """Note ``worker`` for the coordinators of this process (setup runs outside any task)."""
    from . import _dask

    _dask._worker = worker
