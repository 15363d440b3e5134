"""Start the emulator in its own process for a benchmark and read its URL and credentials."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator

from benchmarks._server import free_port


@contextlib.contextmanager
def emulator_process(seed: int = 1) -> Iterator[dict[str, str]]:
    """Run ``python -m botpress_async.testing`` and yield what it prints (url, tokens, ids).

    The keys are ``url``, ``bak`` (the bot access key), ``pat``, ``iak``, ``bot_id``,
    ``workspace_id`` and ``integration_id``, read from the shell lines the emulator prints.
    """
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
            key, value = _field(line)
            if key:
                info[key] = value
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


# The emulator's shell variables, by the names the benchmarks use.
_NAMES = {
    "BP_API_URL": "url",
    "BP_TOKEN": "bak",
    "BP_BOT_ID": "bot_id",
    "BP_WORKSPACE_ID": "workspace_id",
    "BP_INTEGRATION_ID": "integration_id",
    "BP_EMULATOR_PAT": "pat",
    "BP_EMULATOR_IAK": "iak",
}


def _field(line: str) -> tuple[str, str]:
    """The benchmark's name and the value of one ``export NAME=value`` line, or empty names."""
    text = line.strip()
    if text.startswith("#") or "=" not in text:
        return "", ""
    key, _, value = text.removeprefix("export ").partition("=")
    words = shlex.split(value)
    return _NAMES.get(key, key), words[0] if words else ""
