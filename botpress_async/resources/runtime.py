"""`RuntimeAPI`: the runtime API as ``client.runtime``."""

from __future__ import annotations

from botpress_async.resources._runtime import RuntimeResource

__all__ = ["RuntimeAPI"]


class RuntimeAPI(RuntimeResource):
    """Every operation of the runtime API; helpers that span several calls are added here."""

    __slots__ = ()
