"""Stateful handlers of a bot's admin extras: versions, bot JSON, issues, logs, analytics, access.

Issues have no creating operation in the API (the platform opens them); tests seed them with
``add_issue``. Logs, analytics and action runs come from what the bot did in the emulator.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

from ._activity import entries
from ._pages import paginate
from ._records import find, own_integration, records, reference_missing
from ._schema import iso_now
from ._store import ApiError, BotData, Context, Store, handler, not_found

__all__ = ["add_issue"]

_WEBCHAT_KINDS: Final = ("preconfigured", "configurable", "fullscreen", "sharableUrl")


def _bot(ctx: Context, key: str = "id") -> BotData:
    bot = ctx.store.bots.get(ctx.path[key])
    if bot is None:
        raise not_found("bot", ctx.path[key])
    if bot.workspace_id != ctx.require_workspace():
        raise ApiError(403, "Forbidden", f"bot {bot.id!r} belongs to another workspace")
    return bot


def add_issue(store: Store, bot_id: str, code: str, title: str, **fields: Any) -> dict[str, Any]:
    """Open an issue on a bot, as the platform does when the bot keeps failing.

    Args:
        store: the emulator's store.
        bot_id: the bot the issue is about.
        code: the issue's code (issues with the same code are one issue).
        title: the issue's title.
        fields: other issue fields (``description``, ``category``, ``groupedData``).
    """
    now = iso_now()
    issue: dict[str, Any] = {
        "id": store.new_id("issue"),
        "botId": bot_id,
        "code": code,
        "createdAt": now,
        "lastSeenAt": now,
        "title": title,
        "description": "",
        "groupedData": {},
        "eventsCount": 1,
        "category": "other",
        "resolutionLink": None,
        "events": [{"id": store.new_id("issueevt"), "createdAt": now, "data": {}}],
    }
    issue.update(fields)
    records(store, "issue")[issue["id"]] = issue
    return issue


def _public_issue(issue: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in issue.items() if k not in ("botId", "events")}


def _issue(ctx: Context) -> dict[str, Any]:
    bot = _bot(ctx)
    issue = records(ctx.store, "issue").get(ctx.path["issueId"])
    if issue is None or issue["botId"] != bot.id:
        raise not_found("issue", ctx.path["issueId"])
    return issue


@handler("listBotIssues")
def list_bot_issues(ctx: Context) -> Any:
    """List the issues open on a bot."""
    bot = _bot(ctx)
    items = [_public_issue(i) for i in records(ctx.store, "issue").values() if i["botId"] == bot.id]
    page, meta = paginate(ctx, items)
    return {"issues": page, "meta": meta}


@handler("getBotIssue")
def get_bot_issue(ctx: Context) -> Any:
    """Return one issue of a bot."""
    return {"issue": _public_issue(_issue(ctx))}


@handler("deleteBotIssue")
def delete_bot_issue(ctx: Context) -> Any:
    """Close (delete) an issue of a bot."""
    del records(ctx.store, "issue")[_issue(ctx)["id"]]
    return {}


@handler("listBotIssueEvents")
def list_bot_issue_events(ctx: Context) -> Any:
    """List the occurrences of one issue."""
    return {"issueEvents": list(_issue(ctx)["events"])}


# --- versions and bot JSON ----------------------------------------------------------------------


def _versions(ctx: Context, bot: BotData) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in records(ctx.store, "bot-version").items() if v["botId"] == bot.id}


@handler("listBotVersions")
def list_bot_versions(ctx: Context) -> Any:
    """List a bot's saved versions."""
    bot = _bot(ctx)
    keep = ("id", "name", "description")
    items = [{k: v[k] for k in keep if k in v} for v in _versions(ctx, bot).values()]
    return {"versions": items}


@handler("createBotVersion")
def create_bot_version(ctx: Context) -> Any:
    """Save the bot as it is now under a version name."""
    bot = _bot(ctx)
    version = {
        "id": ctx.store.new_id("botver"),
        "botId": bot.id,
        "name": ctx.body["name"],
        "createdAt": iso_now(),
        "snapshot": _bot_json(bot),
    }
    if ctx.body.get("description") is not None:
        version["description"] = ctx.body["description"]
    records(ctx.store, "bot-version")[version["id"]] = version
    return {"version": {k: version[k] for k in ("id", "name", "description") if k in version}}


def _version(ctx: Context, bot: BotData, version_id: str, *, reference: bool) -> dict[str, Any]:
    found = _versions(ctx, bot).get(version_id)
    if found is None:
        if reference:
            raise reference_missing("bot version", version_id)
        raise not_found("bot version", version_id)
    return found


@handler("getBotVersion")
def get_bot_version(ctx: Context) -> Any:
    """Return where a saved version of the bot can be downloaded."""
    bot = _bot(ctx)
    version = _version(ctx, bot, ctx.path["versionId"], reference=False)
    return {"url": f"{ctx.base_url}/_emulator/bot-versions/{version['id']}"}


@handler("deployBotVersion")
def deploy_bot_version(ctx: Context) -> Any:
    """Make a saved version the bot's current state again."""
    bot = _bot(ctx)
    version = _version(ctx, bot, ctx.body["versionId"], reference=True)
    _apply_bot_json(bot, version["snapshot"])
    return {}


_JSON_FIELDS: Final = ("name", "description", "tags", "configuration", "states", "events")


def _bot_json(bot: BotData) -> dict[str, Any]:
    return {k: bot.record[k] for k in _JSON_FIELDS if k in bot.record}


def _apply_bot_json(bot: BotData, data: dict[str, Any]) -> None:
    for key in _JSON_FIELDS:
        if key in data:
            bot.record[key] = data[key]
    bot.record["updatedAt"] = iso_now()


@handler("getBotJson")
def get_bot_json(ctx: Context) -> Any:
    """Return the bot's definition as JSON."""
    return _bot_json(_bot(ctx))


@handler("publishFromBotJson")
def publish_from_bot_json(ctx: Context) -> Any:
    """Replace the bot's definition with the JSON given."""
    bot_json = ctx.body["botJson"]
    if "name" in bot_json and not isinstance(bot_json["name"], str):
        raise ApiError(400, "InvalidDataFormat", "botJson.name must be a string")
    _apply_bot_json(_bot(ctx), bot_json)
    return {}


# --- secrets, transfer, webchat -----------------------------------------------------------------


@handler("rotateBotSigningSecrets")
def rotate_bot_signing_secrets(ctx: Context) -> Any:
    """Give the bot a new signing secret; the old one stops being the current one."""
    bot = _bot(ctx)
    bot.record["signingSecret"] = ctx.store.secret(32)
    return {"newSigningSecret": bot.record["signingSecret"]}


@handler("rotateIntegrationSigningSecrets")
def rotate_integration_signing_secrets(ctx: Context) -> Any:
    """Give an integration of the workspace a new signing secret."""
    record = own_integration(ctx, ctx.path["id"])
    record["signingSecret"] = ctx.store.secret(32)
    return {"newSigningSecret": record["signingSecret"]}


@handler("transferBot")
def transfer_bot(ctx: Context) -> Any:
    """Move a bot to another workspace the caller belongs to."""
    bot = _bot(ctx)
    target = ctx.body["targetWorkspaceId"]
    if target not in ctx.store.workspaces:
        raise reference_missing("workspace", target)
    if ctx.account_id is None or target not in ctx.store.account_workspaces(ctx.account_id):
        raise ApiError(403, "Forbidden", f"this token cannot reach workspace {target!r}")
    ctx.store.workspaces[bot.workspace_id]["botCount"] -= 1
    ctx.store.workspaces[target]["botCount"] += 1
    bot.workspace_id = target
    return {}


@handler("getBotWebchat")
def get_bot_webchat(ctx: Context) -> Any:
    """Return the snippet that embeds the bot's webchat."""
    bot = _bot(ctx)
    kind = ctx.query["type"]
    if kind not in _WEBCHAT_KINDS:
        raise ApiError(400, "InvalidQuery", f"type must be one of {', '.join(_WEBCHAT_KINDS)}")
    url = f"{ctx.base_url}/_emulator/webchat/{bot.id}"
    if kind == "sharableUrl":
        return {"code": url}
    return {"code": f'<script src="{url}" data-kind="{kind}"></script>'}


# --- logs, analytics, action runs -------------------------------------------------------------


def _instant(ctx: Context, name: str, default: str = "") -> str:
    """A window bound of the query, which must be an ISO 8601 date or date-time.

    The documents type these bounds as plain strings, but they are compared with timestamps:
    a bound that is not one would quietly match nothing (or everything), so it is refused.
    """
    value = str(ctx.query.get(name) or default)
    try:
        _dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400,
            "InvalidQuery",
            f"{name} must be an ISO 8601 date or date-time such as "
            f"2026-01-31T00:00:00.000Z, not {value!r}",
        ) from None
    return value


def _logs(ctx: Context, owner: str) -> Any:
    start = _instant(ctx, "timeStart")
    end = _instant(ctx, "timeEnd", "9999-12-31T23:59:59.999Z")
    items = [e for e in entries(ctx.store, "logs", owner) if start <= e["timestamp"] <= end]
    for key in ("level", "userId", "conversationId", "workflowId"):
        if ctx.query.get(key):
            items = [e for e in items if e.get(key) == ctx.query[key]]
    needle = ctx.query.get("messageContains")
    if needle:
        items = [e for e in items if str(needle) in e["message"]]
    page, meta = paginate(ctx, items)
    return {"logs": page, **meta}


@handler("getBotLogs")
def get_bot_logs(ctx: Context) -> Any:
    """Return the bot's log lines in a time window (each invocation writes one)."""
    return _logs(ctx, _bot(ctx).id)


@handler("getIntegrationLogs")
def get_integration_logs(ctx: Context) -> Any:
    """Return an integration's log lines (calls made with its key write them)."""
    return _logs(ctx, own_integration(ctx, ctx.path["id"])["id"])


@handler("getBotAnalytics")
def get_bot_analytics(ctx: Context) -> Any:
    """Count the bot's users, conversations, messages and events in a date window."""
    bot = _bot(ctx)
    start, end = _instant(ctx, "startDate"), _instant(ctx, "endDate")

    def inside(items: Any) -> list[dict[str, Any]]:
        return [i for i in items if start <= str(i.get("createdAt", "")) <= end + "\uffff"]

    messages = inside(bot.messages.values())
    incoming = [m for m in messages if m.get("direction") == "incoming"]
    custom = records(ctx.store, "analytics").get(bot.id, {})
    record = {
        "startDateTimeUtc": start,
        "endDateTimeUtc": end,
        "returningUsers": 0,
        "newUsers": len(inside(bot.users.values())),
        "sessions": len(inside(bot.conversations.values())),
        "messages": len(messages),
        "userMessages": len(incoming),
        "botMessages": len(messages) - len(incoming),
        "events": len(inside(bot.events.values())),
        "eventTypes": {},
        "customEvents": dict(custom),
        "llm": {},
    }
    return {"records": [record]}


@handler("trackAnalytics")
def track_analytics(ctx: Context) -> Any:
    """Count a custom analytics event of the bot (read back by getBotAnalytics)."""
    bot = ctx.require_bot()
    counters = records(ctx.store, "analytics").setdefault(bot.id, {})
    counters[ctx.body["name"]] = counters.get(ctx.body["name"], 0) + ctx.body["count"]
    return {}


@handler("captureObservation")
def capture_observation(ctx: Context) -> Any:
    """Keep an observation of the bot; it shows up in listActivities under its ``traceId``."""
    bot = ctx.require_bot()
    body = ctx.body
    activity = {
        "id": body.get("id") or ctx.store.new_id("activity"),
        "botId": bot.id,
        "taskId": body.get("traceId") or body.get("conversationId") or "",
        "description": body["name"],
        "category": "capture",
        "data": body["data"],
        "createdAt": iso_now(),
    }
    records(ctx.store, "activity")[activity["id"]] = activity
    return {}


@handler("listActionRuns")
def list_action_runs(ctx: Context) -> Any:
    """List the actions the bot ran through an integration (each callAction records one)."""
    bot = _bot(ctx)
    name = ctx.query["integrationName"]
    low = str(ctx.query.get("timestampFrom") or "")
    high = str(ctx.query.get("timestampUntil") or "9999")
    items = [
        r
        for r in reversed(entries(ctx.store, "action-runs", bot.id))
        if r.get("integrationName") == name and low <= r["timestamp"] <= high
    ]
    page, meta = paginate(ctx, items)
    return {"data": page, "meta": meta}


# --- shareable ids, sandboxed conversations, allowlist -----------------------------------------


def _installed(ctx: Context) -> tuple[BotData, str]:
    bot = _bot(ctx, "botId")
    integration_id = ctx.path["integrationId"]
    if integration_id not in bot.integrations:
        raise not_found("integration installed in the bot", integration_id)
    alias = str(ctx.query.get("integrationInstanceAlias") or "default")
    return bot, f"{bot.id}|{integration_id}|{alias}"


@handler("getIntegrationShareableId")
def get_shareable_id(ctx: Context) -> Any:
    """Return the shareable id of an installed integration."""
    _, key = _installed(ctx)
    found = find(ctx.store, "shareable-id", key, "shareable id")
    return {"shareableId": found["id"], "isExpired": False}


@handler("createIntegrationShareableId")
def create_shareable_id(ctx: Context) -> Any:
    """Create (or return) the shareable id of an installed integration."""
    _, key = _installed(ctx)
    table = records(ctx.store, "shareable-id")
    if key not in table:
        table[key] = {"id": ctx.store.new_id("share")}
    return {"shareableId": table[key]["id"]}


@handler("deleteIntegrationShareableId")
def delete_shareable_id(ctx: Context) -> Any:
    """Delete the shareable id of an installed integration."""
    _, key = _installed(ctx)
    if records(ctx.store, "shareable-id").pop(key, None) is None:
        raise not_found("shareable id", key)
    return {}


@handler("unlinkSandboxedConversations")
def unlink_sandboxed_conversations(ctx: Context) -> Any:
    """Forget the sandbox links of an installed integration's conversations."""
    bot, _ = _installed(ctx)
    for conv in bot.conversations.values():
        conv.get("tags", {}).pop("sandbox", None)
    return {}


@handler("getBotAllowlist")
def get_bot_allowlist(ctx: Context) -> Any:
    """Return who may talk to the bot."""
    bot = _bot(ctx, "botId")
    found = records(ctx.store, "allowlist").get(bot.id)
    if found is None:
        return {"setting": "ALL_WORKSPACE_USERS", "users": []}
    return {"setting": found["setting"], "users": [{"id": u} for u in found["users"]]}


@handler("updateBotAllowlist")
def update_bot_allowlist(ctx: Context) -> Any:
    """Change who may talk to the bot; ``users`` maps an account id to true (add) or null."""
    bot = _bot(ctx, "botId")
    current = records(ctx.store, "allowlist").setdefault(
        bot.id, {"setting": "ALL_WORKSPACE_USERS", "users": []}
    )
    if ctx.body.get("setting"):
        current["setting"] = ctx.body["setting"]
    for user_id, keep in (ctx.body.get("users") or {}).items():
        if keep and user_id not in current["users"]:
            if user_id not in ctx.store.accounts:
                raise reference_missing("account", user_id)
            current["users"].append(user_id)
        elif not keep and user_id in current["users"]:
            current["users"].remove(user_id)
    return {}
