"""`TablesAPI`: the tables API as ``client.tables``."""

from __future__ import annotations

from botpress_async.resources._tables import TablesResource

__all__ = ["TablesAPI"]


class TablesAPI(TablesResource):
    """Every operation of the tables API; helpers that span several calls are added here."""

    __slots__ = ()
