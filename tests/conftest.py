"""Shared fixtures: the anyio backend and a scriptable HTTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.loopback"]

# Files that mypy checks and pytest never runs.
collect_ignore_glob = ["typing/*"]


@pytest.fixture
def anyio_backend() -> str:
    """The SDK runs on asyncio only (aiohttp is its transport)."""
    return "asyncio"
