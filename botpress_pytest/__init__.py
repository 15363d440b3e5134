"""The emulator's pytest fixtures, which pytest loads in every run from the ``pytest11`` entry.

This module is loaded by pytest at start-up in any project where the SDK is installed, so it
imports only pytest: the emulator (aiohttp, the OpenAPI documents, the SDK itself) is imported
the first time a test asks for one of its fixtures. It lives outside ``botpress_async`` because
importing anything under that package first imports the whole client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from botpress_async.testing import Emulator

__all__ = ["botpress_emulator", "botpress_emulator_session", "botpress_wired"]


def _running() -> Iterator[Emulator]:
    from botpress_async.testing import Emulator

    with Emulator().run_in_thread() as emu:
        yield emu


@pytest.fixture
def botpress_emulator() -> Iterator[Emulator]:
    """A fresh emulator for one test: ``.url``, ``.pat``, ``.bak``, ``.iak``, ``.bot_id``..."""
    yield from _running()


@pytest.fixture(scope="session")
def botpress_emulator_session() -> Iterator[Emulator]:
    """One emulator shared by the whole test session (state carries over between tests)."""
    yield from _running()


@pytest.fixture
def botpress_wired(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh emulator with your apps served and registered: define a ``botpress_apps`` fixture.

    ``botpress_apps`` returns an ``Integration``, a ``Bot`` or a list of them. Each is served on
    127.0.0.1 and given its own key; an integration is installed in ``emulator.bot_id`` and
    registered, a bot gets its URL. The fixture's value is a ``Wired`` (``.emulator``,
    ``.urls``, ``.integration_ids``).
    """
    from botpress_async.testing import Emulator
    from botpress_async.testing._wiring import wire_in_thread

    apps = request.getfixturevalue("botpress_apps")
    listed = list(apps) if isinstance(apps, (list, tuple)) else [apps]
    with Emulator().run_in_thread() as emu, wire_in_thread(emu, *listed) as wired:
        yield wired
