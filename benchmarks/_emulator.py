"""Start the emulator in its own process for a benchmark and read its URL and credentials."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

from benchmarks._server import free_port

# The emulator prints sourceable ``export BP_...=value`` lines; the benchmarks use short keys.
_KEYS = {
    "BP_API_URL": "url",
    "BP_TOKEN": "bak",
    "BP_BOT_ID": "bot_id",
    "BP_WORKSPACE_ID": "workspace_id",
    "BP_INTEGRATION_ID": "integration_id",
    "BP_EMULATOR_PAT": "pat",
    "BP_EMULATOR_IAK": "iak",
}


@contextlib.contextmanager
def emulator_process(seed: int = 1) -> Iterator[dict[str, str]]:
    """Run ``python -m botpress_async.testing`` and yield what it prints (url, tokens, ids)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "botpress_async.testing", "--port", str(port), "--seed", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    info: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while "integration_id" not in info and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            key, _, value = line.strip().removeprefix("export ").partition("=")
            info[_KEYS.get(key, key)] = value
        if "url" not in info:
            raise RuntimeError("the emulator did not start")
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
