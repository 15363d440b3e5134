"""Ways to run the emulator: the command line, a thread for blocking code, the pytest fixture."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import types
import urllib.error
import urllib.request

import pytest

from botpress_async.testing import Emulator


def _get(url: str, token: str, bot_id: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(  # noqa: S310 - an http URL on loopback
        url + "/v1/chat/users", headers={"Authorization": f"Bearer {token}", "x-bot-id": bot_id}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback URL
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_command_line_serves_until_signalled(sig: signal.Signals) -> None:
    """The command prints the URL and tokens, serves, and exits 0 on SIGINT or SIGTERM."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "botpress_async.testing",
            "--port",
            "0",
            "--seed",
            "5",
            "--page-size",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(8)]
        assert lines[0].startswith("#")
        fields = dict(line.removeprefix("export ").split("=", 1) for line in lines[1:])
        assert fields["BP_API_URL"].startswith("http://127.0.0.1:")
        assert fields["BP_EMULATOR_PAT"].startswith("bp_pat_")
        assert fields["BP_TOKEN"].startswith("bp_bak_")
        status, body = _get(fields["BP_API_URL"], fields["BP_TOKEN"], fields["BP_BOT_ID"])
        assert (status, body) == (200, {"users": [], "meta": {}})
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert out.strip().endswith("stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_the_same_seed_gives_the_same_tokens() -> None:
    """Ids and tokens follow from the seed, so a run can be repeated exactly."""
    a, b, c = Emulator(seed=1), Emulator(seed=1), Emulator(seed=2)
    assert (a.pat, a.bak, a.iak, a.bot_id) == (b.pat, b.bak, b.iak, b.bot_id)
    assert a.pat != c.pat


def test_runs_in_a_thread_for_blocking_code() -> None:
    """run_in_thread serves blocking callers and stops cleanly at the end of the block."""
    with Emulator().run_in_thread() as emu:
        status, _ = _get(emu.url, emu.pat, emu.bot_id)
        assert status == 200
        status, body = _get(emu.url, emu.iak, emu.other_bot_id)
        assert (status, body["type"]) == (403, "Forbidden")
        url = emu.url
    with pytest.raises(urllib.error.URLError):
        _get(url, "bp_pat_" + "x" * 40, "bot")


def test_pytest_fixture(botpress_emulator: Emulator) -> None:
    """The plugin's fixture hands a running emulator with ready tokens to a plain test."""
    status, body = _get(botpress_emulator.url, botpress_emulator.bak, botpress_emulator.bot_id)
    assert (status, body["users"]) == (200, [])


def test_command_line_fault_options() -> None:
    """``--fault key=value,...`` becomes a fault rule; a bad field is refused with a message."""
    from botpress_async.testing.__main__ import parse_fault

    rule = parse_fault("kind=status,status=502,operation=getUser,probability=0.25,times=3")
    assert (rule.kind, rule.status, rule.operation, rule.probability, rule.times) == (
        "status",
        502,
        "getUser",
        0.25,
        3,
    )
    for bad in ("status=502", "kind=status,color=red", "kind=slow,delay=soon", "kind=boom"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fault(bad)


def test_public_names() -> None:
    """botpress_async.testing exports exactly its documented public names."""
    import botpress_async.testing as testing

    public = {
        n
        for n in dir(testing)
        if not n.startswith("_") and not isinstance(getattr(testing, n), types.ModuleType)
    }
    assert sorted(testing.__all__) == sorted(public - {"annotations"})
    assert set(testing.__all__) == {
        "Emulator",
        "FaultRule",
        "Faults",
        "LogEntry",
        "MissingDependencyError",
        "RequestLog",
        "Wired",
        "wire",
        "wire_in_thread",
    }


def test_importing_the_sdk_does_not_load_the_emulator() -> None:
    """``import botpress_async`` stays cheap: it never imports the testing package."""
    code = "import sys, botpress_async; print('botpress_async.testing' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_pytest_entry_point_imports_nothing_heavy() -> None:
    """Every pytest run loads the ``pytest11`` plugin: it must not import the SDK or aiohttp."""
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "botpress_emulator"]
    code = (
        f"import sys, {entry.value}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('botpress_async', 'botpress_sync', 'aiohttp', 'jsonschema')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("named", [False, True], ids=["entry-point", "pytest_plugins"])
def test_the_fixtures_in_a_user_project(tmp_path: pathlib.Path, named: bool) -> None:
    """A user's suite gets the fixture from the entry point alone (loading nothing until used),
    and naming the plugin module in ``pytest_plugins`` as well does not clash with it."""
    if named:
        conftest = 'pytest_plugins = ["botpress_async.testing.pytest_plugin"]\n'
        (tmp_path / "conftest.py").write_text(conftest)
    loaded = "'aiohttp.web' in sys.modules"
    (tmp_path / "test_user.py").write_text(
        "import sys\n"
        "def test_a_plain_test():\n"
        f"    assert ({loaded}) is {named}\n"
        "def test_fixture(botpress_emulator):\n"
        f"    assert {loaded}\n"
        "    assert botpress_emulator.url.startswith('http://127.0.0.1:')\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "2 passed" in out.stdout, out.stdout + out.stderr
