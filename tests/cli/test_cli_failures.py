"""The command line's failure behaviour: one line for a mistake, help when nothing is asked."""

from __future__ import annotations

import socket
import subprocess

import pytest

from botpress_async.cli import _main as _cli
from botpress_async.testing import Emulator
from botpress_async.testing.__main__ import describe


def test_no_arguments_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: botpress")
    for command in ("call", "emulator", "demo"):
        assert command in out


def test_emulator_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["emulator", "--port", "many"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("botpress: ")
    assert "--port" in err
    assert "see 'botpress emulator --help'" in err


def test_a_busy_port_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert _cli.main(["emulator", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_the_emulator_prints_lines_a_shell_can_source() -> None:
    """``. <(botpress emulator ...)``-style: every line is an export or a comment."""
    emu = Emulator(seed=3).start_in_thread()
    try:
        text, url = describe(emu), emu.url
    finally:
        emu.stop_thread()
    lines = text.splitlines()
    assert all(line.startswith(("export BP_", "#")) for line in lines), text
    script = text + '\nprintf "%s %s %s" "$BP_API_URL" "$BP_TOKEN" "$BP_BOT_ID"'
    done = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout == f"{url} {emu.bak} {emu.bot_id}"
