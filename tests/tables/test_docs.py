"""The tables guide's code blocks run in order, as written, against the emulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from botpress_async.testing import Emulator

GUIDE = Path(__file__).resolve().parent.parent.parent / "docs" / "tables.md"


def test_tables_guide_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block of docs/tables.md, in one namespace, with BP_ variables set."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 8
    with Emulator(seed=5).run_in_thread() as emu:
        monkeypatch.setenv("BP_TOKEN", emu.bak)
        monkeypatch.setenv("BP_BOT_ID", emu.bot_id)
        monkeypatch.setenv("BP_API_URL", emu.url)
        namespace: dict[str, Any] = {"__name__": "tables_guide"}
        for number, block in enumerate(blocks):
            exec(compile(block, f"docs/tables.md block {number}", "exec"), namespace)  # noqa: S102
