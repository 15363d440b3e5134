"""The hand-written base of the blocking `TableHandle` (generated in ``_tables.py``).

The generated class adds one blocking method per method of
`botpress_async.AsyncTableHandle`; this base holds the async handle they forward to.
"""

from __future__ import annotations

from typing import Generic

from botpress_async._row import C
from botpress_async._table_handle import AsyncTableHandle

__all__ = ["TableHandleBase"]


class TableHandleBase(Generic[C]):
    """Holds the async handle a blocking `TableHandle` forwards to.

    Args:
        handle: the async handle it drives.
    """

    __slots__ = ("_handle",)

    def __init__(self, handle: AsyncTableHandle[C]) -> None:
        self._handle = handle

    def __repr__(self) -> str:
        return f"<TableHandle {self._handle.name!r}>"

    @property
    def _async(self) -> AsyncTableHandle[C]:
        return self._handle
