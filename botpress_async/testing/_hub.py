"""Stateful handlers of the hub: workspace interfaces and plugins, and the public catalogue.

The public catalogue is seeded with a few entries the first time it is read, and every public
integration, interface or plugin created in one of the emulator's workspaces shows up there too.
"""

from __future__ import annotations

from typing import Any, Final

from ._pages import paginate, summaries
from ._records import by_name_version, copy_fields, find, records, reference_missing
from ._schema import iso_now
from ._store import ApiError, Context, Store, handler, not_found

__all__ = ["seed_hub"]

# (kind, name, version, extra fields) of the seeded catalogue; owned by no emulator workspace.
_CATALOGUE: Final[tuple[tuple[str, str, str, dict[str, Any]], ...]] = (
    ("interface", "typing-indicator", "0.1.0", {}),
    ("interface", "typing-indicator", "0.2.0", {}),
    ("interface", "llm", "1.0.0", {"actions": {"generateContent": {"input": {}, "output": {}}}}),
    ("integration", "echo", "1.0.0", {"verificationStatus": "approved"}),
    ("integration", "echo", "1.1.0", {"verificationStatus": "approved"}),
    ("integration", "weather", "0.3.0", {}),
    ("plugin", "greeter", "1.0.0", {}),
    ("plugin", "greeter", "1.2.0", {}),
)
_HUB_OWNER: Final = {"id": "wkspace_HUB", "handle": "botpress", "name": "Botpress hub"}
_INTERFACE_FIELDS: Final = (
    "entities",
    "events",
    "actions",
    "channels",
    "nameTemplate",
    "attributes",
    "title",
    "description",
    "public",
)
_PLUGIN_FIELDS: Final = (
    "configuration",
    "states",
    "events",
    "actions",
    "user",
    "conversation",
    "message",
    "attributes",
    "title",
    "description",
    "public",
    "visibility",
    "dependencies",
)


def _new(store: Store, kind: str, name: str, version: str, workspace: str | None) -> dict[str, Any]:
    now = iso_now()
    prefix = {"interface": "intrface", "plugin": "plugin", "integration": "intver"}[kind]
    record: dict[str, Any] = {
        "id": store.new_id(prefix),
        "name": name,
        "version": version,
        "createdAt": now,
        "updatedAt": now,
        "title": name,
        "description": "",
        "iconUrl": "",
        "readmeUrl": "",
        "public": workspace is None,
        "visibility": "public" if workspace is None else "private",
        "lifecycleStatus": "published",
        "workspaceId": workspace,
        "entities": {},
        "events": {},
        "actions": {},
        "channels": {},
        "states": {},
        "code": {"node": f"// {name}@{version} (node)", "browser": f"// {name}@{version}"},
    }
    if kind == "plugin":
        record["dependencies"] = {"interfaces": {}, "integrations": {}}
        record["configuration"] = {"schema": {}}
    return record


def seed_hub(store: Store) -> None:
    """Put the small public catalogue in the store, once."""
    # The marker's table is empty, so presence is the test, not truth.
    if "hub-seeded" in store.extra:
        return
    store.extra["hub-seeded"] = {}
    for kind, name, version, fields in _CATALOGUE:
        record = _new(store, kind, name, version, None)
        record.update(fields)
        records(store, "hub-" + kind)[record["id"]] = record


def _kind(ctx: Context) -> str:
    return "plugin" if "Plugin" in ctx.op.operation_id else "interface"


def _public_entries(ctx: Context, kind: str) -> list[dict[str, Any]]:
    """The catalogue of ``kind``: seeded entries and public ones of the emulator's workspaces."""
    seed_hub(ctx.store)
    items = list(records(ctx.store, "hub-" + kind).values())
    if kind == "integration":
        own = ctx.store.integrations.values()
    else:
        own = records(ctx.store, kind).values()
    items.extend(r for r in own if r.get("public") or r.get("visibility") == "public")
    for item in items:
        if kind == "integration":
            item.setdefault("ownerWorkspace", _owner(ctx, item))
    return items


def _owner(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    ws = ctx.store.workspaces.get(item.get("workspaceId") or "")
    if ws is None:
        return dict(_HUB_OWNER)
    return {"id": ws["id"], "handle": ws.get("handle") or ws["id"], "name": ws["name"]}


def _filtered(ctx: Context, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for key in ("name", "version", "verificationStatus"):
        if ctx.query.get(key):
            items = [i for i in items if i.get(key) == ctx.query[key]]
    search = ctx.query.get("search")
    if isinstance(search, str) and search:
        low = search.lower()
        items = [i for i in items if low in (i["name"] + " " + str(i.get("title"))).lower()]
    return items


def _public_one(ctx: Context, kind: str, label: str) -> dict[str, Any]:
    items = _public_entries(ctx, kind)
    if "name" in ctx.path:
        found = by_name_version(items, ctx.path["name"], ctx.path["version"])
        key: str = f"{ctx.path['name']}@{ctx.path['version']}"
    else:
        key = ctx.path["id"]
        found = next((i for i in items if i["id"] == key), None)
    if found is None:
        raise not_found(label, key)
    return found


def _dereferenced(ctx: Context, plugin: dict[str, Any]) -> dict[str, Any]:
    """The plugin with each interface it depends on resolved to the one the query names."""
    out = dict(plugin)
    wanted = ctx.query.get("interfaces") or {}
    interfaces = _public_entries(ctx, "interface") + list(records(ctx.store, "interface").values())
    for alias, interface_id in wanted.items() if isinstance(wanted, dict) else ():
        if not any(i["id"] == interface_id for i in interfaces):
            raise reference_missing(f"interface for {alias!r}", interface_id)
    return out


def _code(ctx: Context, plugin: dict[str, Any]) -> dict[str, Any]:
    platform = ctx.path["platform"]
    code = plugin.get("code") or {}
    if platform not in code:
        raise not_found("plugin code for platform", platform)
    return {"code": code[platform]}


@handler("listPublicIntegrations")
def list_public_integrations(ctx: Context) -> Any:
    """List the public integrations of the hub."""
    items = _filtered(ctx, _public_entries(ctx, "integration"))
    interface_id = ctx.query.get("interfaceId")
    if interface_id:
        items = [i for i in items if interface_id in _implemented(i)]
    bot_id = ctx.query.get("installedByBotId")
    if bot_id:
        bot = ctx.store.bots.get(bot_id)
        installed = bot.integrations if bot else set()
        items = [i for i in items if i["id"] in installed]
    page, meta = paginate(ctx, items)
    return {"integrations": summaries(ctx, "integrations", page), "meta": meta}


def _implemented(integration: dict[str, Any]) -> set[str]:
    return {str(v.get("id")) for v in (integration.get("interfaces") or {}).values()}


@handler("getPublicIntegrationById", "getPublicIntegration")
def get_public_integration(ctx: Context) -> Any:
    """Return one public integration, by id or by name and version (never its secrets)."""
    found = _public_one(ctx, "integration", "public integration")
    hidden = ("signingSecret", "secrets", "workspaceId")
    return {"integration": {k: v for k, v in found.items() if k not in hidden}}


@handler("listPublicPlugins", "listPublicInterfaces")
def list_public(ctx: Context) -> Any:
    """List the public plugins or interfaces of the hub."""
    kind = _kind(ctx)
    page, meta = paginate(ctx, _filtered(ctx, _public_entries(ctx, kind)))
    return {kind + "s": summaries(ctx, kind + "s", page), "meta": meta}


@handler("getPublicPluginById", "getPublicPlugin", "getPublicInterfaceById", "getPublicInterface")
def get_public(ctx: Context) -> Any:
    """Return one public plugin or interface, by id or by name and version."""
    kind = _kind(ctx)
    return {kind: _public_one(ctx, kind, "public " + kind)}


@handler("getDereferencedPublicPluginById")
def get_dereferenced_public_plugin(ctx: Context) -> Any:
    """Return a public plugin with its interface references checked."""
    return {"plugin": _dereferenced(ctx, _public_one(ctx, "plugin", "public plugin"))}


@handler("getPublicPluginCode")
def get_public_plugin_code(ctx: Context) -> Any:
    """Return the code a public plugin ships for one platform."""
    return _code(ctx, _public_one(ctx, "plugin", "public plugin"))


# --- the workspace's own interfaces and plugins -----------------------------------------------


def _own(ctx: Context, kind: str) -> list[dict[str, Any]]:
    ws = ctx.require_workspace()
    return [r for r in records(ctx.store, kind).values() if r.get("workspaceId") == ws]


def _create(ctx: Context, kind: str, fields: tuple[str, ...]) -> dict[str, Any]:
    body = ctx.body
    every = list(records(ctx.store, kind).values())
    if by_name_version(every, body["name"], body["version"]) is not None:
        raise ApiError(409, "AlreadyExists", f"{kind} {body['name']}@{body['version']} exists")
    record = _new(ctx.store, kind, body["name"], body["version"], ctx.require_workspace())
    copy_fields(record, body, fields)
    if kind == "plugin":
        record["code"] = dict(body["code"])
        _check_dependencies(ctx, record)
    records(ctx.store, kind)[record["id"]] = record
    return record


def _check_dependencies(ctx: Context, plugin: dict[str, Any]) -> None:
    """A plugin may depend only on interfaces and integrations that exist."""
    deps = plugin.get("dependencies") or {}
    interfaces = _public_entries(ctx, "interface") + _own(ctx, "interface")
    for alias, ref in (deps.get("interfaces") or {}).items():
        if _resolve(interfaces, ref) is None:
            raise reference_missing(f"interface dependency {alias!r}", ref)
    integrations = _public_entries(ctx, "integration") + [
        r for r in ctx.store.integrations.values() if r["workspaceId"] == ctx.workspace_id
    ]
    for alias, ref in (deps.get("integrations") or {}).items():
        if _resolve(integrations, ref) is None:
            raise reference_missing(f"integration dependency {alias!r}", ref)


def _resolve(items: list[dict[str, Any]], ref: Any) -> Any:
    if not isinstance(ref, dict):
        return None
    if ref.get("id"):
        return next((i for i in items if i["id"] == ref["id"]), None)
    return by_name_version(items, str(ref.get("name")), str(ref.get("version", "latest")))


def _own_one(ctx: Context, kind: str) -> dict[str, Any]:
    if "name" in ctx.path:
        found = by_name_version(_own(ctx, kind), ctx.path["name"], ctx.path["version"])
        if found is None:
            raise not_found(kind, f"{ctx.path['name']}@{ctx.path['version']}")
        return found
    return find(ctx.store, kind, ctx.path["id"], kind, ctx.require_workspace())


@handler("listInterfaces", "listPlugins")
def list_own(ctx: Context) -> Any:
    """List the workspace's interfaces or plugins."""
    kind = _kind(ctx)
    page, meta = paginate(ctx, _filtered(ctx, _own(ctx, kind)))
    return {kind + "s": summaries(ctx, kind + "s", page), "meta": meta}


@handler("createInterface", "createPlugin")
def create_own(ctx: Context) -> Any:
    """Create an interface or plugin of the workspace (a plugin's dependencies must exist)."""
    kind = _kind(ctx)
    fields = _PLUGIN_FIELDS if kind == "plugin" else _INTERFACE_FIELDS
    return {kind: _create(ctx, kind, fields)}


@handler("getInterface", "getInterfaceByName", "getPlugin", "getPluginByName")
def get_own(ctx: Context) -> Any:
    """Return one of the workspace's interfaces or plugins, by id or by name and version."""
    kind = _kind(ctx)
    return {kind: _own_one(ctx, kind)}


@handler("updateInterface")
def update_interface(ctx: Context) -> Any:
    """Change one of the workspace's interfaces."""
    record = _own_one(ctx, "interface")
    copy_fields(record, ctx.body, _INTERFACE_FIELDS)
    return {"interface": record}


@handler("deleteInterface", "deletePlugin")
def delete_own(ctx: Context) -> Any:
    """Delete one of the workspace's interfaces or plugins."""
    kind = _kind(ctx)
    record = _own_one(ctx, kind)
    del records(ctx.store, kind)[record["id"]]
    return {}


@handler("updatePlugin")
def update_plugin(ctx: Context) -> Any:
    """Change one of the workspace's plugins; new dependencies must exist."""
    record = _own_one(ctx, "plugin")
    copy_fields(record, ctx.body, _PLUGIN_FIELDS)
    code = ctx.body.get("code")
    if isinstance(code, dict):
        record["code"] = {**record["code"], **code}
    _check_dependencies(ctx, record)
    return {"plugin": record}


@handler("getDereferencedPlugin")
def get_dereferenced_plugin(ctx: Context) -> Any:
    """Return a plugin of the workspace with its interface references checked."""
    return {"plugin": _dereferenced(ctx, _own_one(ctx, "plugin"))}


@handler("getPluginCode")
def get_plugin_code(ctx: Context) -> Any:
    """Return the code one of the workspace's plugins ships for one platform."""
    return _code(ctx, _own_one(ctx, "plugin"))
