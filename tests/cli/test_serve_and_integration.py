"""``botpress serve`` and ``botpress integration register|key``, against the emulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from botpress_async.cli import main
from botpress_async.testing import Emulator

from .helpers import cli_env

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def admin_env(env_of: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """BP_ variables of the workspace owner (a PAT), for the admin commands."""
    monkeypatch.setenv("BP_TOKEN", env_of.pat)
    monkeypatch.setenv("BP_WORKSPACE_ID", env_of.workspace_id)
    return env_of


def lines(text: str) -> list[dict[str, str]]:
    """The JSON lines a command printed."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_register_creates_then_updates_the_integration(
    admin_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """register --name creates a new integration with its URL, and updates it the next time."""
    url = "https://tickets.example.com/bp/9f2c"
    assert main(["integration", "register", "--name", "ticketing", "--url", url]) == 0
    created = lines(capsys.readouterr().out)[0]
    assert (created["name"], created["url"]) == ("ticketing", url)
    assert main(["integration", "register", "--name", "ticketing", "--url", url + "x"]) == 0
    updated = lines(capsys.readouterr().out)[0]
    assert (updated["id"], updated["url"]) == (created["id"], url + "x")
    assert admin_env.store.integrations[created["id"]]["url"] == url + "x"


def test_key_create_list_revoke(
    admin_env: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A key is written to a 0600 file (not printed), listed without its value, then revoked."""
    integration = admin_env.integration_id
    out = tmp_path / "iak"
    argv = ["integration", "key", "create", "--integration-id", integration, "--output", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    value = out.read_text().strip()
    assert value not in printed
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert admin_env.store.tokens[value].kind == "iak"
    key_id = lines(printed)[0]["id"]

    assert main(["integration", "key", "list", "--integration-id", integration]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed
    assert value not in listed

    assert main(["integration", "key", "revoke", key_id]) == 0
    assert value not in admin_env.store.tokens


def test_key_create_needs_show_or_output(
    admin_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --show or --output no key is made: its value would be lost."""
    before = len(admin_env.store.tokens_of("iak"))
    assert main(["integration", "key", "create", "--integration-id", admin_env.integration_id]) == 2
    assert "--show" in capsys.readouterr().err
    assert len(admin_env.store.tokens_of("iak")) == before


def test_key_create_show_prints_the_value(
    admin_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """--show prints the value on its own line, for a pipe into a secret store."""
    argv = ["integration", "key", "create", "--integration-id", admin_env.integration_id, "--show"]
    assert main(argv) == 0
    value = capsys.readouterr().out.splitlines()[-1]
    assert admin_env.store.tokens[value].kind == "iak"


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("nocolon", "MODULE:APP"),
        ("no_such_module_here:app", "cannot import"),
        ("json:nothing", "no attribute"),
        ("json:dumps", "not an Integration or a Bot"),
    ],
)
def test_serve_refuses_bad_targets(
    target: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """serve names what is wrong with MODULE:APP, with exit status 2."""
    assert main(["serve", target]) == 2
    assert words in capsys.readouterr().err


def test_serve_answers_health_and_operations(emu: Emulator) -> None:
    """serve docs.examples.ticketing:bot listens, answers /health and a ping, stops on terminate."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = cli_env(emu, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "botpress_async", "serve", "docs.examples.ticketing:bot"]
    with subprocess.Popen(
        [*command, "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.PIPE
    ) as proc:
        try:
            status = None
            for _ in range(200):  # at most about 20 s
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                        status = r.status
                        break
                except OSError:
                    time.sleep(0.1)
            assert status == 200
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/",
                data=b"{}",
                headers={"x-bp-operation": "ping", "x-bot-id": emu.bot_id},
            )
            with urllib.request.urlopen(request, timeout=5) as r:  # noqa: S310 - a loopback URL built here
                assert r.status == 200
        finally:
            proc.terminate()
            proc.wait(timeout=20)
