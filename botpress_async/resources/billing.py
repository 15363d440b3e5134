"""`BillingAPI`: the billing API as ``client.billing``."""

from __future__ import annotations

from botpress_async.resources._billing import BillingResource

__all__ = ["BillingAPI"]


class BillingAPI(BillingResource):
    """Every operation of the billing API; helpers that span several calls are added here."""

    __slots__ = ()
