"""Fault injection decided from a seed, and the log of what the emulator did with each request.

Each rule draws from its own random generator seeded from the global seed and the rule's
position, so the sequence of faults a rule produces depends only on the seed and on the order
of the requests it matches.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = ["FAULT_KINDS", "FaultKind", "FaultRule", "Faults", "LogEntry", "RequestLog"]

FaultKind = Literal["rate_limit", "status", "reset_before", "reset_after", "slow", "truncate"]
FAULT_KINDS: Final = ("rate_limit", "status", "reset_before", "reset_after", "slow", "truncate")
_STATUSES: Final = (500, 502, 503, 504)


@dataclass
class FaultRule:
    """One kind of fault, for one operation or route (or all), some of the time.

    Args:
        kind: ``rate_limit`` (429 with ``Retry-After``), ``status`` (a 5xx, before processing),
            ``reset_before`` / ``reset_after`` (the connection is dropped before the request is
            processed, or after its state change is made), ``slow`` (a delay, then the normal
            answer) or ``truncate`` (processed, then half the body and a dropped connection).
        operation: an operationId such as ``"getUser"``; ``None`` matches every operation.
        route: a path template such as ``"/v1/chat/users/{id}"``; ``None`` matches every route.
        probability: the chance that a matching request gets the fault.
        times: stop after this many faults; ``None`` never stops.
        status: the status of a ``status`` fault (500, 502, 503 or 504).
        retry_after: the seconds announced by a ``rate_limit`` fault.
        delay: the seconds a ``slow`` fault waits.
    """

    kind: FaultKind
    operation: str | None = None
    route: str | None = None
    probability: float = 1.0
    times: int | None = None
    status: int = 503
    retry_after: float = 1
    delay: float = 0.2
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.kind == "status" and self.status not in _STATUSES:
            raise ValueError(f"a status fault answers one of {_STATUSES}, not {self.status}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")

    def matches(self, operation_id: str, template: str) -> bool:
        """Whether this rule applies to a request for this operation and route."""
        if self.operation is not None and self.operation != operation_id:
            return False
        return self.route is None or self.route == template


class Faults:
    """The fault rules of one emulator and the seeded generators that decide them.

    Args:
        seed: every decision follows from it.
        rules: initial rules; more can be added with ``add``.
    """

    def __init__(self, seed: int = 0, rules: list[FaultRule] | None = None) -> None:
        self.seed = seed
        self._rules: list[tuple[FaultRule, random.Random]] = []
        self._lock = threading.Lock()
        for rule in rules or ():
            self._append(rule)

    def _append(self, rule: FaultRule) -> None:
        # Seeded on purpose: the same seed must give the same faults (nothing secret here).
        rng = random.Random(f"{self.seed}:{len(self._rules)}")  # noqa: S311 - reproducible
        self._rules.append((rule, rng))

    def add(self, kind: FaultKind, **options: object) -> FaultRule:
        """Add a rule (see ``FaultRule`` for the options) and return it."""
        rule = FaultRule(kind, **options)  # type: ignore[arg-type]
        with self._lock:
            self._append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """The rules, in the order they are tried."""
        return [rule for rule, _ in self._rules]

    def decide(self, operation_id: str, template: str) -> list[FaultRule]:
        """The faults for one request: at most one slow fault and one other, in rule order."""
        if not self._rules:
            return []
        chosen: list[FaultRule] = []
        with self._lock:
            for rule, rng in self._rules:
                if not rule.matches(operation_id, template):
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if any((c.kind == "slow") == (rule.kind == "slow") for c in chosen):
                    continue
                if rng.random() < rule.probability:
                    rule.fired += 1
                    chosen.append(rule)
        return chosen


@dataclass(frozen=True)
class LogEntry:
    """What the emulator did with one request.

    ``processed`` is true when the handler ran and its state change (if any) was made, whether
    or not the client then received the answer.
    """

    request_id: str
    method: str
    path: str
    operation_id: str | None
    status: int | None
    fault: str | None
    processed: bool


class RequestLog:
    """The most recent requests the emulator handled, oldest first."""

    def __init__(self, limit: int = 100_000) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=limit)

    def append(self, entry: LogEntry) -> None:
        """Record one request."""
        self._entries.append(entry)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> LogEntry:
        return self._entries[index]

    def for_operation(self, operation_id: str) -> list[LogEntry]:
        """Entries of one operation."""
        return [e for e in self._entries if e.operation_id == operation_id]

    def processed(self, operation_id: str | None = None) -> list[LogEntry]:
        """Entries whose handler ran, optionally for one operation only."""
        return [
            e
            for e in self._entries
            if e.processed and (operation_id is None or e.operation_id == operation_id)
        ]
