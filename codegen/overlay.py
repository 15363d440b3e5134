"""Our own descriptions of the APIs, kept as TOML beside the vendored documents, and their check.

The documents' ``description`` texts are Botpress's prose and never reach the project; the
words users read in docstrings, the reference pages and ``botpress call --list`` come from
``botpress_async/_openapi/overlay/<api>.toml`` instead (format: that folder's README).

`load_overlays` reads them; `coverage` lists what an API lacks or what names nothing (the
``python -m codegen --check`` step fails on it); the ``*_text`` helpers are what the
docstring builders ask.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from codegen.ir import Api, Field, Model, Operation, Parameter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the 3.10 interpreters of CI install tomli with the dev extra
    import tomli as tomllib

__all__ = [
    "FULL_APIS",
    "OVERLAY_DIR",
    "ApiOverlay",
    "Entry",
    "OverlayError",
    "coverage",
    "field_text",
    "load_overlay",
    "load_overlays",
    "model_summary",
    "operation_entry",
    "overlay_for",
    "param_text",
]

OVERLAY_DIR = Path(__file__).resolve().parent.parent / "botpress_async" / "_openapi" / "overlay"
# APIs whose every parameter and model field must be described; the others need a summary
# per operation and a phrase per required parameter.
FULL_APIS = frozenset({"runtime", "files", "tables"})
_TABLES = frozenset({"operation", "schema", "model", "common"})


class OverlayError(Exception):
    """An overlay file that is not valid TOML or not in the expected shape."""


@attrs.frozen
class Entry:
    """The text of one operation or model.

    Attributes:
        summary: the one-line summary.
        details: an optional paragraph.
        items: phrases by wire name (parameters of an operation, fields of a model).
    """

    summary: str = ""
    details: str = ""
    items: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class ApiOverlay:
    """Everything written about one API.

    Attributes:
        operations: by operationId.
        schemas: by the document's component schema name.
        models: by generated model name, for object schemas that are not components.
        common_params: phrases for a parameter wire name in any operation without its own.
        common_fields: phrases for a field wire name in any model without its own.
    """

    operations: Mapping[str, Entry] = attrs.field(factory=dict)
    schemas: Mapping[str, Entry] = attrs.field(factory=dict)
    models: Mapping[str, Entry] = attrs.field(factory=dict)
    common_params: Mapping[str, str] = attrs.field(factory=dict)
    common_fields: Mapping[str, str] = attrs.field(factory=dict)


def _strings(where: str, table: Any) -> dict[str, str]:
    if not isinstance(table, Mapping) or not all(
        isinstance(v, str) and v.strip() for v in table.values()
    ):
        raise OverlayError(f"{where}: expected a table of non-empty strings")
    return {str(k): " ".join(v.split()) for k, v in table.items()}


def _entries(where: str, table: Any, items_key: str) -> dict[str, Entry]:
    if not isinstance(table, Mapping):
        raise OverlayError(f"{where}: expected a table")
    out: dict[str, Entry] = {}
    for name, raw in table.items():
        here = f"{where}.{name}"
        if not isinstance(raw, Mapping):
            raise OverlayError(f"{here}: expected a table")
        unknown = set(raw) - {"summary", "details", items_key}
        if unknown:
            raise OverlayError(f"{here}: unknown keys {sorted(unknown)} (see the overlay README)")
        texts = _strings(here, {k: v for k, v in raw.items() if k != items_key})
        items = _strings(f"{here}.{items_key}", raw.get(items_key, {}))
        out[str(name)] = Entry(texts.get("summary", ""), texts.get("details", ""), items)
    return out


def parse_overlay(text: str, where: str) -> ApiOverlay:
    """Parse one overlay file's TOML text; ``where`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OverlayError(f"{where}: {exc}") from exc
    unknown = set(data) - _TABLES
    if unknown:
        raise OverlayError(f"{where}: unknown tables {sorted(unknown)} (see the overlay README)")
    common = data.get("common", {})
    if not isinstance(common, Mapping) or set(common) - {"param", "field"}:
        raise OverlayError(f"{where}: [common] holds only [common.param] and [common.field]")
    return ApiOverlay(
        operations=_entries(f"{where}: operation", data.get("operation", {}), "param"),
        schemas=_entries(f"{where}: schema", data.get("schema", {}), "field"),
        models=_entries(f"{where}: model", data.get("model", {}), "field"),
        common_params=_strings(f"{where}: common.param", common.get("param", {})),
        common_fields=_strings(f"{where}: common.field", common.get("field", {})),
    )


def load_overlay(api: str, directory: Path = OVERLAY_DIR) -> ApiOverlay:
    """Read the overlay of one API; an absent file is an empty overlay."""
    path = directory / f"{api}.toml"
    if not path.is_file():
        return ApiOverlay()
    return parse_overlay(path.read_text(encoding="utf-8"), path.name)


def load_overlays(names: Iterable[str], directory: Path = OVERLAY_DIR) -> dict[str, ApiOverlay]:
    """Read the overlay of each named API."""
    return {name: load_overlay(name, directory) for name in names}


@functools.cache
def overlay_for(api: str) -> ApiOverlay:
    """The vendored overlay of one API, read once per process (what the emitters use)."""
    return load_overlay(api)


def _schema_name(model: Model) -> str | None:
    """The component schema a model was made from, if any (its source is ``schema <Name>``)."""
    return model.source[len("schema ") :] if model.source.startswith("schema ") else None


def _model_entry(ov: ApiOverlay, model: Model) -> Entry | None:
    schema = _schema_name(model)
    if schema is not None and schema in ov.schemas:
        return ov.schemas[schema]
    return ov.models.get(model.name)


def operation_entry(ov: ApiOverlay, op: Operation) -> Entry:
    """The entry of an operation (empty when the overlay has none)."""
    return ov.operations.get(op.operation_id, Entry())


def param_text(ov: ApiOverlay, op: Operation, param: Parameter) -> str:
    """The phrase of a parameter: its own, else the API's common one, else empty."""
    own = operation_entry(ov, op).items.get(param.wire)
    return own or ov.common_params.get(param.wire, "")


def model_summary(ov: ApiOverlay, model: Model) -> str:
    """The one-line summary of a model, or empty."""
    entry = _model_entry(ov, model)
    return entry.summary if entry else ""


def field_text(ov: ApiOverlay, model: Model, field: Field) -> str:
    """The phrase of a model field: the model's own, else the API's common one, else empty."""
    entry = _model_entry(ov, model)
    own = entry.items.get(field.wire) if entry else None
    return own or ov.common_fields.get(field.wire, "")


def _unknown_entries(api: Api, ov: ApiOverlay) -> list[str]:
    """Entries that name no operation, parameter, schema, model or field of the document."""
    ops = {op.operation_id: {p.wire for p in op.parameters} for op in api.operations}
    schemas = {_schema_name(m): {f.wire for f in m.fields} for m in api.models}
    models = {m.name: {f.wire for f in m.fields} for m in api.models}
    checks: list[tuple[str, str, Mapping[str, Entry], Mapping[Any, set[str]]]] = [
        ("operation", "param", ov.operations, ops),
        ("schema", "field", ov.schemas, schemas),
        ("model", "field", ov.models, models),
    ]
    out: list[str] = []
    for table, items, entries, known in checks:
        for name, entry in entries.items():
            wires = known.get(name)
            if wires is None:
                out.append(f"{api.name}: [{table}.{name}] names no {table}")
                continue
            out += [
                f"{api.name}: [{table}.{name}.{items}] {w} is no {items} of it"
                for w in entry.items
                if w not in wires
            ]
    everywhere = {
        "param": {w for wires in ops.values() for w in wires},
        "field": {w for wires in models.values() for w in wires},
    }
    for items, common in (("param", ov.common_params), ("field", ov.common_fields)):
        out += [
            f"{api.name}: [common.{items}] {w} is no {items} anywhere in the document"
            for w in common
            if w not in everywhere[items]
        ]
    return out


def coverage(api: Api, ov: ApiOverlay) -> list[str]:
    """What the overlay of ``api`` lacks, then what it names that the document does not have.

    Every operation needs a summary, and every required parameter a phrase. The APIs in
    `FULL_APIS` also need a phrase for every parameter, a summary for every component schema
    and a phrase for every model field.
    """
    full = api.name in FULL_APIS
    out: list[str] = []
    for op in api.operations:
        if not operation_entry(ov, op).summary:
            out.append(f"{api.name}: operation {op.operation_id} has no summary")
        out += [
            f"{api.name}: operation {op.operation_id} parameter {p.wire} has no phrase"
            for p in op.parameters
            if (full or p.required) and not param_text(ov, op, p)
        ]
    if full:
        for model in api.models:
            schema = _schema_name(model)
            if schema is not None and not model_summary(ov, model):
                out.append(f"{api.name}: schema {schema} has no summary")
            out += [
                f"{api.name}: model {model.name} field {f.wire} has no phrase"
                for f in model.fields
                if not field_text(ov, model, f)
            ]
    return out + _unknown_entries(api, ov)


def words(text: str) -> list[str]:
    """The lower-case words of a text, for comparing overlay prose with the documents'."""
    return re.findall(r"[a-z0-9]+", text.lower())
