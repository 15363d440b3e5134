"""Corrections the generator applies on top of the documents, kept in one place.

Two kinds, both keyed by API and the names the builder gives:

- ``HANDWRITTEN``: a schema whose model is a hand-written class of the SDK. The models module
  imports that class (and its ``from_wire`` / ``to_wire`` functions as the converter hooks)
  instead of generating one, and every generated model that holds the schema refers to it.
- ``LEAF_MODELS``: generated models that a hand-written class needs. They go in a module of
  their own (``models/_<api>_leaf.py``) that imports no other model, so the hand-written class
  can import them while the API's models module imports the hand-written class: one way.
- ``INT_FIELDS`` / ``INT_PARAMETERS``: properties the documents type ``number`` that only ever
  carry whole numbers (row ids, counts); the SDK types them ``int`` so that values read from one
  call can be passed to another that takes an int.
"""

from __future__ import annotations

import attrs

from codegen.ir import Api, ArrayT, MapT, Model, Nullable, Operation, Prim, TypeNode

__all__ = ["HANDWRITTEN", "INT_FIELDS", "INT_PARAMETERS", "LEAF_MODELS", "apply_overrides"]

#: (api, model name) -> "module.Class" of the hand-written class standing for the schema.
HANDWRITTEN: dict[tuple[str, str], str] = {
    ("tables", "Row"): "botpress_async._row.Row",
}

#: (api, model name) of generated models emitted into the API's leaf module. ``Row.computed``
#: decodes RowComputedValue, and the tables models import Row.
LEAF_MODELS: frozenset[tuple[str, str]] = frozenset({("tables", "RowComputedValue")})

#: (api, model name, Python field name) of fields that are integers.
INT_FIELDS: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("tables", "Row", "id"),
        ("tables", "UpdateTableRowsBodyRowsItem", "id"),
        ("tables", "UpsertTableRowsBodyRowsItem", "id"),
        ("tables", "DeleteTableRowsResponse", "deleted_rows"),
        ("tables", "GetTableResponse", "rows"),
        ("tables", "GetTableResponse", "stale"),
        ("tables", "GetTableResponse", "indexing"),
        ("tables", "GetOrCreateTableResponse", "rows"),
        ("tables", "GetOrCreateTableResponse", "stale"),
        ("tables", "GetOrCreateTableResponse", "indexing"),
        ("tables", "DuplicateTableResponse", "rows"),
    }
)

#: (api, operationId, Python parameter name) of arguments that are integers.
INT_PARAMETERS: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("tables", "deleteTableRows", "ids"),
    }
)


def _as_int(node: TypeNode) -> TypeNode:
    """``node`` with its float replaced by int (inside arrays, maps and nullables too)."""
    if isinstance(node, Prim) and node.kind == "float":
        return Prim("int", node.fmt)
    if isinstance(node, ArrayT):
        return ArrayT(_as_int(node.item))
    if isinstance(node, MapT):
        return MapT(_as_int(node.value))
    if isinstance(node, Nullable):
        return Nullable(_as_int(node.inner))
    return node


def _model(api: str, model: Model) -> Model:
    fields = tuple(
        attrs.evolve(f, type=_as_int(f.type)) if (api, model.name, f.name) in INT_FIELDS else f
        for f in model.fields
    )
    return attrs.evolve(model, fields=fields, handwritten=HANDWRITTEN.get((api, model.name), ""))


def _operation(op: Operation) -> Operation:
    params = tuple(
        attrs.evolve(p, type=_as_int(p.type))
        if (op.api, op.operation_id, p.name) in INT_PARAMETERS
        else p
        for p in op.parameters
    )
    return attrs.evolve(op, parameters=params)


def apply_overrides(api: Api) -> Api:
    """Return ``api`` with the hand-written models marked and the integer fields retyped."""
    return attrs.evolve(
        api,
        models=tuple(_model(api.name, m) for m in api.models),
        operations=tuple(_operation(op) for op in api.operations),
    )
