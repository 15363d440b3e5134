"""What the emulator derives from activity: audit records, logs, usage counts and action runs.

``observe`` runs after every successful handler. The tables it fills are bounded, so a long test
run keeps constant memory; tests can also seed them through the functions below.
"""

from __future__ import annotations

import collections
import datetime as _dt
from typing import Any, Final

from ._schema import iso_now
from ._store import Context, Store

__all__ = [
    "add_action_run",
    "add_log",
    "count_usage",
    "observe",
    "usage_counts",
]

# How many entries each bounded table keeps (the oldest go first).
LIMIT: Final = 10_000
# Runtime operations that count as one invocation of the bot (the ``invocation_calls`` usage).
_INVOCATIONS: Final = frozenset(
    {"createMessage", "getOrCreateMessage", "createEvent", "callAction", "trackAnalytics"}
)
# The admin changes that leave an audit record, and the action the record names.
_AUDITED: Final = {
    "createWorkspaceMember": "ADD_WORKSPACE_MEMBER",
    "deleteWorkspaceMember": "REMOVE_WORKSPACE_MEMBER",
    "updateWorkspaceMember": "UPDATE_WORKSPACE_MEMBER",
    "deleteWorkspace": "CLOSE_WORKSPACE",
    "createWorkspace": "CREATE_WORKSPACE",
    "updateWorkspace": "UPDATE_WORKSPACE",
    "createBot": "CREATE_BOT",
    "updateBot": "UPDATE_BOT",
    "deleteBot": "DELETE_BOT",
    "deployBotVersion": "DEPLOY_BOT",
    "publishFromBotJson": "DEPLOY_BOT",
    "transferBot": "TRANSFER_BOT",
    "updateBotAllowlist": "UPDATE_BOT_CONFIG",
    "changeAISpendQuota": "SET_AI_SPENDING_LIMIT",
}


def _deque(store: Store, name: str, key: str) -> collections.deque[dict[str, Any]]:
    table = store.extra.setdefault(name, {})
    found = table.get(key)
    if found is None:
        found = table[key] = collections.deque(maxlen=LIMIT)
    deque: collections.deque[dict[str, Any]] = found
    return deque


def entries(store: Store, name: str, key: str) -> list[dict[str, Any]]:
    """The entries of a bounded table (``audit``, ``bot-logs``, ``action-runs`` ...) for ``key``."""
    return list(_deque(store, name, key))


def add_log(store: Store, owner: str, message: str, **fields: Any) -> None:
    """Append a log line to a bot's or an integration's log (``owner`` is its id).

    Args:
        store: the emulator's store.
        owner: the bot or integration id.
        message: the line.
        fields: ``level`` (default ``info``), ``userId``, ``conversationId``, ``workflowId``.
    """
    entry = {"timestamp": iso_now(), "level": fields.pop("level", "info"), "message": message}
    entry.update({k: v for k, v in fields.items() if v is not None})
    _deque(store, "logs", owner).append(entry)


def add_action_run(store: Store, bot_id: str, run: dict[str, Any]) -> None:
    """Record an action run of a bot (``integrationName``, ``actionType``, ``input``...)."""
    entry = {
        "timestamp": iso_now(),
        "status": "success",
        "durationMs": 0,
        "cached": False,
        "input": {},
        "output": {},
        **run,
    }
    _deque(store, "action-runs", bot_id).append(entry)


def count_usage(store: Store, workspace_id: str, bot_id: str, kind: str, amount: float) -> None:
    """Add ``amount`` to a usage counter of a bot for the current month."""
    counters = store.extra.setdefault("usage-counts", {})
    key = f"{workspace_id}|{bot_id}|{kind}|{_month()}"
    counters[key] = counters.get(key, 0) + amount
    day = store.extra.setdefault("usage-days", {})
    day_key = f"{workspace_id}|{bot_id}|{kind}|{iso_now()[:10]}"
    day[day_key] = day.get(day_key, 0) + amount


def usage_counts(store: Store, workspace_id: str, kind: str, period: str) -> dict[str, float]:
    """Counted usage of each bot of a workspace for one month (``YYYY-MM``)."""
    out: dict[str, float] = {}
    for key, value in store.extra.get("usage-counts", {}).items():
        ws, bot, k, month = key.split("|")
        if ws == workspace_id and k == kind and month == period:
            out[bot] = out.get(bot, 0) + float(value)
    return out


def _month() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m")


def observe(ctx: Context, result: Any) -> None:
    """Derive audit records, logs, usage and action runs from one successful operation."""
    op = ctx.op
    if op.operation_id in _AUDITED:
        _audit(ctx, result)
    if ctx.bot is None or op.operation_id not in _INVOCATIONS:
        return
    bot = ctx.bot
    count_usage(ctx.store, bot.workspace_id, bot.id, "invocation_calls", 1)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    line = f"{op.operation_id} {body.get('type', '')}".strip()
    conv = body.get("conversationId")
    user = body.get("userId")
    add_log(ctx.store, bot.id, line, userId=user, conversationId=conv)
    if ctx.token.kind == "iak":
        add_log(ctx.store, ctx.token.owner, line, userId=user, conversationId=conv)
    if op.operation_id == "callAction" and isinstance(result, dict):
        add_action_run(
            ctx.store,
            bot.id,
            {
                "integrationName": str(body.get("type", "")).split(":", 1)[0],
                "actionType": str(body.get("type", "")),
                "input": body.get("input") or {},
                "output": result.get("output") or {},
            },
        )


def _audit(ctx: Context, result: Any) -> None:
    """An audit record for an admin change, as the workspace's audit trail shows it."""
    op = ctx.op
    account = ctx.store.accounts.get(ctx.token.owner) if ctx.token.kind == "pat" else None
    made = result.get("bot", result) if isinstance(result, dict) else {}
    resource = ctx.path.get("id") or made.get("id") or ctx.workspace_id
    workspace = ctx.workspace_id
    if op.operation_id.endswith("Workspace"):
        workspace = ctx.path.get("id") or made.get("id")
    if workspace is None:
        return
    entry = {
        "id": ctx.store.new_id("audit"),
        "recordedAt": iso_now(),
        "userId": ctx.token.owner if account else None,
        "userEmail": account["email"] if account else None,
        "resourceId": resource,
        "resourceName": None,
        "value": None,
        "action": _AUDITED[op.operation_id],
    }
    _deque(ctx.store, "audit", workspace).appendleft(entry)
