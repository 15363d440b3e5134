"""Fixtures of the tables tests: a fresh emulator, an async client and two tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from botpress_async import AsyncClient
from botpress_async.testing import Emulator

#: Columns of the product tables; ``items`` and ``keys`` are named like Mapping methods on purpose.
SCHEMA: dict[str, Any] = {
    "properties": {
        "sku": {"type": "string"},
        "qty": {"type": "number"},
        "items": {"type": "number"},
        "keys": {"type": "string"},
        "when": {"type": "string"},
    }
}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A fresh emulator per test."""
    async with Emulator(seed=7) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncClient]:
    """A client whose retries wait milliseconds, with ``productsTable`` (key column ``sku``)
    and ``notesTable`` (no key column)."""
    async with AsyncClient(
        emu.bak,
        bot_id=emu.bot_id,
        api_url=emu.url,
        initial_retry_delay=0.001,
        max_retry_delay=0.01,
        retry_budget=None,
    ) as c:
        await c.tables.create_table(name="productsTable", schema=SCHEMA, key_column="sku")
        await c.tables.create_table(name="notesTable", schema=SCHEMA)
        yield c


async def stored(client: AsyncClient, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` as plain wire dicts, read with raw requests page by page."""
    rows: list[dict[str, Any]] = []
    for _ in range(100):  # bounded: far more pages than any test writes
        page = await client.request(
            "POST", f"/v1/tables/{table}/rows/find", json={"limit": 1000, "offset": len(rows)}
        )
        rows += page["rows"]
        if not page.get("hasMore"):
            return rows
    raise AssertionError("the table never stopped paging")
