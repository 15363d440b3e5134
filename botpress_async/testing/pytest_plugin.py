"""A pytest plugin with emulator fixtures; nothing starts unless a test asks for a fixture.

Enable it in a test suite with ``pytest_plugins = ["botpress_async.testing.pytest_plugin"]``
(it is also registered under the ``pytest11`` entry point, where it only adds fixtures).
The fixtures serve from a thread of their own, so sync and async tests can use them alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._emulator import Emulator

__all__ = ["botpress_emulator", "botpress_emulator_session"]


@pytest.fixture
def botpress_emulator() -> Iterator[Emulator]:
    """A fresh emulator for one test: ``.url``, ``.pat``, ``.bak``, ``.iak``, ``.bot_id``..."""
    with Emulator().run_in_thread() as emu:
        yield emu


@pytest.fixture(scope="session")
def botpress_emulator_session() -> Iterator[Emulator]:
    """One emulator shared by the whole test session (state carries over between tests)."""
    with Emulator().run_in_thread() as emu:
        yield emu
