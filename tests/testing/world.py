"""A populated emulator and a valid request for every operation, for the emulator's own tests.

``build_world`` creates one of each resource through the API; ``valid_request`` fills an
operation's path, query and body from the schema and points ids at those resources.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import attrs

from botpress_async.testing import Emulator
from botpress_async.testing._schema import synthesize
from botpress_async.testing._spec import Operation

TABLE = "WorldTable"


@attrs.define
class World:
    """Ids of the resources ``build_world`` made."""

    emu: Emulator
    ids: dict[str, str]
    # Operations that need a token other than the emulator's PAT (deleteAccount needs an account
    # that owns no workspace).
    tokens: dict[str, str] = attrs.Factory(dict)

    def headers_for(self, op: Operation) -> dict[str, str]:
        """The headers a valid call to ``op`` sends."""
        token = self.tokens.get(op.operation_id)
        if op.api in ("runtime", "files", "tables"):
            return self.runtime_headers(token)
        return self.admin_headers(token)

    def runtime_headers(self, token: str | None = None) -> dict[str, str]:
        """Headers for a runtime, files or tables call on the emulator's bot."""
        return {"Authorization": f"Bearer {token or self.emu.pat}", "x-bot-id": self.emu.bot_id}

    def admin_headers(self, token: str | None = None) -> dict[str, str]:
        """Headers for an admin or billing call on the emulator's workspace."""
        return {
            "Authorization": f"Bearer {token or self.emu.pat}",
            "x-workspace-id": self.emu.workspace_id,
        }


async def call(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    params: Any = None,
) -> tuple[int, Any]:
    """One request; returns the status and the decoded JSON answer."""
    async with session.request(method, path, json=body, headers=headers, params=params) as resp:
        return resp.status, await resp.json()


async def _ok(session: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> Any:
    status, body = await call(session, *args, **kwargs)
    assert 200 <= status < 300, (status, body)
    return body


async def build_world(emu: Emulator, session: aiohttp.ClientSession) -> World:
    """Create one of each stateful resource on the emulator's bot and workspace."""
    world = World(emu=emu, ids={})
    rt = world.runtime_headers()
    adm = world.admin_headers()
    ids = world.ids
    user = await _ok(session, "POST", "/v1/chat/users", rt, {"tags": {}, "name": "Ada"})
    ids["user"] = user["user"]["id"]
    conv = await _ok(
        session, "POST", "/v1/chat/conversations", rt, {"channel": "web", "tags": {"color": "red"}}
    )
    ids["conv"] = conv["conversation"]["id"]
    await _ok(
        session,
        "POST",
        f"/v1/chat/conversations/{ids['conv']}/participants",
        rt,
        {"userId": ids["user"]},
    )
    msg = await _ok(
        session,
        "POST",
        "/v1/chat/messages",
        rt,
        {
            "payload": {"text": "hi"},
            "userId": ids["user"],
            "conversationId": ids["conv"],
            "type": "text",
            "tags": {},
        },
    )
    ids["msg"] = msg["message"]["id"]
    event = await _ok(session, "POST", "/v1/chat/events", rt, {"type": "ping", "payload": {}})
    ids["event"] = event["event"]["id"]
    scheduled = await _ok(
        session,
        "POST",
        "/v1/chat/events",
        rt,
        {"type": "ping", "payload": {}, "schedule": {"delay": 60000}},
    )
    ids["scheduled"] = scheduled["event"]["id"]
    flow = await _ok(
        session, "POST", "/v1/chat/workflows", rt, {"name": "flow", "status": "pending"}
    )
    ids["workflow"] = flow["workflow"]["id"]
    await _ok(
        session,
        "POST",
        f"/v1/chat/states/conversation/{ids['conv']}/world",
        rt,
        {"payload": {"n": 1}},
    )
    await _ok(
        session,
        "POST",
        "/v1/tables",
        rt,
        {"name": TABLE, "schema": {"properties": {"name": {"type": "string"}}}},
    )
    await _ok(session, "POST", f"/v1/tables/{TABLE}/rows", rt, {"rows": [{"name": "a"}]})
    file = await _ok(
        session, "PUT", "/v1/files", rt, {"key": "world.txt", "size": 5, "tags": {"color": "red"}}
    )
    ids["file"] = file["file"]["id"]
    kb = await _ok(session, "POST", "/v1/files/knowledge-bases", rt, {"name": "kb"})
    ids["kb"] = kb["knowledgeBase"]["id"]
    pat = await _ok(session, "POST", "/v1/admin/account/pats", adm, {"note": "world"})
    ids["pat"] = pat["pat"]["id"]
    bak = await _ok(session, "POST", "/v1/admin/bots/baks", adm, {"botId": emu.bot_id})
    ids["bak"] = bak["id"]
    iak = await _ok(
        session, "POST", "/v1/admin/integrations/iaks", adm, {"integrationId": emu.integration_id}
    )
    ids["iak"] = iak["id"]
    member = await _ok(
        session,
        "POST",
        "/v1/admin/workspace-members",
        adm,
        {"email": "member@example.com", "role": "viewer"},
    )
    ids["member"] = member["id"]
    await _ok(session, "POST", "/v1/admin/account/preferences/world", adm, {"value": 1})
    await _ok(session, "POST", "/v1/admin/workspaces/preferences/world", adm, {"value": 1})
    await _build_admin_extras(world, session)
    return world


async def _build_admin_extras(world: World, session: aiohttp.ClientSession) -> None:
    """The hub, bot extras and billing resources of the world."""
    emu, ids, adm = world.emu, world.ids, world.admin_headers()
    for kind, key in (("integrations", "hub_integration"), ("plugins", "hub_plugin")):
        listed = await _ok(session, "GET", f"/v1/admin/hub/{kind}", adm)
        ids[key] = listed[kind][0]["id"]
    listed = await _ok(session, "GET", "/v1/admin/hub/interfaces", adm)
    ids["hub_interface"] = listed["interfaces"][0]["id"]
    interface = {"name": "world-interface", "version": "1.0.0"}
    made = await _ok(session, "POST", "/v1/admin/interfaces", adm, interface)
    ids["interface"] = made["interface"]["id"]
    code = {"node": "// node", "browser": "// browser"}
    made = await _ok(
        session,
        "POST",
        "/v1/admin/plugins",
        adm,
        {"name": "world-plugin", "version": "1.0.0", "code": code},
    )
    ids["plugin"] = made["plugin"]["id"]
    version = await _ok(
        session, "POST", f"/v1/admin/bots/{emu.bot_id}/versions", adm, {"name": "v1"}
    )
    ids["bot_version"] = version["version"]["id"]
    ids["issue"] = emu.add_issue(emu.bot_id, "E1", "it broke")
    await _ok(
        session,
        "POST",
        f"/v1/admin/bots/{emu.bot_id}/integrations/{emu.integration_id}/shareable-id",
        adm,
        {},
    )
    other = await _ok(session, "POST", "/v1/admin/workspaces", adm, {"name": "second"})
    ids["second_workspace"] = other["id"]
    invoices = await _ok(session, "GET", "/v2/billing/invoices", adm)
    ids["invoice"] = next(i["id"] for i in invoices["invoices"] if i["status"] == "open")
    intent = await _ok(session, "POST", "/v2/billing/payment-methods/intent", adm, {})
    ids["payment_method"] = "pm_" + intent["clientSecret"].removeprefix("seti_")
    loner = emu.store.add_account("loner@example.com")
    world.tokens["deleteAccount"] = emu.store.mint("pat", loner["id"], "loner").value
    # An integration configures its own installation, with its own key.
    world.tokens["configureIntegration"] = emu.iak


def _path_values(world: World, op: Operation) -> dict[str, str]:
    emu, ids = world.emu, world.ids
    oid = op.operation_id
    by_prefix = {
        "/v1/chat/conversations/{id}": ids["conv"],
        "/v1/chat/events/scheduled": ids["scheduled"],
        "/v1/chat/events/{id}": ids["event"],
        "/v1/chat/messages/{id}": ids["msg"],
        "/v1/chat/users/{id}": ids["user"],
        "/v1/chat/workflows/{id}": ids["workflow"],
        "/v1/chat/states": ids["conv"],
        "/v1/files/knowledge-bases": ids["kb"],
        "/v1/files/{id}": ids["file"],
        "/v1/admin/account/pats": ids["pat"],
        "/v1/admin/bots/baks": ids["bak"],
        "/v1/admin/bots/{id}": emu.bot_id,
        "/v1/admin/workspaces/{id}": emu.workspace_id,
        "/v1/admin/workspace-members": ids["member"],
        "/v1/admin/integrations/iaks": ids["iak"],
        "/v1/admin/integrations/{id}": emu.integration_id,
        "/v1/admin/hub/integrations/{id}": ids["hub_integration"],
        "/v1/admin/hub/plugins/{id}": ids["hub_plugin"],
        "/v1/admin/hub/interfaces/{id}": ids["hub_interface"],
        "/v1/admin/interfaces/{id}": ids["interface"],
        "/v1/admin/plugins/{id}": ids["plugin"],
        "/v1/admin/usages/{id}": emu.workspace_id,
        "/v2/billing/invoices/{invoiceId}": ids["invoice"],
    }
    values: dict[str, str] = {}
    for param in op.path_params:
        name = param.name
        value = next((v for k, v in by_prefix.items() if op.template.startswith(k)), "x1")
        if name == "userId":
            value = ids["user"]
        elif name in ("table", "sourceTableId"):
            value = TABLE
        elif name == "botId":
            value = emu.bot_id
        elif name == "integrationId":
            value = emu.integration_id
        elif name == "idOrKey":
            value = ids["file"]
        elif name == "destinationKey":
            value = "copy.txt"
        elif name in ("key", "tag"):
            value = "world" if "preferences" in op.template else "color"
        elif name == "type":
            value = "conversation"
        elif name == "name" and oid.startswith("getIntegrationByName"):
            value = "emulated-integration"
        elif name == "name" and "states" in op.template:
            value = "world"
        elif name == "version" and oid == "getIntegrationByName":
            value = "0.1.0"
        elif name == "issueId":
            value = ids["issue"]
        elif name == "versionId":
            value = ids["bot_version"]
        elif name == "planId":
            value = "community"
        elif name == "addonId":
            value = "addon_bots"
        elif name in ("name", "version") and oid in _BY_NAME:
            value = _BY_NAME[oid][0 if name == "name" else 1]
        if "enum" in param.schema:
            value = param.schema["enum"][0]
        values[name] = value
    return values


_BY_NAME: dict[str, tuple[str, str]] = {
    "getPublicIntegration": ("echo", "1.0.0"),
    "getPublicPlugin": ("greeter", "1.0.0"),
    "getPublicInterface": ("typing-indicator", "0.1.0"),
    "getInterfaceByName": ("world-interface", "1.0.0"),
    "getPluginByName": ("world-plugin", "latest"),
}

_BODY_OVERRIDES: dict[str, Any] = {
    "runVrl": {"script": '.greeting = "hi"', "data": {}},
    "deleteTableRows": {"ids": [1]},
    "renameTableColumn": {"name": "name", "newName": "title"},
    "updateTableRows": {"rows": [{"id": 1, "name": "b"}]},
}


def valid_request(world: World, op: Operation) -> tuple[str, list[tuple[str, str]], Any]:
    """Path, query and body of a request to ``op`` that the emulator should answer with 2xx."""
    emu, ids = world.emu, world.ids
    path = op.template
    for name, value in _path_values(world, op).items():
        path = path.replace("{" + name + "}", value)
    query: list[tuple[str, str]] = []
    for param in op.query_params:
        if not param.required:
            continue
        if param.schema.get("type") == "object":
            query.append((param.name + ".key", "value"))
            continue
        if param.schema.get("type") == "array":
            value = [synthesize(param.schema.get("items", {}), param.name)]
        else:
            value = [synthesize(param.schema, param.name)]
        query.extend((param.name, _text(v)) for v in value)
    fixed = {
        "getTableRow": ("id", "1"),
        "listBotApiKeys": ("botId", emu.bot_id),
        "listIntegrationApiKeys": ("integrationId", emu.integration_id),
    }
    if op.operation_id in fixed:
        query = [fixed[op.operation_id]]
    if op.operation_id == "getMultipleUsages":
        query = [("types", "bot_count"), ("ids", emu.workspace_id)]
    if op.operation_id == "listActivities":
        query = [("taskId", "task"), ("botId", emu.bot_id)]
    if op.operation_id in ("getBotLogs", "getIntegrationLogs"):
        query = [("timeStart", "2000-01-01T00:00:00.000Z")]
    if op.operation_id == "getBotAnalytics":
        query = [("startDate", "2000-01-01"), ("endDate", "2100-01-01")]
    if op.operation_id.startswith("getDereferenced"):
        query = [("interfaces.typing", ids["hub_interface"])]
    body: Any = None
    if op.body_schema is not None:
        body = synthesize(op.body_schema)
        body.update(_BODY_OVERRIDES.get(op.operation_id, {}))
        for key in ("conversationId", "userId"):
            if key in op.body_schema.get("required", ()) and op.api == "runtime":
                body[key] = ids["conv"] if key == "conversationId" else ids["user"]
        if op.operation_id == "importMessages":
            item = synthesize(op.body_schema["properties"]["messages"]["items"])
            item.update(conversationId=ids["conv"], userId=ids["user"])
            body["messages"] = [item]
        if op.operation_id == "addParticipant":
            body["userId"] = ids["user"]
        if op.operation_id in ("createBotApiKey", "introspect"):
            body["botId"] = emu.bot_id
        if op.operation_id in ("createIntegrationApiKey", "requestIntegrationVerification"):
            body["integrationId"] = emu.integration_id
        if op.operation_id == "importTable":
            body["fileId"] = ids["file"]  # an import job reads a file that exists
        if op.operation_id == "transferBot":
            body["targetWorkspaceId"] = ids["second_workspace"]
        if op.operation_id == "deployBotVersion":
            body["versionId"] = ids["bot_version"]
        if op.operation_id == "setPaymentMethod":
            body["paymentMethodId"] = ids["payment_method"]
    return path, query, body


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
