"""Shared by the command line's tests: an emulator with small pages, and BP_ variables for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botpress_async.testing import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator in a thread, with pages of 2 so that listing walks several."""
    with Emulator(seed=7, page_size=2).run_in_thread() as emulator:
        yield emulator


@pytest.fixture
def env_of(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> Emulator:
    """This process's BP_ variables pointed at the emulator, for in-process runs of main()."""
    for name in ("BP_WORKSPACE_ID", "BP_INTEGRATION_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BP_TOKEN", emu.bak)
    monkeypatch.setenv("BP_BOT_ID", emu.bot_id)
    monkeypatch.setenv("BP_API_URL", emu.url)
    return emu
