"""The operation table's record types: `OperationSpec` and `ParamSpec`.

A leaf module: the generated `botpress_async._operations` imports these, and `_call`
reads the table, so neither has to import the other's importers.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["Location", "OperationSpec", "ParamSpec"]

Location = Literal["path", "query", "header", "body"]


class ParamSpec(NamedTuple):
    """One parameter of an operation, as ``call()`` checks it.

    Attributes:
        wire: its name on the wire (and in ``params``).
        location: path, query, header or body.
        required: whether it must be given.
        kind: the JSON kind of its value: string, integer, number, boolean, array, object, any.
        nullable: whether ``None`` (JSON null) is accepted.
    """

    wire: str
    location: Location
    required: bool
    kind: str
    nullable: bool


class OperationSpec(NamedTuple):
    """One operation, as ``call()`` sends it."""

    api: str
    method: str
    path: str
    params: tuple[ParamSpec, ...]
    has_body: bool
    idempotent: bool
    requires: tuple[str, ...]
    paginated: bool
