"""Small helpers over the store's named record tables, shared by the later handler modules.

The hub, bot versions, issues, usage and billing handlers keep their records in
``Store.extra[kind]`` (id -> record), so they need no new attribute on ``Store`` each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._schema import iso_now
from ._store import ApiError, Context, Store, not_found

__all__ = [
    "by_name_version",
    "own_integration",
    "reach_workspace",
    "copy_fields",
    "find",
    "newest_first",
    "records",
    "reference_missing",
    "workspace_of_bot",
]


def records(store: Store, kind: str) -> dict[str, dict[str, Any]]:
    """The record table of ``kind`` (created empty on first use)."""
    table: dict[str, dict[str, Any]] = store.extra.setdefault(kind, {})
    return table


def find(
    store: Store, kind: str, key: str, label: str, workspace: str | None = None
) -> dict[str, Any]:
    """The record ``key`` of ``kind``; 404 when unknown, 403 when another workspace owns it.

    Args:
        store: the emulator's store.
        kind: the record table.
        key: the record's id.
        label: how the 404 message names the resource.
        workspace: when given, the workspace the caller acts for.
    """
    record = records(store, kind).get(key)
    if record is None:
        raise not_found(label, key)
    owner = record.get("workspaceId")
    if workspace is not None and owner is not None and owner != workspace:
        raise ApiError(403, "Forbidden", f"{label} {key!r} belongs to another workspace")
    return record


def by_name_version(
    items: Iterable[dict[str, Any]], name: str, version: str
) -> dict[str, Any] | None:
    """The item called ``name`` at ``version`` (``latest``: the highest), or ``None``."""
    named = [item for item in items if item.get("name") == name]
    if version == "latest":
        return max(named, key=lambda item: _version_key(str(item.get("version", ""))), default=None)
    return next((item for item in named if item.get("version") == version), None)


def _version_key(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("-", 1)[0].split("."):
        parts.append(int(part) if part.isdigit() else -1)
    return tuple(parts)


def copy_fields(record: dict[str, Any], body: Mapping[str, Any], names: Iterable[str]) -> None:
    """Copy the fields of ``body`` named in ``names`` (those given and not null) to ``record``."""
    for name in names:
        if body.get(name) is not None:
            record[name] = body[name]
    record["updatedAt"] = iso_now()


def newest_first(items: Iterable[dict[str, Any]], field: str = "createdAt") -> list[dict[str, Any]]:
    """``items`` sorted by ``field``, newest first (how the API lists logs and records)."""
    return sorted(items, key=lambda item: str(item.get(field, "")), reverse=True)


def reference_missing(what: str, key: object) -> ApiError:
    """The 400 for a request that points at something that does not exist."""
    return ApiError(400, "ReferenceNotFound", f"{what} {key!r} does not exist")


def workspace_of_bot(ctx: Context, bot_id: str) -> str:
    """The workspace of a bot the caller's workspace owns; 404 for any other."""
    bot = ctx.store.bots.get(bot_id)
    if bot is None or bot.workspace_id != ctx.require_workspace():
        raise not_found("bot", bot_id)
    return bot.workspace_id


def reach_workspace(ctx: Context, ws_id: str) -> str:
    """``ws_id`` when it exists (else 404) and the caller's account belongs to it (else 403)."""
    if ws_id not in ctx.store.workspaces:
        raise not_found("workspace", ws_id)
    if ctx.account_id is None or ws_id not in ctx.store.account_workspaces(ctx.account_id):
        raise ApiError(403, "Forbidden", f"this token cannot reach workspace {ws_id!r}")
    return ws_id


def own_integration(ctx: Context, integration_id: str, *, reference: bool = False) -> Any:
    """An integration of the caller's workspace; 404 (400 when ``reference``) for any other."""
    record = ctx.store.integrations.get(integration_id)
    if record is None or record["workspaceId"] != ctx.require_workspace():
        if reference:
            raise reference_missing("integration", integration_id)
        raise not_found("integration", integration_id)
    return record
