"""Running the SDK inside distributed engines (Dask, Spark, Ray, Celery) as a good citizen.

- `ClientSpec`: a picklable description of a client that holds no token; workers build
  their client from it (`ClientSpec.worker_client`, one per process and event loop).
- Partition functions (`insert_rows_partition`, `upsert_rows_partition`,
  `upload_files_partition`, `backfill_messages_partition`) run the bulk engine on one
  partition and return a small, mergeable `PartitionSummary`.
- Coordinators share one request budget across the fleet: `LocalCoordinator` (per
  process), `RedisCoordinator` (one budget in Redis, shared pauses on 429) and
  `DaskCoordinator` (a semaphore on the Dask scheduler).
- `Checkpoint` makes re-run partitions skip the chunks they already sent.

See docs/distributed.md for recipes.
"""

from __future__ import annotations

from botpress_async._errors import ClientPicklingError, CoordinatorError, TokenSourceError
from botpress_async._throttle import RateCoordinator

from ._blocking import (
    backfill_messages_partition,
    insert_rows_partition,
    upload_files_partition,
    upsert_rows_partition,
)
from ._checkpoint import Checkpoint
from ._coordinator import (
    CoordinatorFactory,
    LocalCoordinator,
    attach_coordinator,
    budget_key,
    pause_from_answer,
)
from ._dask import DaskCoordinator, dask_worker_plugin
from ._partitions import (
    AsyncPartitionOptions,
    AsyncRowPartitionOptions,
    PartitionOptions,
    RowPartitionOptions,
    abackfill_messages_partition,
    ainsert_rows_partition,
    aupload_files_partition,
    aupsert_rows_partition,
)
from ._redis import RedisCoordinator
from ._spec import ClientSpec, close_worker_clients, close_worker_sync_clients, read_token
from ._summary import PartitionError, PartitionSummary

__all__ = [
    "AsyncPartitionOptions",
    "AsyncRowPartitionOptions",
    "Checkpoint",
    "ClientPicklingError",
    "ClientSpec",
    "CoordinatorError",
    "CoordinatorFactory",
    "DaskCoordinator",
    "LocalCoordinator",
    "PartitionError",
    "PartitionOptions",
    "PartitionSummary",
    "RateCoordinator",
    "RedisCoordinator",
    "RowPartitionOptions",
    "TokenSourceError",
    "abackfill_messages_partition",
    "ainsert_rows_partition",
    "attach_coordinator",
    "aupload_files_partition",
    "aupsert_rows_partition",
    "backfill_messages_partition",
    "budget_key",
    "close_worker_clients",
    "close_worker_sync_clients",
    "dask_worker_plugin",
    "insert_rows_partition",
    "pause_from_answer",
    "read_token",
    "upload_files_partition",
    "upsert_rows_partition",
]
