"""Running the ``botpress`` command in a child process, pointed at an emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from botpress_async.testing import Emulator


def cli_env(emu: Emulator | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a child: this one without any BP_ variable, plus the emulator's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BP_")}
    if emu is not None:
        env.update(BP_TOKEN=emu.bak, BP_BOT_ID=emu.bot_id, BP_API_URL=emu.url)
    env.update(overrides)
    return env


def run_cli(
    *args: str, env: Mapping[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m botpress_async ARGS`` to completion, warnings as errors, no terminal."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "botpress_async", *args],
        env=dict(env),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
