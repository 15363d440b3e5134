"""Emit ``botpress_async/_operations.py``: the table ``client.call()`` reads, for all APIs."""

from __future__ import annotations

from pathlib import Path

from codegen.ir import AnyT, Api, ArrayT, EnumT, MapT, ModelT, Nullable, Prim, TypeNode
from codegen.writer import header

__all__ = ["emit", "emit_operations_module", "json_kind"]

_PRIM_KINDS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def json_kind(node: TypeNode) -> tuple[str, bool]:
    """The JSON kind a value of ``node`` must have (string, integer, ..., any), and nullability."""
    if isinstance(node, Nullable):
        return json_kind(node.inner)[0], True
    if isinstance(node, Prim):
        return _PRIM_KINDS[node.kind], False
    if isinstance(node, EnumT):
        return "string", False
    if isinstance(node, ArrayT):
        return "array", False
    if isinstance(node, (MapT, ModelT)):
        return "object", False
    assert isinstance(node, AnyT)
    return "any", False


def _tuple(items: list[str]) -> str:
    """A tuple display without a trailing comma (which would make the formatter explode it)."""
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def emit_operations_module(apis: tuple[Api, ...]) -> str:
    """The operation table module."""
    lines = [
        header(apis),
        '"""Every operation by its official operationId, for ``client.call()``."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import Final",
        "",
        "from botpress_async._operation_spec import OperationSpec, ParamSpec",
        "",
        '__all__ = ["OPERATIONS"]',
        "",
        "OPERATIONS: Final[Mapping[str, OperationSpec]] = {",
    ]
    for api in apis:
        for op in api.operations:
            params = []
            for p in op.parameters:
                kind, nullable = json_kind(p.type)
                params.append(
                    f"ParamSpec({p.wire!r}, {p.location!r}, {p.required}, {kind!r}, {nullable})"
                )
            ptuple = _tuple(params)
            requires = _tuple([repr(h) for h in op.requires])
            lines.append(
                f"    {op.operation_id!r}: OperationSpec({api.name!r}, {op.method!r}, {op.path!r}, "
                f"{ptuple}, has_body={op.has_body}, idempotent={op.idempotent}, "
                f"requires={requires}, paginated={op.pagination is not None}),"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The operation table."""
    return {root / "botpress_async" / "_operations.py": emit_operations_module(apis)}
