"""Stateful handlers of the files API: files with an upload URL on the emulator itself, tags,
passages, search, copy and knowledge bases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._pages import paginate
from ._schema import iso_now
from ._store import ApiError, BotData, Context, Store, handler, not_found

__all__ = ["FileData", "complete_upload", "new_file"]

UPLOAD_PREFIX = "/_emulator/upload/"
DOWNLOAD_PREFIX = "/_emulator/download/"


@dataclass
class FileData:
    """A file's record, its bytes once uploaded, and its passages."""

    record: dict[str, Any]
    upload_key: str
    download_key: str
    content: bytes | None = None
    passages: list[dict[str, Any]] = field(default_factory=list)


def _by_key(bot: BotData, key: str) -> FileData | None:
    """The file named ``key``, through the bot's key index (a bulk upload of thousands of
    files would otherwise scan them all on every upsert)."""
    found = bot.files.get(bot.file_ids.get(key, ""))
    if found is None or found.record["key"] != key:
        return None
    assert isinstance(found, FileData)
    return found


def _file(bot: BotData, ref: str) -> FileData:
    found = bot.files.get(ref)
    if found is None:
        found = _by_key(bot, ref)
    if found is None:
        raise not_found("file", ref)
    assert isinstance(found, FileData)
    return found


def _owner(ctx: Context) -> dict[str, Any]:
    if ctx.token.kind == "iak":
        return {"type": "integration", "id": ctx.token.owner}
    if ctx.token.kind == "pat":
        return {"type": "user", "id": ctx.token.owner}
    return {"type": "bot", "id": ctx.token.owner}


def _new_file(
    ctx: Context, bot: BotData, key: str, fields: Mapping[str, Any], replacing: FileData | None
) -> FileData:
    store = ctx.store
    now = iso_now()
    upload_key, download_key = store.secret(32), store.secret(32)
    file_id = replacing.record["id"] if replacing else store.new_id("file")
    metadata = fields.get("metadata")
    record: dict[str, Any] = {
        "id": file_id,
        "botId": bot.id,
        "key": key,
        "url": ctx.base_url + DOWNLOAD_PREFIX + download_key,
        "size": fields.get("size"),
        "contentType": fields.get("contentType") or "application/octet-stream",
        "tags": dict(fields.get("tags") or {}),
        "metadata": dict(metadata) if isinstance(metadata, dict) else {},
        "createdAt": replacing.record["createdAt"] if replacing else now,
        "updatedAt": now,
        "accessPolicies": list(fields.get("accessPolicies") or []),
        "index": bool(fields.get("index", False)),
        "status": "upload_pending",
        "owner": _owner(ctx),
    }
    if fields.get("expiresAt"):
        record["expiresAt"] = fields["expiresAt"]
    if replacing is not None:
        store.uploads.pop(replacing.upload_key, None)
        store.downloads.pop(replacing.download_key, None)
    data = FileData(record=record, upload_key=upload_key, download_key=download_key)
    bot.files[file_id] = data
    bot.file_ids[key] = file_id
    store.uploads[upload_key] = (bot.id, file_id)
    store.downloads[download_key] = (bot.id, file_id)
    return data


@handler("upsertFile")
def upsert_file(ctx: Context) -> Any:
    """Create or replace the file with this key and hand out where to PUT its bytes."""
    bot = ctx.require_bot()
    key = ctx.body["key"]
    existing = _by_key(bot, key)
    data = _new_file(ctx, bot, key, ctx.body, existing)
    return {"file": {**data.record, "uploadUrl": ctx.base_url + UPLOAD_PREFIX + data.upload_key}}


def complete_upload(
    store: Store, upload_key: str, content: bytes, content_type: str | None
) -> bool:
    """Store the bytes PUT to an upload URL; false when the URL is unknown."""
    target = store.uploads.get(upload_key)
    if target is None:
        return False
    bot_id, file_id = target
    data = store.bots[bot_id].files.get(file_id)
    if not isinstance(data, FileData):
        return False
    data.content = content
    record = data.record
    record["size"] = len(content)
    if content_type:
        record["contentType"] = content_type
    record["status"] = "indexing_completed" if record["index"] else "upload_completed"
    record["updatedAt"] = iso_now()
    if record["index"] and record["contentType"].startswith("text/"):
        text = content.decode("utf-8", "replace")
        data.passages = [
            {"content": part.strip(), "type": "paragraph"}
            for part in text.split("\n\n")
            if part.strip()
        ]
    return True


def download(store: Store, download_key: str) -> tuple[bytes, str] | None:
    """The bytes and content type behind a file's ``url``; ``None`` until they are uploaded."""
    target = store.downloads.get(download_key)
    if target is None:
        return None
    bot = store.bots.get(target[0])
    data = bot.files.get(target[1]) if bot else None
    if not isinstance(data, FileData) or data.content is None:
        return None
    return data.content, str(data.record["contentType"])


@handler("getFile")
def get_file(ctx: Context) -> Any:
    """Return a file's record (by id or key)."""
    return {"file": _file(ctx.require_bot(), ctx.path["id"]).record}


@handler("deleteFile")
def delete_file(ctx: Context) -> Any:
    """Delete a file; its URLs stop working."""
    bot = ctx.require_bot()
    data = _file(bot, ctx.path["id"])
    del bot.files[data.record["id"]]
    if bot.file_ids.get(data.record["key"]) == data.record["id"]:
        del bot.file_ids[data.record["key"]]
    ctx.store.uploads.pop(data.upload_key, None)
    ctx.store.downloads.pop(data.download_key, None)
    return {}


def _tags_ok(tags: Mapping[str, Any], wanted: Any) -> bool:
    if not isinstance(wanted, Mapping):
        return True
    for key, value in wanted.items():
        if isinstance(value, list):
            if tags.get(key) not in value:
                return False
        elif isinstance(value, Mapping):
            if "not" in value and tags.get(key) == value["not"]:
                return False
        elif tags.get(key) != value:
            return False
    return True


@handler("listFiles")
def list_files(ctx: Context) -> Any:
    """List files, filtered by tags, ids and indexing."""
    q = ctx.query
    files = [f.record for f in ctx.require_bot().files.values()]
    files = [f for f in files if _tags_ok(f["tags"], q.get("tags"))]
    if q.get("ids"):
        files = [f for f in files if f["id"] in q["ids"]]
    if isinstance(q.get("indexed"), bool):
        files = [f for f in files if f["index"] == q["indexed"]]
    field_ = q.get("sortField") or "createdAt"
    files.sort(key=lambda f: str(f.get(field_, "")), reverse=q.get("sortDirection") == "desc")
    page, meta = paginate(ctx, files)
    return {"files": page, "meta": meta}


@handler("updateFileMetadata")
def update_file_metadata(ctx: Context) -> Any:
    """Change a file's metadata, tags (null removes one), access policies or expiry."""
    data = _file(ctx.require_bot(), ctx.path["id"])
    record, body = data.record, ctx.body
    if isinstance(body.get("metadata"), dict):
        record["metadata"] = {**record["metadata"], **body["metadata"]}
    if "tags" in body:
        merged = {**record["tags"], **(body["tags"] or {})}
        record["tags"] = {k: v for k, v in merged.items() if v is not None}
    if "accessPolicies" in body:
        record["accessPolicies"] = list(body["accessPolicies"])
    if "expiresAt" in body:
        if body["expiresAt"] is None:
            record.pop("expiresAt", None)
        else:
            record["expiresAt"] = body["expiresAt"]
    record["updatedAt"] = iso_now()
    return {"file": record}


@handler("copyFile")
def copy_file(ctx: Context) -> Any:
    """Copy a file to a new key, in this bot or in ``x-destination-bot-id``."""
    bot = ctx.require_bot()
    source = _file(bot, ctx.path["idOrKey"])
    dest_id = ctx.headers.get("x-destination-bot-id") or bot.id
    dest = ctx.store.bots.get(dest_id)
    if dest is None or (dest.workspace_id != bot.workspace_id and ctx.token.kind != "pat"):
        raise ApiError(403, "Forbidden", "the destination bot is out of reach of this token")
    key = ctx.path["destinationKey"]
    existing = _by_key(dest, key)
    if existing is not None and not ctx.body.get("overwrite"):
        raise ApiError(409, "AlreadyExists", f"a file with key {key!r} already exists")
    copy = _new_file(ctx, dest, key, source.record, existing)
    copy.content = source.content
    copy.passages = [dict(p) for p in source.passages]
    copy.record["status"] = source.record["status"]
    copy.record["size"] = source.record["size"]
    return {"file": copy.record}


@handler("searchFiles")
def search_files(ctx: Context) -> Any:
    """Return the passages that contain a word of the query, best first."""
    words = [w.lower() for w in str(ctx.query["query"]).split() if w]
    found = []
    for data in ctx.require_bot().files.values():
        if not _tags_ok(data.record["tags"], ctx.query.get("tags")):
            continue
        for passage in data.passages:
            text = passage["content"].lower()
            hits = sum(1 for w in words if w in text)
            if hits:
                file_view = {
                    k: data.record[k]
                    for k in (
                        "id",
                        "key",
                        "contentType",
                        "metadata",
                        "tags",
                        "createdAt",
                        "updatedAt",
                    )
                }
                found.append(
                    {
                        "content": passage["content"],
                        "score": hits / max(1, len(words)),
                        "meta": {"type": "chunk", "subtype": passage.get("type", "paragraph")},
                        "file": file_view,
                    }
                )
    found.sort(key=lambda p: -float(p["score"]))
    limit = ctx.query.get("limit")
    return {"passages": found[: limit if isinstance(limit, int) and limit > 0 else 20]}


@handler("listFilePassages")
def list_file_passages(ctx: Context) -> Any:
    """List a file's passages."""
    data = _file(ctx.require_bot(), ctx.path["id"])
    items = [
        {
            "id": f"{i:08d}-0000-4000-8000-000000000000",
            "content": p["content"],
            "meta": {"type": "chunk", "subtype": p.get("type", "paragraph")},
        }
        for i, p in enumerate(data.passages)
    ]
    page, meta = paginate(ctx, items)
    return {"passages": page, "meta": meta}


@handler("setFilePassages")
def set_file_passages(ctx: Context) -> Any:
    """Replace a file's passages."""
    data = _file(ctx.require_bot(), ctx.path["id"])
    data.passages = [dict(p) for p in ctx.body["passages"]]
    return {}


@handler("listFileTags")
def list_file_tags(ctx: Context) -> Any:
    """List the tag keys used on this bot's files."""
    keys = sorted({k for f in ctx.require_bot().files.values() for k in f.record["tags"]})
    page, meta = paginate(ctx, keys)
    return {"tags": page, "meta": meta}


@handler("listFileTagValues")
def list_file_tag_values(ctx: Context) -> Any:
    """List the values of one tag key on this bot's files."""
    tag = ctx.path["tag"]
    values = sorted(
        {f.record["tags"][tag] for f in ctx.require_bot().files.values() if tag in f.record["tags"]}
    )
    page, meta = paginate(ctx, values)
    return {"values": page, "meta": meta}


@handler("createKnowledgeBase")
def create_knowledge_base(ctx: Context) -> Any:
    """Create a knowledge base."""
    bot = ctx.require_bot()
    kb = {
        "id": ctx.store.new_id("kb"),
        "name": ctx.body["name"],
        "tags": dict(ctx.body.get("tags") or {}),
        "createdAt": iso_now(),
    }
    bot.knowledge_bases[kb["id"]] = kb
    return {"knowledgeBase": kb}


@handler("listKnowledgeBases")
def list_knowledge_bases(ctx: Context) -> Any:
    """List knowledge bases, filtered by tags."""
    kbs = [
        k
        for k in ctx.require_bot().knowledge_bases.values()
        if _tags_ok(k["tags"], ctx.query.get("tags"))
    ]
    page, meta = paginate(ctx, kbs)
    return {"knowledgeBases": page, "meta": meta}


@handler("updateKnowledgeBase")
def update_knowledge_base(ctx: Context) -> Any:
    """Rename a knowledge base or change its tags."""
    kb = ctx.require_bot().knowledge_bases.get(ctx.path["id"])
    if kb is None:
        raise not_found("knowledge base", ctx.path["id"])
    kb["name"] = ctx.body["name"]
    merged = {**kb["tags"], **(ctx.body.get("tags") or {})}
    kb["tags"] = {k: v for k, v in merged.items() if v is not None}
    return {}


@handler("deleteKnowledgeBase")
def delete_knowledge_base(ctx: Context) -> Any:
    """Delete a knowledge base."""
    if ctx.require_bot().knowledge_bases.pop(ctx.path["id"], None) is None:
        raise not_found("knowledge base", ctx.path["id"])
    return {}


#: Creates a file record (no bytes yet); other emulator modules use it to write files.
new_file = _new_file
