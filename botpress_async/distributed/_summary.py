"""`PartitionSummary`: what one partition job did, small enough to gather from a thousand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from botpress_async._errors import BotpressError, ConfigurationError

__all__ = ["MAX_ERRORS", "MAX_KEYS", "PartitionError", "PartitionSummary"]

#: How many failed (and how many unknown) keys a summary lists; the counts stay exact.
MAX_KEYS: Final = 10_000
#: How many error messages a summary keeps as a sample.
MAX_ERRORS: Final = 5

Key = str | int


def _bounded(first: tuple[Key, ...], second: tuple[Key, ...], limit: int) -> tuple[Key, ...]:
    if len(first) >= limit:
        return first[:limit]
    return first + second[: limit - len(first)]


@attrs.frozen(kw_only=True)
class PartitionSummary:
    """Counts and bounded lists of one or many partition jobs; never the rows themselves.

    Summaries combine with `merge` (or ``+``), `PartitionSummary.sum`, ``functools.reduce``
    or Dask's ``Bag.fold``, in any order and grouping.

    Attributes:
        operation: what the jobs did (``"insert_rows"``, ``"upsert_rows"``, ``"upload_files"``,
            ``"backfill_messages"``); ``"mixed"`` once different jobs are merged.
        partitions: how many partition jobs are summed here.
        items: input items (rows, files, messages) seen.
        succeeded: items whose request succeeded.
        failed: items whose request failed (`unknown` of them may have been carried out).
        unknown: items whose request may or may not have been carried out.
        not_sent: items never sent (a stop, a setup error such as a missing token).
        skipped: items skipped because a checkpoint recorded them as done or unknown.
        created: records the API reported created (rows inserted, messages created).
        updated: records the API reported updated (rows updated by an upsert, messages found).
        requests: requests that were sent (or attempted).
        throttled: 429 and 503 answers received.
        failed_keys: keys (or ``"partition:index"`` positions) of failed items, at most 10,000.
        unknown_keys: keys of items whose outcome is unknown, at most 10,000.
        keys_truncated: whether some failed or unknown keys were left out of the lists.
        errors: a sample of error messages (at most five).
        elapsed: seconds spent, summed over partitions.
    """

    operation: str
    partitions: int = 1
    items: int = 0
    succeeded: int = 0
    failed: int = 0
    unknown: int = 0
    not_sent: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    requests: int = 0
    throttled: int = 0
    failed_keys: tuple[Key, ...] = ()
    unknown_keys: tuple[Key, ...] = ()
    keys_truncated: bool = False
    errors: tuple[str, ...] = ()
    elapsed: float = 0.0

    @classmethod
    def empty(cls, operation: str = "mixed") -> PartitionSummary:
        """A summary of nothing, the identity of `merge` (for folds that need a start value).

        Args:
            operation: the operation to name.
        """
        return cls(operation=operation, partitions=0)

    @property
    def ok(self) -> bool:
        """True when every item succeeded or was skipped as already done."""
        return not self.failed and not self.not_sent and not self.errors

    def merge(self, other: PartitionSummary) -> PartitionSummary:
        """The summary of both: counts added, lists joined up to their bounds.

        Args:
            other: another summary.
        """
        if not isinstance(other, PartitionSummary):
            raise ConfigurationError(f"cannot merge a PartitionSummary with {type(other).__name__}")
        if self.partitions == 0:
            operation = other.operation
        elif other.partitions == 0 or other.operation == self.operation:
            operation = self.operation
        else:
            operation = "mixed"
        failed_keys = _bounded(self.failed_keys, other.failed_keys, MAX_KEYS)
        unknown_keys = _bounded(self.unknown_keys, other.unknown_keys, MAX_KEYS)
        truncated = (
            self.keys_truncated
            or other.keys_truncated
            or len(failed_keys) < len(self.failed_keys) + len(other.failed_keys)
            or len(unknown_keys) < len(self.unknown_keys) + len(other.unknown_keys)
        )
        return PartitionSummary(
            operation=operation,
            partitions=self.partitions + other.partitions,
            items=self.items + other.items,
            succeeded=self.succeeded + other.succeeded,
            failed=self.failed + other.failed,
            unknown=self.unknown + other.unknown,
            not_sent=self.not_sent + other.not_sent,
            skipped=self.skipped + other.skipped,
            created=self.created + other.created,
            updated=self.updated + other.updated,
            requests=self.requests + other.requests,
            throttled=self.throttled + other.throttled,
            failed_keys=failed_keys,
            unknown_keys=unknown_keys,
            keys_truncated=truncated,
            errors=(self.errors + other.errors)[:MAX_ERRORS],
            elapsed=self.elapsed + other.elapsed,
        )

    def __add__(self, other: PartitionSummary) -> PartitionSummary:
        return self.merge(other)

    def __radd__(self, other: Any) -> PartitionSummary:
        # So that the builtin sum(summaries) works: it starts from 0.
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    @classmethod
    def sum(
        cls, summaries: Iterable[PartitionSummary | list[PartitionSummary]]
    ) -> PartitionSummary:
        """The merge of any number of summaries (an empty summary for none).

        Args:
            summaries: the summaries, from any iterable (nested lists of one level are
                flattened, as Dask's ``map_partitions`` returns them).
        """
        total = cls.empty()
        for summary in summaries:
            if isinstance(summary, (list, tuple)):
                for inner in summary:
                    total = total.merge(inner)
            else:
                total = total.merge(summary)
        return total

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values, for result backends that store JSON (Celery)."""
        data = attrs.asdict(self)
        for name in ("failed_keys", "unknown_keys", "errors"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartitionSummary:
        """The summary `to_dict` gave, back from its JSON values.

        Args:
            data: the mapping `to_dict` returned (after a JSON round trip or not).
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"from_dict needs a mapping, got {type(data).__name__}")
        fields = {f.name for f in attrs.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise ConfigurationError(f"not fields of PartitionSummary: {sorted(unknown)}")
        values = dict(data)
        for name in ("failed_keys", "unknown_keys", "errors"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def raise_for_failures(self) -> None:
        """Raise `PartitionError` (carrying this summary) unless `ok`."""
        if not self.ok:
            raise PartitionError(self)

    def __repr__(self) -> str:
        return (
            f"<PartitionSummary {self.operation} partitions={self.partitions} items={self.items} "
            f"succeeded={self.succeeded} failed={self.failed} unknown={self.unknown} "
            f"not_sent={self.not_sent} skipped={self.skipped}>"
        )


class PartitionError(BotpressError):
    """Raised by `PartitionSummary.raise_for_failures`; ``summary`` says what happened."""

    # Tracebacks and pickles name the module users import it from.
    __module__ = "botpress_async.distributed"

    def __init__(self, summary: PartitionSummary) -> None:
        self.summary = summary
        first = f"; first error: {summary.errors[0]}" if summary.errors else ""
        super().__init__(
            f"{summary.operation}: {summary.succeeded} of {summary.items} items succeeded, "
            f"{summary.failed} failed ({summary.unknown} with unknown outcome), "
            f"{summary.not_sent} not sent{first}"
        )

    def __reduce__(self) -> Any:
        return (PartitionError, (self.summary,))
