"""Stateful handlers of billing: plans, add-ons, invoices and a payment method per workspace.

Every workspace gets, the first time billing is read, its plan (the workspace's ``plan``), one
paid and one open invoice and a card. Quotas (``_usage``) read their limits from the same plan.
"""

from __future__ import annotations

from typing import Any, Final

from ._pages import paginate
from ._records import reach_workspace, records, reference_missing
from ._schema import iso_now
from ._store import ApiError, Context, Store, handler, not_found

__all__ = ["PLANS", "billing_of", "plan_quota"]

# Monthly price in dollars and the quotas each plan grants (types of the usage API).
PLANS: Final[dict[str, dict[str, Any]]] = {
    "community": {
        "price": 0,
        "quotas": {
            "invocation_calls": 5_000,
            "bot_count": 5,
            "table_row_count": 1_000,
            "workspace_member_count": 3,
            "integrations_owned_count": 5,
            "storage_count": 100 * 1024 * 1024,
            "ai_spend": 5,
        },
    },
    "plus": {
        "price": 89,
        "quotas": {
            "invocation_calls": 50_000,
            "bot_count": 10,
            "table_row_count": 100_000,
            "workspace_member_count": 10,
            "integrations_owned_count": 20,
            "storage_count": 10 * 1024 * 1024 * 1024,
            "ai_spend": 100,
        },
    },
    "team": {
        "price": 495,
        "quotas": {
            "invocation_calls": 500_000,
            "bot_count": 50,
            "table_row_count": 1_000_000,
            "workspace_member_count": 50,
            "integrations_owned_count": 100,
            "storage_count": 100 * 1024 * 1024 * 1024,
            "ai_spend": 500,
        },
    },
}
_ADDONS: Final = (
    ("addon_bots", "bot_count", 5, 10),
    ("addon_rows", "table_rows", 100_000, 25),
    ("addon_seats", "collaborator_count", 1, 25),
)
_DEFAULT_QUOTA: Final = 1_000_000


def plan_quota(plan: str, kind: str) -> float:
    """The quota a plan grants for a usage type."""
    quotas: dict[str, float] = PLANS.get(plan, PLANS["community"])["quotas"]
    return quotas.get(kind, _DEFAULT_QUOTA)


def _plan_record(plan_id: str) -> dict[str, Any]:
    plan = PLANS[plan_id]
    return {
        "id": plan_id,
        "name": plan_id.title(),
        "description": f"the {plan_id} plan",
        "providerProductId": f"prod_{plan_id}",
        "prices": {
            "monthly": {
                "providerPriceId": f"price_{plan_id}_month",
                "amount": plan["price"],
                "currency": "usd",
                "interval": "month",
            }
        },
        "features": dict(plan["quotas"]),
    }


def _addon_record(addon: tuple[str, str, int, int]) -> dict[str, Any]:
    addon_id, feature, increment, price = addon
    return {
        "id": addon_id,
        "name": feature.replace("_", " "),
        "description": f"{increment} more {feature.replace('_', ' ')}",
        "providerProductId": f"prod_{addon_id}",
        "prices": {
            "monthly": {
                "providerPriceId": f"price_{addon_id}",
                "amount": price,
                "currency": "usd",
                "interval": "month",
            }
        },
        "feature": feature,
        "increment": increment,
    }


def billing_of(store: Store, ws_id: str) -> dict[str, Any]:
    """The billing state of a workspace (seeded on first use)."""
    table = records(store, "billing")
    found = table.get(ws_id)
    if found is not None:
        return found
    ws = store.workspaces[ws_id]
    price = PLANS.get(ws.get("plan", "community"), PLANS["community"])["price"]
    invoices = {}
    for status, month in (("paid", "01"), ("open", "02")):
        invoice = {
            "id": store.new_id("invoice"),
            "amount": price,
            "currency": "usd",
            "status": status,
            "createdAt": f"2026-{month}-01T00:00:00.000Z",
            "periodStart": f"2026-{month}-01T00:00:00.000Z",
            "periodEnd": f"2026-{month}-28T00:00:00.000Z",
            "dueDate": f"2026-{month}-28T00:00:00.000Z",
            "pdfUrl": None,
        }
        invoices[invoice["id"]] = invoice
    found = {
        "readonly": False,
        "invoices": invoices,
        "paymentMethod": {
            "id": "pm_" + store.secret(16),
            "type": "card",
            "card": {"brand": "visa", "lastFour": "4242", "expMonth": 12, "expYear": 2030},
        },
        "intents": [],
    }
    table[ws_id] = found
    return found


def _billing(ctx: Context) -> dict[str, Any]:
    return billing_of(ctx.store, ctx.require_workspace())


@handler("getBillingReadonly")
def get_billing_readonly(ctx: Context) -> Any:
    """Tell whether the workspace's billing is read-only."""
    return {"billingReadonly": _billing(ctx)["readonly"]}


@handler("listPlans")
def list_plans(ctx: Context) -> Any:
    """List the plans a workspace can subscribe to."""
    return [_plan_record(p) for p in PLANS]


@handler("getPlan")
def get_plan(ctx: Context) -> Any:
    """Return one plan."""
    if ctx.path["planId"] not in PLANS:
        raise not_found("plan", ctx.path["planId"])
    return _plan_record(ctx.path["planId"])


@handler("listAddons")
def list_addons(ctx: Context) -> Any:
    """List the add-ons a workspace can buy."""
    return [_addon_record(a) for a in _ADDONS]


@handler("getAddon")
def get_addon(ctx: Context) -> Any:
    """Return one add-on."""
    found = next((a for a in _ADDONS if a[0] == ctx.path["addonId"]), None)
    if found is None:
        raise not_found("add-on", ctx.path["addonId"])
    return _addon_record(found)


@handler("listInvoices")
def list_invoices(ctx: Context) -> Any:
    """List the workspace's invoices."""
    page, meta = paginate(ctx, list(_billing(ctx)["invoices"].values()))
    return {"invoices": page, "meta": meta}


def _pay(invoice: dict[str, Any]) -> None:
    if invoice["status"] in ("void", "uncollectible", "draft"):
        raise ApiError(409, "RelationConflict", f"invoice {invoice['id']!r} is {invoice['status']}")
    invoice["status"] = "paid"


@handler("payInvoice")
def pay_invoice(ctx: Context) -> Any:
    """Pay an open invoice with the workspace's payment method (paying twice changes nothing)."""
    invoice = _billing(ctx)["invoices"].get(ctx.path["invoiceId"])
    if invoice is None:
        raise not_found("invoice", ctx.path["invoiceId"])
    _pay(invoice)
    return invoice


@handler("getPaymentMethod")
def get_payment_method(ctx: Context) -> Any:
    """Return the workspace's payment method."""
    method = _billing(ctx)["paymentMethod"]
    if method is None:
        raise not_found("payment method", ctx.require_workspace())
    return {"paymentMethod": method}


@handler("createPaymentMethodIntent")
def create_payment_method_intent(ctx: Context) -> Any:
    """Start adding a payment method; ``setPaymentMethod`` then accepts ``pm_`` + the secret."""
    secret = ctx.store.secret(24)
    intents: list[str] = _billing(ctx)["intents"]
    intents.append(secret)
    del intents[:-100]
    return {"clientSecret": "seti_" + secret}


@handler("setPaymentMethod")
def set_payment_method(ctx: Context) -> Any:
    """Make a payment method from a finished intent the workspace's own."""
    billing = _billing(ctx)
    method_id = ctx.body["paymentMethodId"]
    if not method_id.startswith("pm_") or method_id[3:] not in billing["intents"]:
        raise reference_missing("payment method", method_id)
    billing["paymentMethod"] = {
        "id": method_id,
        "type": "card",
        "card": {"brand": "visa", "lastFour": "4242", "expMonth": 12, "expYear": 2030},
    }
    return billing["paymentMethod"]


# --- the admin API's view of the same invoices --------------------------------------------------


def _admin_workspace(ctx: Context) -> str:
    return reach_workspace(ctx, ctx.path["id"])


def _admin_invoice(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": invoice["id"],
        "period": {
            "month": int(invoice["createdAt"][5:7]),
            "year": int(invoice["createdAt"][:4]),
        },
        "date": invoice["createdAt"],
        "amount": invoice["amount"],
        "currency": invoice["currency"],
        "paymentStatus": invoice["status"],
        "dueDate": invoice["dueDate"],
        "paymentAttemptCount": 1 if invoice["status"] == "paid" else 0,
        "nextPaymentAttemptDate": None,
        "pdfUrl": f"{ctx.base_url}/_emulator/invoices/{invoice['id']}.pdf",
    }


@handler("listWorkspaceInvoices")
def list_workspace_invoices(ctx: Context) -> Any:
    """List a workspace's invoices (the admin API's shape)."""
    billing = billing_of(ctx.store, _admin_workspace(ctx))
    return {"invoices": [_admin_invoice(ctx, i) for i in billing["invoices"].values()]}


@handler("getUpcomingInvoice")
def get_upcoming_invoice(ctx: Context) -> Any:
    """The next invoice: the plan's monthly price."""
    ws_id = _admin_workspace(ctx)
    plan = ctx.store.workspaces[ws_id].get("plan", "community")
    cents = PLANS.get(plan, PLANS["community"])["price"] * 100
    today = iso_now()[:10]
    item = {
        "id": f"li_{plan}",
        "description": f"{plan} plan",
        "totalInCents": cents,
        "currency": "usd",
        "pricePerUnitInCents": cents,
        "quantity": 1,
        "type": "subscription",
        "periodStart": today,
        "periodEnd": today,
    }
    return {"total": cents / 100, "lineItems": [item]}


@handler("chargeWorkspaceUnpaidInvoices")
def charge_unpaid_invoices(ctx: Context) -> Any:
    """Pay the workspace's open invoices (or the ones named)."""
    invoices = billing_of(ctx.store, _admin_workspace(ctx))["invoices"]
    wanted = ctx.body.get("invoiceIds")
    if wanted:
        for invoice_id in wanted:
            if invoice_id not in invoices:
                raise reference_missing("invoice", invoice_id)
        chosen = [invoices[i] for i in wanted]
    else:
        chosen = [i for i in invoices.values() if i["status"] == "open"]
    charged, failed = [], []
    for invoice in chosen:
        if invoice["status"] == "open":
            invoice["status"] = "paid"
            charged.append({"id": invoice["id"], "amount": invoice["amount"]})
        else:
            reason = f"the invoice is {invoice['status']}"
            failed.append(
                {"id": invoice["id"], "amount": invoice["amount"], "failedReason": reason}
            )
    return {"chargedInvoices": charged, "failedInvoices": failed}


@handler("migrateWorkspaceToV4")
def migrate_workspace_to_v4(ctx: Context) -> Any:
    """Move a workspace to the v4 billing (a workspace already there stays)."""
    ws_id = _admin_workspace(ctx)
    ctx.store.workspaces[ws_id]["billingVersion"] = "v4"
    return {}
