"""A pytest plugin with emulator fixtures; nothing starts unless a test asks for a fixture.

Enable it in a test suite with ``pytest_plugins = ["botpress_async.testing.pytest_plugin"]``.
The same fixtures are registered for every pytest run under the ``pytest11`` entry point, from
the light module ``botpress_pytest``, which imports the emulator only when a fixture is used.
The fixtures serve from a thread of their own, so sync and async tests can use them alike.
"""

from __future__ import annotations

from botpress_pytest import botpress_emulator, botpress_emulator_session, botpress_wired

__all__ = ["botpress_emulator", "botpress_emulator_session", "botpress_wired"]
