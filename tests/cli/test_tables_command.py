"""``botpress tables typeddict``: a TypedDict generated from a table's schema."""

from __future__ import annotations

from typing import Any

import pytest

import botpress_sync
from botpress_async.cli import main
from botpress_async.cli._tables import render_typeddict
from botpress_async.testing import Emulator


def test_typeddict_of_a_table(env_of: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    """The printed class names every column with its type and runs as Python."""
    with botpress_sync.Client(env_of.bak, bot_id=env_of.bot_id, api_url=env_of.url) as c:
        c.tables.create_table(
            name="ordersTable",
            schema={
                "properties": {
                    "sku": {"type": "string"},
                    "total": {"type": "number"},
                    "paid": {"type": "boolean"},
                    "meta": {"type": "object"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "note": {"type": "string", "nullable": True},
                },
                "required": ["sku", "total"],
            },
        )
    assert main(["tables", "typeddict", "ordersTable"]) == 0
    source = capsys.readouterr().out
    assert "class Orders(TypedDict):" in source
    assert "    sku: str\n    total: float\n    paid: NotRequired[bool]\n" in source
    assert "    tags: NotRequired[list[str]]\n" in source
    assert "    note: NotRequired[str | None]\n" in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "orders.py", "exec"), namespace)  # noqa: S102 - our own output
    assert set(namespace["Orders"].__annotations__) == {
        "sku",
        "total",
        "paid",
        "meta",
        "tags",
        "note",
    }


def test_unknown_table_and_bad_name(env_of: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown table is a one-line failure; a bad --name a usage error."""
    assert main(["tables", "typeddict", "missingTable"]) == 1
    assert "missingTable" in capsys.readouterr().err
    assert main(["tables", "typeddict", "x", "--name", "not valid"]) == 2


def test_columns_that_are_not_identifiers() -> None:
    """Column names Python cannot spell as attributes use the functional form."""
    source = render_typeddict("weirdTable", {"properties": {"first name": {"type": "string"}}})
    assert "Weird = TypedDict('Weird', {'first name': 'NotRequired[str]'})" in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "weird.py", "exec"), namespace)  # noqa: S102 - our own output
    assert "first name" in namespace["Weird"].__annotations__
