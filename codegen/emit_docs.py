"""Emit ``docs/operations.md``: every operationId with its calls, HTTP route and token kinds."""

from __future__ import annotations

from pathlib import Path

from codegen.ir import Api
from codegen.writer import md_header

__all__ = ["emit", "emit_operations_table"]


def emit_operations_table(apis: tuple[Api, ...]) -> str:
    """The reference table, one section per API."""
    total = sum(len(a.operations) for a in apis)
    out = [
        md_header(apis),
        "# Operations",
        "",
        f"All {total} operations of the five APIs. Every one is reachable three ways: the method",
        "on the API's resource (`AsyncClient` awaits it, `botpress_sync.Client` blocks), and",
        '`client.call("<operationId>", {...})` with the official camelCase input.',
        "Methods marked *pager* return a pager: `async for` (or `for` on the sync client) walks",
        "every item of every page.",
        "",
    ]
    for api in apis:
        out += [
            f"## {api.name}: {api.title} {api.version}",
            "",
            f"Token kinds: {', '.join(api.token_kinds)}.",
            "",
            "| operationId | async call | sync call | method | path | tokens |",
            "|---|---|---|---|---|---|",
        ]
        for op in api.operations:
            pager = " *pager*" if op.pagination else ""
            awaited = "" if op.pagination else "await "
            out.append(
                f"| `{op.operation_id}` | `{awaited}client.{api.name}.{op.name}(...)`{pager} "
                f"| `client.{api.name}.{op.name}(...)`{pager} | {op.method} | `{op.path}` "
                f"| {', '.join(api.token_kinds)} |"
            )
        out.append("")
    return "\n".join(out)


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The reference table file."""
    return {root / "docs" / "operations.md": emit_operations_table(apis)}
