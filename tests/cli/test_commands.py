"""The ``botpress`` command as a whole: help on every level, version, the emulator command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from botpress_async import __version__
from botpress_async.cli import _main as _cli
from tests.cli.helpers import cli_env, run_cli


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["call", "emulator", "demo", "exit statuses", "BP_TOKEN"]),
        (["call"], ["OPERATION_ID", "--all", "--token-kind", "@file.json", "exit statuses"]),
        (["demo"], ["--rows", "--files", "--no-progress", "--keep", "BP_WORKSPACE_ID"]),
        (["emulator"], ["--port", "--seed", "--fault"]),
    ],
    ids=["botpress", "call", "demo", "emulator"],
)
def test_help_on_every_level(
    argv: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--help prints the command's usage with its options and exits 0."""
    assert _cli.main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    prog = " ".join(["botpress", *argv])
    assert out.startswith(f"usage: {prog}")
    for word in expected:
        assert word in out


def test_demo_help_tells_its_own_environment(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's help says an unset BP_TOKEN means the emulator, and promises no prompt."""
    assert _cli.main(["demo", "--help"]) == 0
    out = capsys.readouterr().out
    environment = out.split("environment:")[1]
    assert "unset: the demo runs on an embedded emulator" in environment
    for name in ("BP_TOKEN", "BP_BOT_ID", "BP_WORKSPACE_ID", "BP_API_URL"):
        assert name in environment
    assert "prompt" not in environment.replace("no prompt", "")


def test_emulator_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """The emulator's help gives the default of --host and --port."""
    assert _cli.main(["emulator", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--host HOST address to listen on (default: 127.0.0.1)" in out
    assert "--port PORT port; 0 picks a free one (default: 0)" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package's version."""
    assert _cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"botpress {__version__}"


def test_an_option_without_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Options but no command: one line naming COMMAND and the help, exit status 2."""
    assert _cli.main(["--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "(see 'botpress --help')" in err


def test_module_runs_as_the_command() -> None:
    """``python -m botpress_async --help`` is the botpress command."""
    proc = run_cli("--help", env=cli_env())
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: botpress")


def test_importing_the_package_does_not_load_the_command() -> None:
    """``import botpress_async`` stays cheap: the command and the demo load only when run."""
    code = (
        "import sys, botpress_async; "
        "print(any(m in sys.modules for m in ('botpress_async.cli', 'botpress_async.cli._demo')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "False"


def test_emulator_command_serves_until_terminated() -> None:
    """``botpress emulator`` prints its URL and tokens, answers calls, and stops on SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "botpress_async", "emulator", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(),
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(8)]
        fields = dict(
            line.removeprefix("export ").split("=", 1) for line in lines if line[:1] != "#"
        )
        assert fields["BP_API_URL"].startswith("http://127.0.0.1:")
        env = cli_env(**{k: fields[k] for k in ("BP_TOKEN", "BP_BOT_ID", "BP_API_URL")})
        called = run_cli("call", "listUsers", env=env)
        assert called.returncode == 0, called.stderr
        assert json.loads(called.stdout) == {"users": [], "meta": {}}
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert out.strip().endswith("stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_emulator_command_refuses_a_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    """The emulator's own parser checks its options, under the name ``botpress emulator``."""
    assert _cli.main(["emulator", "--fault", "kind=nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown fault kind 'nope'" in err
    assert "see 'botpress emulator --help'" in err
