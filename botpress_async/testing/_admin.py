"""Stateful handlers of the admin API: account, tokens, workspaces, members, bots, integrations."""

from __future__ import annotations

from typing import Any

from ._delivery import registered
from ._pages import paginate, summaries
from ._schema import iso_now
from ._store import ApiError, BotData, Context, handler, not_found, tags_match

__all__: list[str] = []


def _forbidden(what: str) -> ApiError:
    return ApiError(403, "Forbidden", f"this token has no access to {what}")


def _account(ctx: Context) -> dict[str, Any]:
    account_id = ctx.account_id
    if account_id is None or account_id not in ctx.store.accounts:
        raise _forbidden("an account")
    return ctx.store.accounts[account_id]


def _workspace(ctx: Context, ws_id: str) -> dict[str, Any]:
    ws = ctx.store.workspaces.get(ws_id)
    if ws is None:
        raise not_found("workspace", ws_id)
    if ws_id not in ctx.store.account_workspaces(_account(ctx)["id"]):
        raise _forbidden(f"workspace {ws_id!r}")
    return ws


def _bot(ctx: Context, bot_id: str) -> BotData:
    bot = ctx.store.bots.get(bot_id)
    if bot is None or bot.workspace_id != ctx.require_workspace():
        raise not_found("bot", bot_id)
    return bot


# --- account and personal access tokens ------------------------------------------------------


@handler("getAccount")
def get_account(ctx: Context) -> Any:
    """Return the account behind the PAT."""
    return {"account": _account(ctx)}


@handler("updateAccount")
def update_account(ctx: Context) -> Any:
    """Change the account's display name or picture."""
    account = _account(ctx)
    for key in ("displayName", "profilePicture"):
        if isinstance(ctx.body.get(key), str):
            account[key] = ctx.body[key]
    return {"account": account}


@handler("listPersonalAccessTokens")
def list_pats(ctx: Context) -> Any:
    """List the account's PATs (without their values)."""
    tokens = ctx.store.tokens_of("pat", _account(ctx)["id"])
    return {"pats": [{"id": t.id, "createdAt": t.created_at, "note": t.note} for t in tokens]}


@handler("createPersonalAccessToken")
def create_pat(ctx: Context) -> Any:
    """Mint a PAT for the account; the value is shown only here."""
    token = ctx.store.mint("pat", _account(ctx)["id"], ctx.body["note"])
    return {
        "pat": {
            "id": token.id,
            "createdAt": token.created_at,
            "note": token.note,
            "value": token.value,
        }
    }


@handler("deletePersonalAccessToken")
def delete_pat(ctx: Context) -> Any:
    """Revoke a PAT of the account; it fails with 401 from the next request on."""
    owned = {t.id for t in ctx.store.tokens_of("pat", _account(ctx)["id"])}
    if ctx.path["id"] not in owned or not ctx.store.revoke("pat", ctx.path["id"]):
        raise not_found("personal access token", ctx.path["id"])
    return {}


@handler("setAccountPreference")
def set_account_preference(ctx: Context) -> Any:
    """Store an account preference."""
    ctx.store.preferences[(_account(ctx)["id"], ctx.path["key"])] = ctx.body.get("value")
    return {}


@handler("getAccountPreference")
def get_account_preference(ctx: Context) -> Any:
    """Return an account preference."""
    key = (_account(ctx)["id"], ctx.path["key"])
    if key not in ctx.store.preferences:
        raise not_found("preference", ctx.path["key"])
    return {"value": ctx.store.preferences[key]}


@handler("setWorkspacePreference")
def set_workspace_preference(ctx: Context) -> Any:
    """Store a workspace preference."""
    ws = ctx.headers.get("x-workspace-id") or "-"
    ctx.store.preferences[("ws:" + ws, ctx.path["key"])] = ctx.body.get("value")
    return {}


@handler("getWorkspacePreference")
def get_workspace_preference(ctx: Context) -> Any:
    """Return a workspace preference."""
    key = ("ws:" + (ctx.headers.get("x-workspace-id") or "-"), ctx.path["key"])
    if key not in ctx.store.preferences:
        raise not_found("preference", ctx.path["key"])
    return {"value": ctx.store.preferences[key]}


@handler("introspect")
def introspect(ctx: Context) -> Any:
    """Tell which workspace a bot belongs to, for the caller's token."""
    bot = ctx.store.bots.get(ctx.body["botId"])
    if bot is None:
        raise not_found("bot", ctx.body["botId"])
    if bot.workspace_id not in ctx.store.account_workspaces(_account(ctx)["id"]):
        raise _forbidden(f"bot {bot.id!r}")
    return {"workspaceId": bot.workspace_id, "botId": bot.id, "userId": ctx.token.owner}


# --- workspaces and members ----------------------------------------------------------------------


@handler("createWorkspace")
def create_workspace(ctx: Context) -> Any:
    """Create a workspace owned by the account."""
    return ctx.store.add_workspace(ctx.body["name"], _account(ctx))


@handler("getWorkspace")
def get_workspace(ctx: Context) -> Any:
    """Return a workspace the account belongs to."""
    return _workspace(ctx, ctx.path["id"])


@handler("getPublicWorkspace")
def get_public_workspace(ctx: Context) -> Any:
    """Return a workspace's public profile."""
    ws = ctx.store.workspaces.get(ctx.path["id"])
    if ws is None:
        raise not_found("workspace", ctx.path["id"])
    return ws


@handler("listWorkspaces")
def list_workspaces(ctx: Context) -> Any:
    """List the account's workspaces."""
    ids = ctx.store.account_workspaces(_account(ctx)["id"])
    items = [ctx.store.workspaces[i] for i in ids]
    if ctx.query.get("handle"):
        items = [w for w in items if w.get("handle") == ctx.query["handle"]]
    page, meta = paginate(ctx, items)
    return {"workspaces": summaries(ctx, "workspaces", page), "meta": meta}


@handler("updateWorkspace")
def update_workspace(ctx: Context) -> Any:
    """Change a workspace's name or profile."""
    ws = _workspace(ctx, ctx.path["id"])
    for key, value in ctx.body.items():
        if (
            key
            in (
                "name",
                "about",
                "profilePicture",
                "contactEmail",
                "website",
                "handle",
                "isPublic",
                "spendingLimit",
                "socialAccounts",
            )
            and value is not None
        ):
            ws[key] = value
    ws["updatedAt"] = iso_now()
    return ws


@handler("deleteWorkspace")
def delete_workspace(ctx: Context) -> Any:
    """Delete a workspace with its bots."""
    ws = _workspace(ctx, ctx.path["id"])
    for bot_id in [b.id for b in ctx.store.bots.values() if b.workspace_id == ws["id"]]:
        del ctx.store.bots[bot_id]
    del ctx.store.workspaces[ws["id"]]
    del ctx.store.members[ws["id"]]
    return {}


@handler("listWorkspaceMembers")
def list_members(ctx: Context) -> Any:
    """List the workspace's members."""
    page, meta = paginate(ctx, ctx.store.members[ctx.require_workspace()].values())
    return {"members": page, "meta": meta}


@handler("getWorkspaceMember")
def get_member_me(ctx: Context) -> Any:
    """Return the caller's membership of the workspace."""
    members = ctx.store.members[ctx.require_workspace()].values()
    me = next((m for m in members if m["userId"] == ctx.account_id), None)
    if me is None:
        raise not_found("workspace member", ctx.account_id)
    return me


@handler("createWorkspaceMember")
def create_member(ctx: Context) -> Any:
    """Add a member by email (the account is created when unknown)."""
    email = ctx.body["email"]
    account = next((a for a in ctx.store.accounts.values() if a["email"] == email), None)
    account = account or ctx.store.add_account(email)
    members = ctx.store.members[ctx.require_workspace()]
    if any(m["userId"] == account["id"] for m in members.values()):
        raise ApiError(409, "AlreadyExists", f"{email} is already a member")
    return ctx.store.add_member(ctx.require_workspace(), account, ctx.body["role"])


@handler("updateWorkspaceMember")
def update_member(ctx: Context) -> Any:
    """Change a member's role."""
    member = ctx.store.members[ctx.require_workspace()].get(ctx.path["id"])
    if member is None:
        raise not_found("workspace member", ctx.path["id"])
    if ctx.body.get("role"):
        member["role"] = ctx.body["role"]
    return member


@handler("deleteWorkspaceMember")
def delete_member(ctx: Context) -> Any:
    """Remove a member."""
    if ctx.store.members[ctx.require_workspace()].pop(ctx.path["id"], None) is None:
        raise not_found("workspace member", ctx.path["id"])
    return {}


# --- bots and bot API keys -----------------------------------------------------------------


@handler("createBot")
def create_bot(ctx: Context) -> Any:
    """Create a bot in the workspace."""
    body = ctx.body
    fields = {k: body[k] for k in ("tags", "dev", "description", "url") if k in body}
    bot = ctx.store.add_bot(ctx.require_workspace(), body.get("name") or "bot", fields)
    return {"bot": bot.record}


@handler("getBot")
def get_bot(ctx: Context) -> Any:
    """Return a bot of the workspace."""
    return {"bot": _bot(ctx, ctx.path["id"]).record}


@handler("listBots")
def list_bots(ctx: Context) -> Any:
    """List the workspace's bots."""
    ws = ctx.require_workspace()
    bots = [b.record for b in ctx.store.bots.values() if b.workspace_id == ws]
    bots = [b for b in bots if tags_match(b["tags"], ctx.query.get("tags"))]
    if isinstance(ctx.query.get("dev"), bool):
        bots = [b for b in bots if b["dev"] == ctx.query["dev"]]
    page, meta = paginate(ctx, bots)
    return {"bots": summaries(ctx, "bots", page), "meta": meta}


@handler("updateBot")
def update_bot(ctx: Context) -> Any:
    """Change a bot; ``integrations`` keyed by integration id installs or removes them."""
    bot = _bot(ctx, ctx.path["id"])
    body = ctx.body
    for key in ("name", "description", "alwaysAlive", "maxExecutionTime", "url"):
        if body.get(key) is not None:
            bot.record[key] = body[key]
    if isinstance(body.get("tags"), dict):
        bot.record["tags"] = {**bot.record["tags"], **body["tags"]}
    for integration_id, spec in (body.get("integrations") or {}).items():
        integration = ctx.store.integrations.get(integration_id)
        if spec is None:
            bot.integrations.discard(integration_id)
            bot.record["integrations"].pop(integration_id, None)
        elif integration is None:
            raise not_found("integration", integration_id)
        else:
            ctx.store.install(bot, integration)
            entry = bot.record["integrations"][integration_id]
            for key in ("configuration", "configurationType", "enabled"):
                if isinstance(spec, dict) and spec.get(key) is not None:
                    entry[key] = spec[key]
            registered(ctx.store, bot, integration_id)
    bot.record["updatedAt"] = iso_now()
    return {"bot": bot.record}


@handler("deleteBot")
def delete_bot(ctx: Context) -> Any:
    """Delete a bot and everything it keeps."""
    bot = _bot(ctx, ctx.path["id"])
    del ctx.store.bots[bot.id]
    ctx.store.workspaces[bot.workspace_id]["botCount"] -= 1
    for token in ctx.store.tokens_of("bak", bot.id):
        ctx.store.revoke("bak", token.id)
    return {}


@handler("listBotApiKeys")
def list_baks(ctx: Context) -> Any:
    """List a bot's API keys (without their values)."""
    bot = _bot(ctx, str(ctx.query.get("botId", "")))
    keys = ctx.store.tokens_of("bak", bot.id)
    return {"baks": [{"id": t.id, "createdAt": t.created_at, "note": t.note} for t in keys]}


@handler("createBotApiKey")
def create_bak(ctx: Context) -> Any:
    """Mint a bot API key; the value is shown only here."""
    bot = _bot(ctx, ctx.body["botId"])
    token = ctx.store.mint("bak", bot.id, ctx.body.get("note", ""))
    return {"id": token.id, "createdAt": token.created_at, "note": token.note, "value": token.value}


def _revoke_scoped(ctx: Context, kind: str) -> Any:
    ws = ctx.require_workspace()
    token = next((t for t in ctx.store.tokens_of(kind) if t.id == ctx.path["id"]), None)
    owner_ws = None
    if token is not None and kind == "bak" and token.owner in ctx.store.bots:
        owner_ws = ctx.store.bots[token.owner].workspace_id
    if token is not None and kind == "iak" and token.owner in ctx.store.integrations:
        owner_ws = ctx.store.integrations[token.owner]["workspaceId"]
    if token is None or owner_ws != ws:
        raise not_found("API key", ctx.path["id"])
    ctx.store.revoke(kind, token.id)
    return {}


@handler("deleteBotApiKey")
def delete_bak(ctx: Context) -> Any:
    """Revoke a bot API key; it fails with 401 from the next request on."""
    return _revoke_scoped(ctx, "bak")


# --- integrations and integration API keys ------------------------------------------------------


def _integration(ctx: Context, integration_id: str) -> dict[str, Any]:
    record = ctx.store.integrations.get(integration_id)
    if record is None or record["workspaceId"] != ctx.require_workspace():
        raise not_found("integration", integration_id)
    return record


def _public_integration(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "workspaceId"}


@handler("createIntegration")
def create_integration(ctx: Context) -> Any:
    """Create an integration owned by the workspace."""
    body = ctx.body
    for record in ctx.store.integrations.values():
        if record["name"] == body["name"] and record["version"] == body["version"]:
            raise ApiError(409, "AlreadyExists", f"{body['name']}@{body['version']} exists")
    record = ctx.store.add_integration(ctx.require_workspace(), body["name"], body["version"])
    for key in ("title", "description", "dev", "url", "public"):
        if body.get(key) is not None:
            record[key] = body[key]
    return {"integration": _public_integration(record)}


@handler("getIntegration")
def get_integration(ctx: Context) -> Any:
    """Return an integration of the workspace."""
    return {"integration": _public_integration(_integration(ctx, ctx.path["id"]))}


@handler("getIntegrationByName")
def get_integration_by_name(ctx: Context) -> Any:
    """Return an integration of the workspace by name and version."""
    ws = ctx.require_workspace()
    for record in ctx.store.integrations.values():
        if record["workspaceId"] != ws or record["name"] != ctx.path["name"]:
            continue
        if ctx.path["version"] in (record["version"], "latest"):
            return {"integration": _public_integration(record)}
    raise not_found("integration", f"{ctx.path['name']}@{ctx.path['version']}")


@handler("listIntegrations")
def list_integrations(ctx: Context) -> Any:
    """List the workspace's integrations."""
    ws = ctx.require_workspace()
    items = [
        _public_integration(r) for r in ctx.store.integrations.values() if r["workspaceId"] == ws
    ]
    if ctx.query.get("name"):
        items = [r for r in items if r["name"] == ctx.query["name"]]
    page, meta = paginate(ctx, items)
    return {"integrations": summaries(ctx, "integrations", page), "meta": meta}


@handler("updateIntegration")
def update_integration(ctx: Context) -> Any:
    """Change an integration's descriptive fields."""
    record = _integration(ctx, ctx.path["id"])
    for key in ("title", "description", "url", "public", "visibility"):
        if ctx.body.get(key) is not None:
            record[key] = ctx.body[key]
    record["updatedAt"] = iso_now()
    return {"integration": _public_integration(record)}


@handler("deleteIntegration")
def delete_integration(ctx: Context) -> Any:
    """Delete an integration; its keys stop working and bots lose it."""
    record = _integration(ctx, ctx.path["id"])
    del ctx.store.integrations[record["id"]]
    for token in ctx.store.tokens_of("iak", record["id"]):
        ctx.store.revoke("iak", token.id)
    for bot in ctx.store.bots.values():
        bot.integrations.discard(record["id"])
        bot.record["integrations"].pop(record["id"], None)
    return {}


@handler("listIntegrationApiKeys")
def list_iaks(ctx: Context) -> Any:
    """List an integration's API keys (without their values)."""
    record = _integration(ctx, str(ctx.query.get("integrationId", "")))
    keys = ctx.store.tokens_of("iak", record["id"])
    return {"iaks": [{"id": t.id, "createdAt": t.created_at, "note": t.note} for t in keys]}


@handler("createIntegrationApiKey")
def create_iak(ctx: Context) -> Any:
    """Mint an integration API key (how a self-hosted integration gets one)."""
    record = _integration(ctx, ctx.body["integrationId"])
    token = ctx.store.mint("iak", record["id"], ctx.body.get("note", ""))
    return {"id": token.id, "createdAt": token.created_at, "note": token.note, "value": token.value}


@handler("deleteIntegrationApiKey")
def delete_iak(ctx: Context) -> Any:
    """Revoke an integration API key; it fails with 401 from the next request on."""
    return _revoke_scoped(ctx, "iak")
