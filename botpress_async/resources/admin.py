"""`AdminAPI`: the admin API as ``client.admin``."""

from __future__ import annotations

from botpress_async.resources._admin import AdminResource

__all__ = ["AdminAPI"]


class AdminAPI(AdminResource):
    """Every operation of the admin API; helpers that span several calls are added here."""

    __slots__ = ()
