"""Fixtures of the blocking facade's tests: `facade` (see `tests.sync.facade`) and a server
running in a thread of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sync.facade import Facade, facade
from tests.sync.server import ThreadedServer, serve

__all__ = ["Facade", "facade"]


@pytest.fixture
def threaded_server() -> Iterator[ThreadedServer]:
    """A loopback server in its own thread, so blocking clients may call it from any thread."""
    yield from serve()
