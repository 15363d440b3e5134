"""Stateful handlers of the runtime API's states (with expiry), workflows and tag values."""

from __future__ import annotations

from typing import Any

from ._pages import paginate
from ._schema import iso_now
from ._store import BotData, Context, handler, invalid, not_found, tags_match

__all__: list[str] = []

_ACTIVE = frozenset({"pending", "in_progress", "listening", "paused"})


def _key(ctx: Context) -> tuple[str, str, str]:
    return ctx.path["type"], ctx.path["id"], ctx.path["name"]


def _live(ctx: Context, bot: BotData) -> dict[str, Any] | None:
    """The state at the request's key, or ``None`` when absent or expired (expired is gone)."""
    key = _key(ctx)
    entry = bot.states.get(key)
    if entry is None:
        return None
    state, expires = entry
    if expires is not None and expires <= ctx.now:
        del bot.states[key]
        return None
    return state


def _expiry(ctx: Context, millis: Any) -> float | None:
    if millis is None:
        return None
    if millis <= 0:
        raise invalid("expiry must be a positive number of milliseconds")
    return ctx.now + float(millis) / 1000.0


def _write(ctx: Context, bot: BotData, payload: dict[str, Any], expiry: Any) -> dict[str, Any]:
    kind, owner, name = _key(ctx)
    now = iso_now()
    current = _live(ctx, bot)
    state: dict[str, Any] = {
        "id": current["id"] if current else ctx.store.new_id("state"),
        "createdAt": current["createdAt"] if current else now,
        "updatedAt": now,
        "botId": bot.id,
        "name": name,
        "type": kind,
        "payload": payload,
    }
    if kind == "conversation":
        state["conversationId"] = owner
    elif kind == "user":
        state["userId"] = owner
    old_expiry = bot.states[_key(ctx)][1] if current else None
    bot.states[_key(ctx)] = (state, old_expiry if expiry == "keep" else _expiry(ctx, expiry))
    return state


@handler("getState")
def get_state(ctx: Context) -> Any:
    """Return a state that exists and has not expired."""
    state = _live(ctx, ctx.require_bot())
    if state is None:
        raise not_found("state", "/".join(_key(ctx)))
    return {"state": state, "meta": {"cached": False}}


@handler("setState")
def set_state(ctx: Context) -> Any:
    """Write a state; a null payload deletes it."""
    bot = ctx.require_bot()
    payload = ctx.body.get("payload")
    if payload is None:
        current = _live(ctx, bot)
        bot.states.pop(_key(ctx), None)
        return {"state": current or {"payload": {}}}
    return {"state": _write(ctx, bot, payload, ctx.body.get("expiry"))}


@handler("getOrSetState")
def get_or_set_state(ctx: Context) -> Any:
    """Return the live state, or write the given payload when there is none."""
    bot = ctx.require_bot()
    current = _live(ctx, bot)
    if current is not None:
        return {"state": current, "meta": {"cached": False}}
    state = _write(ctx, bot, ctx.body["payload"], ctx.body.get("expiry"))
    return {"state": state, "meta": {"cached": False}}


@handler("patchState")
def patch_state(ctx: Context) -> Any:
    """Merge top-level payload fields into a live state."""
    bot = ctx.require_bot()
    current = _live(ctx, bot)
    if current is None:
        raise not_found("state", "/".join(_key(ctx)))
    payload = {**current["payload"], **ctx.body["payload"]}
    return {"state": _write(ctx, bot, payload, "keep")}


@handler("setStateExpiry")
def set_state_expiry(ctx: Context) -> Any:
    """Change when a live state expires; null removes the expiry."""
    bot = ctx.require_bot()
    current = _live(ctx, bot)
    if current is None:
        raise not_found("state", "/".join(_key(ctx)))
    bot.states[_key(ctx)] = (current, _expiry(ctx, ctx.body["expiry"]))
    return {"state": current}


# --- workflows -----------------------------------------------------------------------------


def _new_workflow(ctx: Context, bot: BotData) -> dict[str, Any]:
    body = ctx.body
    now = iso_now()
    flow: dict[str, Any] = {
        "id": ctx.store.new_id("wfl"),
        "name": body["name"],
        "status": body["status"],
        "input": body.get("input") or {},
        "output": {},
        "createdAt": now,
        "updatedAt": now,
        "timeoutAt": body.get("timeoutAt") or "2100-01-01T00:00:00.000Z",
        "tags": dict(body.get("tags") or {}),
    }
    for key in ("parentWorkflowId", "conversationId", "userId"):
        if body.get(key):
            flow[key] = body[key]
    bot.workflows[flow["id"]] = flow
    return flow


def _workflow(bot: BotData, flow_id: str) -> dict[str, Any]:
    flow = bot.workflows.get(flow_id)
    if flow is None:
        raise not_found("workflow", flow_id)
    return flow


@handler("createWorkflow")
def create_workflow(ctx: Context) -> Any:
    """Start a workflow."""
    return {"workflow": _new_workflow(ctx, ctx.require_bot())}


@handler("getOrCreateWorkflow")
def get_or_create_workflow(ctx: Context) -> Any:
    """Return the workflow with the same name, tags and status group, or start it."""
    bot = ctx.require_bot()
    body = ctx.body
    group = body.get("discriminateByStatusGroup")
    tags = body.get("tags") or {}
    keys = body.get("discriminateByTags")
    for flow in bot.workflows.values():
        if flow["name"] != body["name"]:
            continue
        if group == "active" and flow["status"] not in _ACTIVE:
            continue
        if group == "finished" and flow["status"] in _ACTIVE:
            continue
        if all(flow["tags"].get(k) == tags.get(k) for k in (keys if keys is not None else tags)):
            return {"workflow": flow}
    return {"workflow": _new_workflow(ctx, bot)}


@handler("getWorkflow")
def get_workflow(ctx: Context) -> Any:
    """Return one workflow."""
    return {"workflow": _workflow(ctx.require_bot(), ctx.path["id"])}


@handler("updateWorkflow")
def update_workflow(ctx: Context) -> Any:
    """Change a workflow's status, output, tags or timeout."""
    flow = _workflow(ctx.require_bot(), ctx.path["id"])
    body = ctx.body
    for key in ("output", "timeoutAt", "status", "failureReason", "userId"):
        if body.get(key) is not None:
            flow[key] = body[key]
    if "tags" in body:
        flow["tags"] = {**flow["tags"], **(body["tags"] or {})}
    flow["updatedAt"] = iso_now()
    if flow["status"] in ("completed", "failed", "cancelled", "timedout"):
        flow.setdefault("completedAt", flow["updatedAt"])
    return {"workflow": flow}


@handler("deleteWorkflow")
def delete_workflow(ctx: Context) -> Any:
    """Delete a workflow."""
    bot = ctx.require_bot()
    _workflow(bot, ctx.path["id"])
    del bot.workflows[ctx.path["id"]]
    return {}


@handler("listWorkflows")
def list_workflows(ctx: Context) -> Any:
    """List workflows, filtered by tags, conversation, user, parent, statuses and name."""
    q = ctx.query
    flows = [
        f for f in ctx.require_bot().workflows.values() if tags_match(f["tags"], q.get("tags"))
    ]
    for key in ("conversationId", "userId", "parentWorkflowId", "name"):
        if q.get(key):
            flows = [f for f in flows if f.get(key) == q[key]]
    if q.get("statuses"):
        flows = [f for f in flows if f["status"] in q["statuses"]]
    page, meta = paginate(ctx, flows)
    return {"workflows": page, "meta": meta}


@handler("listTagValues")
def list_tag_values(ctx: Context) -> Any:
    """List the values seen for one tag key of users, conversations or messages."""
    values = sorted(ctx.require_bot().tag_values.get(f"{ctx.query['type']}:{ctx.path['key']}", ()))
    page, meta = paginate(ctx, [{"value": v} for v in values])
    return {"tags": page, "meta": meta}
