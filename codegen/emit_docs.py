"""Emit the generated reference pages of the docs.

``docs/operations.md``: every operationId with its calls, HTTP route and token kinds.
``docs/migrating-operations.md``: every operationId as ``@botpress/client`` calls it, and as
the Python clients call it, for code moving from TypeScript.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from codegen import overlay
from codegen.ir import Api, Operation
from codegen.writer import md_header

__all__ = [
    "breakable",
    "emit",
    "emit_migration_table",
    "emit_operations_table",
    "python_call",
    "typescript_call",
]

_TS_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def emit_operations_table(apis: tuple[Api, ...]) -> str:
    """The reference table, one section per API."""
    total = sum(len(a.operations) for a in apis)
    out = [
        md_header(apis),
        "# Operations",
        "",
        f"All {total} operations of the five APIs. Every one is reachable three ways: the method",
        "on the API's resource, `client.<api>.<method>(...)` (`AsyncClient` awaits it,",
        '`botpress_sync.Client` blocks), and `client.call("<operationId>", {...})` with the',
        "official camelCase input. Methods marked *pager* return a pager: `async for` (or `for`",
        "on the sync client) walks every item of every page. Each method links to its reference",
        "entry, where every argument is described.",
        "",
    ]
    for api in apis:
        out += [
            f"## {api.name}: {api.title} {api.version}",
            "",
            f"Token kinds: {', '.join(api.token_kinds)}.",
            "",
            "| method and operationId | what it does, and its route |",
            "|---|---|",
        ]
        out += [_operation_row(api, op) for op in api.operations]
        out.append("")
    return "\n".join(out)


def breakable(code: str) -> str:
    """Inline code for a table cell that may wrap after ``.`` (before a name), ``(``, ``/``, ``,``.

    The site keeps names in tables whole (no break inside ``createConversation``); these
    marks give a long call or route the places where it may wrap instead.
    """
    escaped = html.escape(code, quote=False)
    return "<code>" + re.sub(r"(\.(?=\w)|[/(,])", r"\1<wbr>", escaped) + "</code>"


def _operation_row(api: Api, op: Operation) -> str:
    """One row of the reference table: the names, our summary and the route of an operation.

    Two columns keep the names whole on a narrow page; the method links to its entry on the
    API's reference page (mkdocstrings' anchor), and the route may break only after a slash.
    """
    pager = " *pager*" if op.pagination else ""
    summary = overlay.operation_entry(overlay.overlay_for(api.name), op).summary
    anchor = f"botpress_async.resources.{api.name}.{api.class_prefix}API.{op.name}"
    method = f"[`{op.name}`](reference/{api.name}.md#{anchor}){pager}"
    route = breakable(f"{op.method} {op.path}")
    return f"| {method}<br>`{op.operation_id}` | {summary}<br>{route} |"


def typescript_call(op: Operation) -> str:
    """How ``@botpress/client`` calls the operation: one input object of the required fields.

    Every field of the input object is named as on the wire; names that are not identifiers
    (header names) are quoted.
    """
    keys = []
    for param in op.parameters:
        if not param.required:
            continue
        if _TS_IDENTIFIER.fullmatch(param.wire):
            keys.append(param.wire)
        else:
            keys.append(f"'{param.wire}': ...")
    inner = "{ " + ", ".join(keys) + " }" if keys else "{}"
    return f"await client.{op.operation_id}({inner})"


def python_call(op: Operation, *, awaited: bool = True) -> str:
    """How the Python clients call the operation: its method with the required arguments.

    A list operation is shown without ``await``: it returns a pager, walked with ``async for``.
    """
    args = ", ".join(f"{p.name}=..." for p in op.parameters if p.required)
    prefix = "await " if awaited and op.pagination is None else ""
    return f"{prefix}client.{op.api}.{op.name}({args})"


def emit_migration_table(apis: tuple[Api, ...]) -> str:
    """The table from each operationId to its TypeScript and its Python call."""
    total = sum(len(a.operations) for a in apis)
    out = [
        md_header(apis),
        "# Operations in TypeScript and in Python",
        "",
        f"All {total} operations, as `@botpress/client` calls them and as `botpress_async` calls",
        "them. Only the required fields are shown; optional ones are further keyword arguments",
        "in Python, named in snake_case. The blocking client `botpress_sync.Client` makes the",
        "same call without `await`. List operations marked *pager* return a pager in Python:",
        "`async for` walks every item of every page and `await` gives the first page, as one",
        "call of the TypeScript method does. Operations marked *hidden* are left out of the",
        "API's public reference; the TypeScript package may not offer them on its main client.",
        "",
    ]
    for api in apis:
        out += [
            f"## {api.name}",
            "",
            "| operationId | TypeScript (`@botpress/client`) | Python (`botpress_async`) |",
            "|---|---|---|",
        ]
        for op in api.operations:
            pager = " *pager*" if op.pagination else ""
            hidden = " *hidden*" if op.hidden else ""
            out.append(
                f"| `{op.operation_id}` | {breakable(typescript_call(op))}{hidden} "
                f"| {breakable(python_call(op))}{pager} |"
            )
        out.append("")
    return "\n".join(out)


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The reference table files."""
    docs = root / "docs"
    return {
        docs / "operations.md": emit_operations_table(apis),
        docs / "migrating-operations.md": emit_migration_table(apis),
    }
