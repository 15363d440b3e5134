"""Stateful handlers of the tables API: tables, columns, rows (find, upsert by key) and jobs."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botpress_async._table_files import (
    MalformedFileError,
    RowFileWriter,
    read_rows,
    sniff_format,
)

from ._files import complete_upload, new_file
from ._schema import iso_now
from ._store import ApiError, BotData, Context, handler, invalid, not_found, tags_match

__all__ = ["check_filter", "matches_filter"]

_ROW_FIELDS = ("id", "createdAt", "updatedAt")


@dataclass
class TableData:
    """A table's record and its rows by id."""

    record: dict[str, Any]
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    jobs: list[dict[str, Any]] = field(default_factory=list)
    work: dict[str, Any] = field(default_factory=dict)


#: The filter operators the emulator knows: comparisons on one column, and groupings.
COMPARISONS = frozenset(
    {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options"}
)
GROUPINGS = frozenset({"$and", "$or", "$not"})


def _bad_query(message: str) -> ApiError:
    # errors.json's type for a query the server cannot run; a malformed body stays InvalidPayload.
    return ApiError(400, "InvalidQuery", message)


def check_filter(flt: Any, where: str = "filter") -> None:
    """Refuse a filter the emulator cannot evaluate, naming the part at fault (a 400)."""
    if not isinstance(flt, Mapping):
        raise invalid(f"{where} must be an object, got {type(flt).__name__}")
    for key, condition in flt.items():
        key = str(key)
        if key in ("$and", "$or"):
            if not isinstance(condition, list):
                raise invalid(f"{where}.{key} must be a list of filters")
            for i, sub in enumerate(condition):
                check_filter(sub, f"{where}.{key}[{i}]")
        elif key == "$not":
            check_filter(condition, f"{where}.$not")
        elif key.startswith("$"):
            raise _bad_query(f"unknown filter operator {key!r} at {where}")
        elif isinstance(condition, Mapping) and any(str(k).startswith("$") for k in condition):
            _check_condition(condition, f"{where}.{key}")


def _check_condition(condition: Mapping[str, Any], where: str) -> None:
    for op, arg in condition.items():
        if op == "$not":
            if isinstance(arg, Mapping):
                _check_condition(arg, f"{where}.$not")
            continue
        if op not in COMPARISONS:
            raise _bad_query(f"unknown filter operator {op!r} at {where}")
        if op in ("$in", "$nin") and not isinstance(arg, list):
            raise invalid(f"{where}.{op} must be a list of values")
        if op == "$regex":
            try:
                re.compile(str(arg))
            except re.error as exc:
                raise invalid(f"{where}.$regex is not a valid pattern: {exc}") from None


def _compare(op: str, value: Any, arg: Any) -> bool:
    if op == "$eq":
        return bool(value == arg)
    if op == "$ne":
        return bool(value != arg)
    if op == "$in":
        return isinstance(arg, list) and value in arg
    if op == "$nin":
        return isinstance(arg, list) and value not in arg
    if op == "$exists":
        return (value is not None) == bool(arg)
    if op == "$regex":
        return isinstance(value, str) and re.search(str(arg), value) is not None
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if value is None or arg is None:
            return False
        try:
            if op == "$gt":
                return bool(value > arg)
            if op == "$gte":
                return bool(value >= arg)
            if op == "$lt":
                return bool(value < arg)
            return bool(value <= arg)
        except TypeError:
            return False
    raise _bad_query(f"unknown filter operator {op!r}")


def _field_matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and any(str(k).startswith("$") for k in condition):
        for op, arg in condition.items():
            if op == "$options":
                continue
            if op == "$not":
                if _field_matches(value, arg):
                    return False
            elif op == "$regex" and "i" in str(condition.get("$options", "")):
                if not (isinstance(value, str) and re.search(str(arg), value, re.IGNORECASE)):
                    return False
            elif not _compare(op, value, arg):
                return False
        return True
    return bool(value == condition)


def matches_filter(row: Mapping[str, Any], flt: Mapping[str, Any] | None) -> bool:
    """Whether a row matches a Mongo-style filter (``$and``, ``$or``, ``$eq``, ``$in``, ...)."""
    if not flt:
        return True
    for key, condition in flt.items():
        if key == "$and":
            if not all(matches_filter(row, sub) for sub in condition):
                return False
        elif key == "$or":
            if not any(matches_filter(row, sub) for sub in condition):
                return False
        elif key == "$not":
            if matches_filter(row, condition):
                return False
        elif not _field_matches(row.get(key), condition):
            return False
    return True


def _kind_ok(value: Any, column: Mapping[str, Any]) -> bool:
    kind = column.get("type")
    if value is None or kind is None:
        return True
    checks: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "number": (int, float),
        "boolean": (bool,),
        "object": (dict,),
        "array": (list,),
    }
    expected = checks.get(str(kind))
    if expected is None:
        return True
    if kind == "number" and isinstance(value, bool):
        return False
    return isinstance(value, expected)


def _normalize_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise invalid("schema.properties must be an object of columns")
    out = {"type": "object", "properties": props, "additionalProperties": True}
    if isinstance(schema.get("required"), list):
        out["required"] = schema["required"]
    return out


def _table(bot: BotData, ref: str) -> TableData:
    table = bot.tables.get(ref)
    if table is None:
        table = next((t for t in bot.tables.values() if t.record["id"] == ref), None)
    if table is None:
        raise not_found("table", ref)
    assert isinstance(table, TableData)
    return table


def _new_table(ctx: Context, bot: BotData, name: str, body: Mapping[str, Any]) -> TableData:
    if name in bot.tables:
        raise ApiError(409, "AlreadyExists", f"a table named {name!r} already exists")
    now = iso_now()
    record: dict[str, Any] = {
        "id": ctx.store.new_id("table"),
        "name": name,
        "factor": body.get("factor", 1),
        "frozen": bool(body.get("frozen", False)),
        "keyColumn": body.get("keyColumn"),
        "schema": _normalize_schema(body["schema"]),
        "tags": dict(body.get("tags") or {}),
        "isComputeEnabled": bool(body.get("isComputeEnabled", False)),
        "createdAt": now,
        "updatedAt": now,
    }
    table = TableData(record=record)
    bot.tables[name] = table
    return table


def _counts(table: TableData) -> dict[str, Any]:
    return {"rows": len(table.rows), "stale": 0, "indexing": 0}


@handler("createTable")
def create_table(ctx: Context) -> Any:
    """Create a table; the name must be free."""
    bot = ctx.require_bot()
    return {"table": _new_table(ctx, bot, ctx.body["name"], ctx.body).record}


@handler("getOrCreateTable")
def get_or_create_table(ctx: Context) -> Any:
    """Return the table with this name, or create it."""
    bot = ctx.require_bot()
    existing = bot.tables.get(ctx.path["table"])
    if existing is not None:
        return {"table": existing.record, "created": False, **_counts(existing)}
    table = _new_table(ctx, bot, ctx.path["table"], ctx.body)
    return {"table": table.record, "created": True, **_counts(table)}


@handler("getTable")
def get_table(ctx: Context) -> Any:
    """Return a table and its row count."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    return {"table": table.record, **_counts(table)}


@handler("listTables")
def list_tables(ctx: Context) -> Any:
    """List tables, filtered by tags."""
    tables = ctx.require_bot().tables.values()
    return {
        "tables": [t.record for t in tables if tags_match(t.record["tags"], ctx.query.get("tags"))]
    }


@handler("updateTable")
def update_table(ctx: Context) -> Any:
    """Rename a table or change its schema, key column, tags or flags."""
    bot = ctx.require_bot()
    table = _table(bot, ctx.path["table"])
    body, record = ctx.body, table.record
    if body.get("name") and body["name"] != record["name"]:
        if body["name"] in bot.tables:
            raise ApiError(409, "AlreadyExists", f"a table named {body['name']!r} already exists")
        del bot.tables[record["name"]]
        record["name"] = body["name"]
        bot.tables[record["name"]] = table
    if body.get("schema") is not None:
        record["schema"] = _normalize_schema(body["schema"])
    if "tags" in body:
        merged = {**record["tags"], **(body["tags"] or {})}
        record["tags"] = {k: v for k, v in merged.items() if v is not None}
    for key in ("keyColumn", "frozen", "isComputeEnabled", "factor"):
        if key in body:
            record[key] = body[key]
    record["updatedAt"] = iso_now()
    return {"table": record, "staleColumns": []}


@handler("renameTableColumn")
def rename_table_column(ctx: Context) -> Any:
    """Rename a column in the schema and in every row."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    old, new = ctx.body["name"], ctx.body["newName"]
    props = table.record["schema"]["properties"]
    if old not in props:
        raise not_found("column", old)
    if new in props:
        raise ApiError(409, "AlreadyExists", f"a column named {new!r} already exists")
    table.record["schema"]["properties"] = {(new if k == old else k): v for k, v in props.items()}
    for row in table.rows.values():
        if old in row:
            row[new] = row.pop(old)
    if table.record.get("keyColumn") == old:
        table.record["keyColumn"] = new
    return {"table": table.record}


@handler("deleteTable")
def delete_table(ctx: Context) -> Any:
    """Delete a table and its rows."""
    bot = ctx.require_bot()
    table = _table(bot, ctx.path["table"])
    del bot.tables[table.record["name"]]
    return {}


@handler("duplicateTable")
def duplicate_table(ctx: Context) -> Any:
    """Copy a table's schema and (unless ``schemaOnly``) its rows under a new name."""
    bot = ctx.require_bot()
    source = _table(bot, ctx.path["sourceTableId"])
    name = ctx.body.get("tableName") or source.record["name"] + "Copy"
    copy = _new_table(ctx, bot, name, {**source.record, "factor": ctx.body.get("factor", 1)})
    if not ctx.body.get("schemaOnly"):
        copy.rows = {rid: dict(row) for rid, row in source.rows.items()}
        copy.next_id = source.next_id
    return {"table": copy.record, "rows": len(copy.rows)}


# --- import and export jobs ------------------------------------------------------------------
#
# Jobs move one step each time getTableJobs is read, which keeps them deterministic:
# pending -> in_progress -> (an import inserts _JOB_STEP rows per read) -> completed or failed.
# A failed job carries its reason in ``error``.

_JOB_STEP = 5000


@dataclass
class _Work:
    """What is left to do for one job."""

    job: dict[str, Any]
    file_id: str | None = None
    rows: list[dict[str, Any]] | None = None
    done: int = 0
    format: str = "json"
    compress: bool = True


def _job(ctx: Context, bot: BotData, table: TableData, kind: str, file_id: str | None) -> _Work:
    now = iso_now()
    job = {
        "id": ctx.store.new_id("job"),
        "botId": bot.id,
        "tableId": table.record["id"],
        "type": kind,
        "status": "pending",
        "progress": 0,
        "inputFileId": file_id,
        "outputFileId": None,
        "createdAt": now,
        "updatedAt": now,
    }
    table.jobs.append(job)
    work = _Work(job=job, file_id=file_id)
    table.work[job["id"]] = work
    return work


def _column_types(table: TableData) -> dict[str, str | None]:
    return {
        name: (column.get("type") if isinstance(column, Mapping) else None)
        for name, column in table.record["schema"]["properties"].items()
    }


def _fail(table: TableData, work: _Work, reason: str) -> None:
    work.job.update(status="failed", error=reason, updatedAt=iso_now())
    table.work.pop(work.job["id"], None)


def _read_import(bot: BotData, table: TableData, work: _Work) -> None:
    """Parse and check the whole input file; any problem fails the job before a row is written."""
    data = bot.files.get(work.file_id or "")
    content = getattr(data, "content", None)
    if content is None:
        _fail(table, work, f"file {work.file_id!r} has no content (was the upload finished?)")
        return
    raw = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
    fmt = sniff_format(raw)
    if fmt is None:
        _fail(table, work, "the file is neither CSV nor JSON")
        return
    rows: list[dict[str, Any]] = []
    try:
        for index, row in enumerate(
            read_rows(io.BytesIO(raw), fmt, column_types=_column_types(table))
        ):
            try:
                rows.append(_row_data(table, row))
            except ApiError as exc:
                _fail(table, work, f"row {index}: {exc.message}")
                return
    except (MalformedFileError, OSError) as exc:
        _fail(table, work, str(exc))
        return
    work.rows = rows


def _advance(ctx: Context, bot: BotData, table: TableData, work: _Work) -> None:
    job = work.job
    job["updatedAt"] = iso_now()
    if job["status"] == "pending":
        job["status"] = "in_progress"
        if job["type"] == "import":
            _read_import(bot, table, work)
        return
    if job["type"] == "import":
        rows = work.rows or []
        try:
            for data in rows[work.done : work.done + _JOB_STEP]:
                _insert(table, data)
        except ApiError as exc:
            _fail(table, work, exc.message)
            return
        work.done = min(len(rows), work.done + _JOB_STEP)
        job["progress"] = work.done / len(rows) if rows else 1
        if work.done >= len(rows):
            job.update(status="completed", progress=1)
            table.work.pop(job["id"], None)
        return
    # an export: write every row into a new file of the Files API
    buffer = io.BytesIO()
    # CSV exports carry the system fields first, then every column of the schema.
    columns = [*_ROW_FIELDS, *table.record["schema"]["properties"]]
    fmt: Any = work.format
    writer = RowFileWriter(buffer, fmt, compress=work.compress, columns=columns)
    for row in table.rows.values():
        writer.write(row)
    writer.close()
    suffix = fmt + (".gz" if work.compress else "")
    name = f"exports/{table.record['name']}-{job['id']}.{suffix}"
    content_type = "application/gzip" if work.compress else f"text/{fmt}"
    if fmt == "json" and not work.compress:
        content_type = "application/json"
    record = new_file(ctx, bot, name, {"contentType": content_type}, None)
    complete_upload(ctx.store, record.upload_key, buffer.getvalue(), content_type)
    job.update(status="completed", progress=1, outputFileId=record.record["id"])
    table.work.pop(job["id"], None)


@handler("exportTable")
def export_table(ctx: Context) -> Any:
    """Start an export job; it writes the table to a file of the Files API."""
    bot = ctx.require_bot()
    table = _table(bot, ctx.path["table"])
    work = _job(ctx, bot, table, "export", None)
    fmt = ctx.query.get("format") or "csv"
    if fmt not in ("csv", "json"):
        raise invalid(f"format must be csv or json, got {fmt!r}")
    work.format = str(fmt)
    compress = ctx.query.get("compress", True)
    work.compress = compress not in (False, "false", "0")
    return {"job": dict(work.job)}


@handler("importTable")
def import_table(ctx: Context) -> Any:
    """Start an import job reading the rows of an uploaded file (CSV or JSON, gzipped or not)."""
    bot = ctx.require_bot()
    table = _table(bot, ctx.path["table"])
    file_id = ctx.body["fileId"]
    if file_id not in bot.files:
        raise not_found("file", file_id)
    return {"job": dict(_job(ctx, bot, table, "import", file_id).job)}


@handler("getTableJobs")
def get_table_jobs(ctx: Context) -> Any:
    """List a table's jobs; each unfinished job moves one step forward."""
    bot = ctx.require_bot()
    table = _table(bot, ctx.path["table"])
    for work in list(table.work.values()):
        _advance(ctx, bot, table, work)
    return {"jobs": [dict(job) for job in table.jobs]}


# --- rows ----------------------------------------------------------------------------------


def _row_data(table: TableData, data: Mapping[str, Any]) -> dict[str, Any]:
    columns = table.record["schema"]["properties"]
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in _ROW_FIELDS:
            continue
        column = columns.get(key)
        if column is None:
            raise ApiError(400, "InvalidDataFormat", f"rows: column {key!r} is not in the schema")
        if not _kind_ok(value, column):
            expected = column.get("type")
            raise ApiError(400, "InvalidDataFormat", f"rows: column {key!r} expects a {expected}")
        out[key] = value
    return out


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "computed": {}, "stale": []}


def _insert(table: TableData, data: Mapping[str, Any]) -> dict[str, Any]:
    if table.record.get("frozen"):
        raise ApiError(409, "ResourceLockedConflict", "the table is frozen")
    now = iso_now()
    row = {"id": table.next_id, "createdAt": now, "updatedAt": now, **_row_data(table, data)}
    table.rows[row["id"]] = row
    table.next_id += 1
    return row


def _update(table: TableData, row: dict[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    row.update(_row_data(table, data))
    row["updatedAt"] = iso_now()
    return row


@handler("createTableRows")
def create_table_rows(ctx: Context) -> Any:
    """Insert up to 1000 rows."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    return {"rows": [_public(_insert(table, data)) for data in ctx.body["rows"]]}


@handler("getTableRow")
def get_table_row(ctx: Context) -> Any:
    """Return one row by id."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    row = table.rows.get(int(ctx.query["id"]))
    if row is None:
        raise not_found("row", ctx.query["id"])
    return {"row": _public(row)}


@handler("findTableRows")
def find_table_rows(ctx: Context) -> Any:
    """Filter, search, order and page the rows (at most 1000 per call)."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    body = ctx.body
    flt = body.get("filter")
    if flt is not None:
        check_filter(flt)
    rows = [r for r in table.rows.values() if matches_filter(r, flt)]
    search = body.get("search")
    if search:
        needle = search.lower()
        rows = [
            r for r in rows if any(needle in v.lower() for v in r.values() if isinstance(v, str))
        ]
    order = body.get("orderBy", "id")
    present = [r for r in rows if r.get(order) is not None]
    missing = [r for r in rows if r.get(order) is None]
    try:
        present.sort(key=lambda r: r[order], reverse=body.get("orderDirection") == "desc")
    except TypeError:
        present.sort(key=lambda r: str(r[order]), reverse=body.get("orderDirection") == "desc")
    rows = present + missing
    limit, offset = body.get("limit", 100), body.get("offset", 0)
    page = rows[offset : offset + limit]
    select = body.get("select")
    if select:
        keep = set(select) | set(_ROW_FIELDS)
        page = [{k: v for k, v in r.items() if k in keep} for r in page]
    return {
        "rows": [_public(r) for r in page],
        "hasMore": offset + limit < len(rows),
        "offset": offset,
        "limit": limit,
    }


@handler("updateTableRows")
def update_table_rows(ctx: Context) -> Any:
    """Change rows by id; every id must exist."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    targets = []
    for data in ctx.body["rows"]:
        row = table.rows.get(int(data["id"]))
        if row is None:
            raise not_found("row", data["id"])
        targets.append((row, data))
    return {"rows": [_public(_update(table, row, data)) for row, data in targets]}


@handler("upsertTableRows")
def upsert_table_rows(ctx: Context) -> Any:
    """Update the rows whose key column matches, insert the others."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    key = ctx.body.get("keyColumn") or table.record.get("keyColumn") or "id"
    if key != "id" and key not in table.record["schema"]["properties"]:
        raise invalid(f"keyColumn {key!r} is not a column of the table")
    inserted, updated = [], []
    # One index per request keeps big upserts linear instead of scanning the table per row.
    by_key = {} if key == "id" else {r.get(key): r for r in table.rows.values()}
    for data in ctx.body["rows"]:
        value = data.get(key)
        match = None
        if value is not None:
            match = table.rows.get(int(value)) if key == "id" else by_key.get(value)
        if match is not None:
            updated.append(_public(_update(table, match, data)))
        else:
            row = _insert(table, data)
            if key != "id":
                by_key[row.get(key)] = row
            inserted.append(_public(row))
    return {"inserted": inserted, "updated": updated}


@handler("deleteTableRows")
def delete_table_rows(ctx: Context) -> Any:
    """Delete rows by id, by filter, or all of them."""
    table = _table(ctx.require_bot(), ctx.path["table"])
    body = ctx.body
    if body.get("deleteAllRows"):
        doomed = list(table.rows)
    elif body.get("ids"):
        doomed = [int(i) for i in body["ids"] if int(i) in table.rows]
    elif body.get("filter"):
        check_filter(body["filter"])
        doomed = [rid for rid, r in table.rows.items() if matches_filter(r, body["filter"])]
    else:
        raise invalid("give ids, a filter or deleteAllRows")
    for rid in doomed:
        del table.rows[rid]
    return {"deletedRows": len(doomed)}
