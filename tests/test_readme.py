"""The README's complete code examples run as written, against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import botpress_sync
from botpress_async.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
# The examples a reader can paste into a file and run: they import what they use.
COMPLETE = [block for block in BLOCKS if block.startswith(("import", "from"))]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator in a thread for every example, with a conversation for them to find."""
    with Emulator(seed=3, chat_echo=True).run_in_thread() as emu:
        with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
            client.runtime.get_or_create_conversation(channel="channel", tags={})
        yield emu


def test_readme_has_complete_examples() -> None:
    """The README shows both the async and the blocking client in runnable form."""
    assert any("AsyncClient" in block for block in COMPLETE)
    assert any("botpress_sync" in block for block in COMPLETE)


@pytest.mark.parametrize("block", COMPLETE, ids=[f"example{i}" for i in range(len(COMPLETE))])
def test_readme_example_runs(block: str, emulator: Emulator) -> None:
    """Each complete example exits cleanly with the token and ids taken from the environment."""
    env = {
        **os.environ,
        "BP_TOKEN": emulator.bak,
        "BP_BOT_ID": emulator.bot_id,
        "BP_API_URL": emulator.url,
        "BP_CHAT_WEBHOOK_ID": emulator.chat_webhook_id,
        "BP_CHAT_URL": emulator.chat_url,
    }
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", block],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the example printed nothing"
