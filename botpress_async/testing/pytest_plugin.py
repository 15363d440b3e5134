"""A pytest plugin with emulator fixtures; nothing starts unless a test asks for a fixture.

Enable it in a test suite with ``pytest_plugins = ["botpress_async.testing.pytest_plugin"]``
(it is also registered under the ``pytest11`` entry point, where it only adds fixtures).
The fixtures serve from a thread of their own, so sync and async tests can use them alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ._emulator import Emulator

__all__ = ["botpress_emulator", "botpress_emulator_session", "botpress_wired"]


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


@pytest.fixture
def botpress_wired(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh emulator with your apps served and registered: define a ``botpress_apps`` fixture.

    ``botpress_apps`` returns an ``Integration``, a ``Bot`` or a list of them. Each is served on
    127.0.0.1 and given its own key; an integration is installed in ``emulator.bot_id`` and
    registered, a bot gets its URL. The fixture's value is a ``Wired`` (``.emulator``,
    ``.urls``, ``.integration_ids``).
    """
    from ._wiring import wire_in_thread

    apps = request.getfixturevalue("botpress_apps")
    listed = list(apps) if isinstance(apps, (list, tuple)) else [apps]
    with Emulator().run_in_thread() as emu, wire_in_thread(emu, *listed) as wired:
        yield wired
