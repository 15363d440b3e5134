"""``botpress tables``: helpers for tables on the command line.

``botpress tables typeddict ordersTable`` reads the table's schema (``getTable``) and prints a
``TypedDict`` of its columns, ready for ``client.tables.table("ordersTable", Orders)``.
"""

from __future__ import annotations

import argparse
import asyncio
import keyword
import re
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["add_parser", "render_typeddict", "run"]

_SCALARS = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"}


def _python_type(column: Mapping[str, Any]) -> str:
    """The annotation of one column's values, from its JSON schema."""
    kind = column.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        names = [k for k in kind if k != "null"]
        inner = _python_type({**column, "type": names[0] if names else None})
        return f"{inner} | None" if "null" in kind else inner
    if kind in _SCALARS:
        annotation = _SCALARS[str(kind)]
    elif kind == "date":
        annotation = "str"  # an ISO 8601 text on the wire
    elif kind == "array":
        items = column.get("items")
        annotation = f"list[{_python_type(items) if isinstance(items, Mapping) else 'Any'}]"
    elif kind == "object":
        annotation = "dict[str, Any]"
    else:
        annotation = "Any"
    return f"{annotation} | None" if column.get("nullable") else annotation


def class_name(table: str) -> str:
    """``ordersTable`` → ``Orders``: the table's name in PascalCase, without ``Table``."""
    base = re.sub(r"Table$", "", table) or table
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", base) if p]
    name = "".join(p[0].upper() + p[1:] for p in parts) or "Columns"
    return "T" + name if name[0].isdigit() else name


def render_typeddict(table: str, schema: Mapping[str, Any], name: str | None = None) -> str:
    """The Python source of a ``TypedDict`` of a table's columns.

    Columns the schema does not require are ``NotRequired``; names that are not Python
    identifiers use the functional form of ``TypedDict``.

    Args:
        table: the table's name (for the docstring and the default class name).
        schema: the table's JSON schema (``properties``, ``required``).
        name: the class name (default: from the table's name).
    """
    cls = name or class_name(table)
    props = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    fields: list[tuple[str, str]] = []
    for column, spec in props.items():
        annotation = _python_type(spec if isinstance(spec, Mapping) else {})
        fields.append(
            (str(column), annotation if column in required else f"NotRequired[{annotation}]")
        )
    head = [
        "from __future__ import annotations",
        "",
        "from typing import Any, TypedDict",
        "",
        "from typing_extensions import NotRequired",
        "",
        "",
    ]
    plain = all(c.isidentifier() and not keyword.iskeyword(c) for c, _ in fields)
    if plain:
        body = [f"class {cls}(TypedDict):", f'    """The columns of {table}."""', ""]
        body += [f"    {column}: {annotation}" for column, annotation in fields]
    else:
        # Column names that are not identifiers need the functional form.
        items = ", ".join(f"{column!r}: {annotation!r}" for column, annotation in fields)
        body = [f"{cls} = TypedDict({cls!r}, {{{items}}})"]
    return "\n".join(head + body) + "\n"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``tables`` on the ``botpress`` subcommands; returns its parser.

    Args:
        commands: the subparsers action of the ``botpress`` parser.
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        "tables",
        help="table helpers: print a TypedDict of a table's columns",
        description=(
            "Helpers for tables. 'botpress tables typeddict TABLE' reads the table's schema "
            "and prints a TypedDict class of its columns for typed table handles. Uses "
            "BP_TOKEN, BP_BOT_ID and BP_API_URL like 'botpress call'."
        ),
    )
    sub = parser.add_subparsers(dest="tables_command", metavar="ACTION", required=True)
    typed = sub.add_parser("typeddict", help="print a TypedDict of a table's columns")
    typed.add_argument("table", metavar="TABLE", help="the table's name or id")
    typed.add_argument("--name", help="the class name (default: from the table's name)")
    typed.add_argument("--api-url", help="the API's URL (default: BP_API_URL, or the cloud)")
    typed.add_argument("--bot-id", help="x-bot-id (default: BP_BOT_ID)")
    return parser


async def _fetch_schema(args: argparse.Namespace, token: str) -> Mapping[str, Any]:
    from botpress_async._client import AsyncClient
    from botpress_async._rows import table_schema

    async with AsyncClient(token, bot_id=args.bot_id, api_url=args.api_url) as client:
        del token
        record, _ = await table_schema(client, args.table)
    schema = record.get("schema")
    return schema if isinstance(schema, Mapping) else {}


def run(args: argparse.Namespace) -> int:
    """Run ``botpress tables ACTION``; returns the exit status.

    Args:
        args: the parsed arguments of the ``tables`` command.
    """
    from botpress_async.cli._base import UsageError, _token_from_env_or_prompt

    if args.name is not None and not args.name.isidentifier():
        raise UsageError(f"--name must be a Python identifier, got {args.name!r}")
    token = _token_from_env_or_prompt(sys.stdin)
    schema = asyncio.run(_fetch_schema(args, token))
    sys.stdout.write(render_typeddict(args.table, schema, args.name))
    return 0
