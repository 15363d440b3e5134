"""The operations of the documents grouped by resource family, for the stateful run.

A family is an API and a collection path: an operation's path with a trailing ``{param}``
removed, so ``GET /v1/chat/users/{id}`` and ``POST /v1/chat/users`` share ``/v1/chat/users``.
The verb is the operation id's first word (``getOrCreate`` and ``getOrSet`` count as one).
A family is a record family when it has a create (or upsert), a delete and a get or a list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from botpress_async.testing._spec import Operation, load_operations

OPERATIONS = load_operations()
BY_ID = {op.operation_id: op for op in OPERATIONS}


def family_of(op: Operation) -> str:
    """The API and collection path ``op`` acts on."""
    parts = op.template.split("/")
    if parts[-1].startswith("{"):
        parts = parts[:-1]
    return f"{op.api} {'/'.join(parts)}"


def verb_of(op: Operation) -> str:
    """The operation id's leading verb: ``create``, ``get``, ``getOrCreate``, ``list`` ..."""
    match = re.match(r"[a-z]+(?:Or[A-Z][a-z]+)?", op.operation_id)
    assert match is not None, op.operation_id
    return match.group()


@dataclass(frozen=True)
class Records:
    """A record family: the operations that create, read, list, update and delete one kind."""

    name: str
    create: Operation
    delete: Operation
    get: Operation | None
    list: Operation | None
    update: Operation | None

    @property
    def operations(self) -> set[str]:
        """Ids of the family's operations the record rules send."""
        ops = (self.create, self.delete, self.get, self.list, self.update)
        return {op.operation_id for op in ops if op is not None}


def _on_item(op: Operation, family: str) -> bool:
    """Whether ``op`` addresses one item of the collection (``{family}/{param}``)."""
    return op.template != family.split(" ", 1)[1] and len(op.path_params) >= 1


def record_families() -> list[Records]:
    """Every record family of the documents, in the documents' order."""
    grouped: dict[str, list[Operation]] = defaultdict(list)
    for op in OPERATIONS:
        grouped[family_of(op)].append(op)
    found = []
    for family, ops in grouped.items():
        by_verb: dict[str, list[Operation]] = defaultdict(list)
        for op in ops:
            by_verb[verb_of(op)].append(op)
        creates = [
            op
            for op in by_verb["create"] + by_verb["upsert"]
            if not _on_item(op, family) and op.method in ("POST", "PUT")
        ]
        deletes = [op for op in by_verb["delete"] if _on_item(op, family)]
        gets = [op for op in by_verb["get"] if _on_item(op, family) and op.method == "GET"]
        lists = [op for op in by_verb["list"] if not _on_item(op, family)]
        updates = [op for op in by_verb["update"] if _on_item(op, family)]
        if creates and deletes and (gets or lists):
            found.append(
                Records(
                    name=family,
                    create=creates[0],
                    delete=deletes[0],
                    get=gets[0] if gets else None,
                    list=lists[0] if lists else None,
                    update=updates[0] if updates else None,
                )
            )
    return found
