"""The command line's tests share an emulator fixture with small pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botpress_async.testing import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator in a thread, with pages of 2 so that listing walks several."""
    with Emulator(seed=7, page_size=2).run_in_thread() as emulator:
        yield emulator
