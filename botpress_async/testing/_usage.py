"""Stateful handlers of usage, quotas, activities, audit records and the workspace extras.

Usage is derived from the store (bots, members, rows, files) or counted from activity
(``invocation_calls``: messages, events and actions); ``set_usage`` seeds any value. Quotas come
from the workspace's plan (``_billing.PLANS``).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any, Final

from ._activity import entries, usage_counts
from ._billing import plan_quota
from ._pages import paginate
from ._records import (
    by_name_version,
    own_integration,
    reach_workspace,
    records,
    reference_missing,
)
from ._schema import iso_now
from ._store import ApiError, BotData, Context, Store, handler, invalid, not_found

__all__ = ["set_usage"]

_QUOTA_TYPES: Final = (
    "invocation_calls",
    "bot_count",
    "table_row_count",
    "workspace_member_count",
    "integrations_owned_count",
    "storage_count",
    "ai_spend",
)


def set_usage(store: Store, owner_id: str, kind: str, value: float) -> None:
    """Seed the usage of ``kind`` for a workspace or a bot; it wins over the derived value.

    Args:
        store: the emulator's store.
        owner_id: a workspace id or a bot id.
        kind: a usage type (``invocation_calls``, ``bot_count``, ``ai_spend`` ...).
        value: the value the usage operations answer for the current month.
    """
    records(store, "usage-seed")[f"{owner_id}|{kind}"] = {"value": value}


def _period(ctx: Context) -> str:
    period = ctx.query.get("period")
    if period is None:
        return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m")
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ApiError(400, "InvalidQuery", f"period must look like 2026-01, not {period!r}")
    return period


def _bots(store: Store, ws_id: str) -> list[BotData]:
    return [b for b in store.bots.values() if b.workspace_id == ws_id]


def _derived(store: Store, ws_id: str, bots: list[BotData], kind: str, period: str) -> float:
    if kind == "bot_count":
        return len(bots)
    if kind == "workspace_member_count":
        return len(store.members.get(ws_id, {}))
    if kind == "integrations_owned_count":
        return sum(1 for i in store.integrations.values() if i["workspaceId"] == ws_id)
    if kind == "table_row_count":
        return sum(len(t.rows) for b in bots for t in b.tables.values())
    if kind == "storage_count":
        return sum(int(f.get("size") or 0) for b in bots for f in _files(b))
    if kind == "indexed_file_count":
        return sum(1 for b in bots for f in _files(b) if f.get("index"))
    ids = {b.id for b in bots}
    return sum(v for bot, v in usage_counts(store, ws_id, kind, period).items() if bot in ids)


def _files(bot: BotData) -> list[dict[str, Any]]:
    out = []
    for item in bot.files.values():
        record = getattr(item, "record", item)
        if isinstance(record, dict):
            out.append(record)
    return out


def _usage(ctx: Context, owner_id: str, kind: str, period: str) -> dict[str, Any]:
    """One usage record of a workspace or a bot."""
    store = ctx.store
    if owner_id in store.workspaces:
        ws_id, bots = owner_id, _bots(store, owner_id)
    elif owner_id in store.bots:
        bot = store.bots[owner_id]
        ws_id, bots = bot.workspace_id, [bot]
    else:
        raise not_found("workspace or bot", owner_id)
    if ctx.account_id is None or ws_id not in store.account_workspaces(ctx.account_id):
        raise ApiError(403, "Forbidden", f"this token cannot reach {owner_id!r}")
    seed = records(store, "usage-seed").get(f"{owner_id}|{kind}")
    value = seed["value"] if seed else _derived(store, ws_id, bots, kind, period)
    plan = store.workspaces[ws_id].get("plan", "community")
    quota = _quota(ctx, ws_id, plan, kind)
    return {"id": owner_id, "period": period, "value": value, "quota": quota, "type": kind}


def _quota(ctx: Context, ws_id: str, plan: str, kind: str) -> float:
    if kind == "ai_spend":
        limit = ctx.store.workspaces[ws_id].get("aiSpendLimit")
        if limit is not None:
            return float(limit)
    return plan_quota(plan, kind)


@handler("getUsage")
def get_usage(ctx: Context) -> Any:
    """Return the usage of one type for a workspace or a bot."""
    return {"usage": _usage(ctx, ctx.path["id"], ctx.query["type"], _period(ctx))}


@handler("getMultipleUsages")
def get_multiple_usages(ctx: Context) -> Any:
    """Return the usage of several types for several workspaces or bots."""
    period = _period(ctx)
    return {
        "usages": [
            _usage(ctx, owner, kind, period)
            for owner in ctx.query["ids"]
            for kind in ctx.query["types"]
        ]
    }


@handler("listWorkspaceUsages")
def list_workspace_usages(ctx: Context) -> Any:
    """Return the workspace's usage of one type."""
    return {"usages": [_usage(ctx, ctx.path["id"], ctx.query["type"], _period(ctx))]}


@handler("listUsageHistory")
def list_usage_history(ctx: Context) -> Any:
    """Return the usage of one type for this month and the months the emulator counted."""
    months = {_period(ctx)}
    for key in ctx.store.extra.get("usage-counts", {}):
        months.add(key.rsplit("|", 1)[-1])
    usages = [_usage(ctx, ctx.path["id"], ctx.query["type"], m) for m in sorted(months)]
    return {"usages": usages}


@handler("breakDownWorkspaceUsageByBot")
def break_down_usage_by_bot(ctx: Context) -> Any:
    """Return the usage of one type for each bot of the workspace."""
    ws_id = ctx.path["id"]
    _usage(ctx, ws_id, ctx.query["type"], _period(ctx))  # reach and existence checks
    data = [
        {"botId": bot.id, "value": _usage(ctx, bot.id, ctx.query["type"], _period(ctx))["value"]}
        for bot in _bots(ctx.store, ws_id)
    ]
    return {"data": data}


def _days(ctx: Context, owner_id: str, kind: str) -> list[tuple[str, str, float]]:
    """(bot id, date, value) of each day the emulator counted ``kind`` for the owner."""
    store = ctx.store
    bots = {owner_id} if owner_id in store.bots else {b.id for b in _bots(store, owner_id)}
    out = []
    for key, value in store.extra.get("usage-days", {}).items():
        _, bot, k, date = key.split("|")
        if k == kind and bot in bots:
            out.append((bot, date, float(value)))
    return sorted(out, key=lambda item: item[1])


@handler("listUsageActivity")
def list_usage_activity(ctx: Context) -> Any:
    """Return the counted usage of one type, day by day."""
    owner, kind = ctx.path["id"], ctx.query["type"]
    _usage(ctx, owner, kind, _period(ctx))
    low = str(ctx.query.get("timestampFrom") or "")
    high = str(ctx.query.get("timestampUntil") or "9999")
    items = [
        {"timestamp": date + "T00:00:00.000Z", "value": value, "period": date[:7], "metadata": {}}
        for bot, date, value in _days(ctx, owner, kind)
        if low <= date + "T00:00:00.000Z" <= high
    ]
    page, meta = paginate(ctx, items)
    return {"data": page, "meta": meta}


@handler("listUsageActivityDaily")
def list_usage_activity_daily(ctx: Context) -> Any:
    """Return the counted usage of one type per bot and day."""
    owner, kind = ctx.path["id"], ctx.query["type"]
    _usage(ctx, owner, kind, _period(ctx))
    low = str(ctx.query.get("dateFrom") or "")
    high = str(ctx.query.get("dateUntil") or "9999")
    items = [
        {"key": f"{bot}:{date}", "date": date, "value": value}
        for bot, date, value in _days(ctx, owner, kind)
        if low <= date <= high
    ]
    page, meta = paginate(ctx, items)
    return {"data": page, "meta": meta}


@handler("listWorkspaceQuotas")
def list_workspace_quotas(ctx: Context) -> Any:
    """Return the workspace's quotas (its plan's, with the AI spend limit it set)."""
    period = _period(ctx)
    quotas = []
    for kind in _QUOTA_TYPES:
        usage = _usage(ctx, ctx.path["id"], kind, period)
        quotas.append({"period": period, "value": usage["quota"], "type": kind})
    return {"quotas": quotas}


@handler("getWorkspaceQuota")
def get_workspace_quota(ctx: Context) -> Any:
    """Return one quota of the workspace."""
    period = _period(ctx)
    usage = _usage(ctx, ctx.path["id"], ctx.query["type"], period)
    return {"quota": {"period": period, "value": usage["quota"], "type": ctx.query["type"]}}


@handler("getAllWorkspaceQuotaCompletion")
def get_all_quota_completion(ctx: Context) -> Any:
    """For each workspace of the account, the quota closest to being used up."""
    if ctx.account_id is None:
        raise ApiError(403, "Forbidden", "only a personal access token has workspaces")
    period = _period(ctx)
    out = {}
    for ws_id in ctx.store.account_workspaces(ctx.account_id):
        best, most = "invocation_calls", 0.0
        for kind in _QUOTA_TYPES:
            usage = _usage(ctx, ws_id, kind, period)
            done = float(usage["value"]) / usage["quota"] if usage["quota"] else 0.0
            if done > most:
                best, most = kind, done
        out[ws_id] = {"type": best, "completion": most}
    return out


@handler("changeAISpendQuota")
def change_ai_spend_quota(ctx: Context) -> Any:
    """Set the workspace's monthly AI spend limit (read back by the quota operations)."""
    limit = ctx.body["monthlySpendingLimit"]
    if limit < 0:
        raise invalid("monthlySpendingLimit must not be negative")
    ctx.store.workspaces[ctx.require_workspace()]["aiSpendLimit"] = limit
    return {}


# --- activities and audit records ---------------------------------------------------------------


@handler("listActivities")
def list_activities(ctx: Context) -> Any:
    """List the activities recorded for one task of a bot (observations captured under it)."""
    bot = ctx.store.bots.get(ctx.query["botId"])
    if bot is None:
        raise not_found("bot", ctx.query["botId"])
    if ctx.account_id is None or bot.workspace_id not in ctx.store.account_workspaces(
        ctx.account_id
    ):
        raise ApiError(403, "Forbidden", f"this token cannot reach bot {bot.id!r}")
    items = [
        {k: v for k, v in a.items() if k != "botId"}
        for a in records(ctx.store, "activity").values()
        if a["botId"] == bot.id and a["taskId"] == ctx.query["taskId"]
    ]
    page, meta = paginate(ctx, items)
    return {"activities": page, "meta": meta}


@handler("getAuditRecords")
def get_audit_records(ctx: Context) -> Any:
    """List the workspace's audit records, newest first (admin changes write them)."""
    ws_id = reach_workspace(ctx, ctx.path["id"])
    page, meta = paginate(ctx, entries(ctx.store, "audit", ws_id))
    return {"records": page, "meta": meta}


# --- the workspace and account extras -----------------------------------------------------------


@handler("checkHandleAvailability")
def check_handle_availability(ctx: Context) -> Any:
    """Tell whether a workspace handle is free, with free variants when it is not."""
    handle = ctx.body["handle"]
    used = {w.get("handle"): w["id"] for w in ctx.store.workspaces.values() if w.get("handle")}
    if handle not in used:
        return {"available": True, "suggestions": []}
    suggestions = [f"{handle}-{n}" for n in range(1, 10) if f"{handle}-{n}" not in used][:3]
    return {"available": False, "suggestions": suggestions, "usedBy": used[handle]}


@handler("listPublicWorkspaces")
def list_public_workspaces(ctx: Context) -> Any:
    """List the workspaces that made their profile public."""
    items = [w for w in ctx.store.workspaces.values() if w.get("isPublic")]
    wanted = ctx.query.get("workspaceIds")
    if wanted:
        items = [w for w in items if w["id"] in wanted]
    search = ctx.query.get("search")
    if search:
        items = [w for w in items if str(search).lower() in w["name"].lower()]
    page, meta = paginate(ctx, items)
    return {"workspaces": page, "meta": meta}


@handler("deleteAccount")
def delete_account(ctx: Context) -> Any:
    """Delete the caller's account: its tokens stop working and its memberships end."""
    account_id = ctx.account_id
    if account_id is None or account_id not in ctx.store.accounts:
        raise ApiError(403, "Forbidden", "only a personal access token has an account")
    owned = [w["id"] for w in ctx.store.workspaces.values() if w["ownerId"] == account_id]
    if owned:
        raise ApiError(
            409,
            "ReferenceConstraint",
            f"the account still owns workspaces {', '.join(owned)}; delete them first",
        )
    for members in ctx.store.members.values():
        for member_id in [k for k, m in members.items() if m["userId"] == account_id]:
            del members[member_id]
    for token in ctx.store.tokens_of("pat", account_id):
        ctx.store.revoke("pat", token.id)
    del ctx.store.accounts[account_id]
    return {}


# --- integration validation and verification ----------------------------------------------------


def _check_interfaces(ctx: Context, interfaces: Any) -> None:
    """Every interface an integration says it implements must be in the hub or the workspace."""
    from ._hub import seed_hub

    seed_hub(ctx.store)
    known = list(records(ctx.store, "hub-interface").values())
    known += list(records(ctx.store, "interface").values())
    for alias, ref in (interfaces or {}).items():
        ok = isinstance(ref, dict) and (
            any(i["id"] == ref.get("id") for i in known)
            or by_name_version(known, str(ref.get("name")), str(ref.get("version", "latest")))
        )
        if not ok:
            raise reference_missing(f"interface {alias!r}", ref.get("id") if ref else ref)


@handler("validateIntegrationCreation")
def validate_integration_creation(ctx: Context) -> Any:
    """Check that createIntegration would accept this definition, changing nothing."""
    body = ctx.body
    for record in ctx.store.integrations.values():
        if record["name"] == body["name"] and record["version"] == body["version"]:
            raise ApiError(409, "AlreadyExists", f"{body['name']}@{body['version']} exists")
    _check_interfaces(ctx, body.get("interfaces"))
    return {}


@handler("validateIntegrationUpdate")
def validate_integration_update(ctx: Context) -> Any:
    """Check that updateIntegration would accept this change, changing nothing."""
    own_integration(ctx, ctx.path["id"])
    _check_interfaces(ctx, ctx.body.get("interfaces"))
    return {}


@handler("requestIntegrationVerification")
def request_integration_verification(ctx: Context) -> Any:
    """Ask for an integration of the workspace to be verified (its status becomes pending)."""
    record = own_integration(ctx, ctx.body["integrationId"], reference=True)
    if record["verificationStatus"] != "approved":
        record["verificationStatus"] = "pending"
    record["updatedAt"] = iso_now()
    return {}


# --- VRL ----------------------------------------------------------------------------------------

_ASSIGN: Final = re.compile(r"^\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$")
_DELETE: Final = re.compile(r"^del\(\.([A-Za-z_][A-Za-z0-9_]*)\)$")


@handler("runVrl")
def run_vrl(ctx: Context) -> Any:
    """Run a VRL script of the small subset the emulator knows on ``data``.

    Lines may be ``.field = <JSON literal>``, ``.field = .other``, ``del(.field)`` or ``.``;
    anything else answers 400 ``Runtime`` rather than a guessed result.
    """
    data = dict(ctx.body["data"])
    result: Any = None
    for raw_line in ctx.body["script"].replace(";", "\n").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line == ".":
            result = dict(data)
            continue
        deleted = _DELETE.match(line)
        assigned = _ASSIGN.match(line)
        if deleted:
            result = data.pop(deleted.group(1), None)
        elif assigned:
            name, expr = assigned.groups()
            if expr.startswith("."):
                value = data.get(expr[1:])
            else:
                try:
                    value = json.loads(expr)
                except ValueError as exc:
                    raise ApiError(400, "Runtime", f"cannot evaluate {expr!r}") from exc
            data[name] = result = value
        else:
            raise ApiError(400, "Runtime", f"the emulator's VRL subset cannot run {line!r}")
    return {"data": data, "result": result}
