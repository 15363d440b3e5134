"""``botpress call``: any operation by its id, JSON out, one-line errors and exit statuses."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import botpress_sync
from botpress_async._summaries import SUMMARIES
from botpress_async.cli import _main as _cli
from botpress_async.testing import Emulator
from tests.cli.helpers import cli_env, run_cli

FAKE_TOKEN = "bp_bak_" + "x" * 40


def make_users(emu: Emulator, count: int) -> list[str]:
    """Create ``count`` users on the emulator; their ids in creation order."""
    with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        return [client.runtime.create_user(tags={}, name=f"u{n}").user.id for n in range(count)]


def test_call_prints_the_answer_as_json(emu: Emulator) -> None:
    """A successful call exits 0 and prints the answer as JSON that parses back."""
    proc = run_cli("call", "getOrCreateUser", '{"tags": {}, "name": "ada"}', env=cli_env(emu))
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["user"]["name"] == "ada"
    assert answer["user"]["id"].startswith("user_")
    assert proc.stderr == ""


def test_call_reads_its_input_from_stdin(emu: Emulator) -> None:
    """``-`` reads the input object from standard input; --compact prints it on one line."""
    (user_id,) = make_users(emu, 1)
    proc = run_cli(
        "call", "getUser", "-", "--compact", env=cli_env(emu), stdin=json.dumps({"id": user_id})
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    assert json.loads(proc.stdout)["user"]["id"] == user_id


def test_call_reads_its_input_from_a_file(
    env_of: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``@file.json`` reads the input object from that file."""
    (user_id,) = make_users(env_of, 1)
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"id": user_id}), encoding="utf-8")
    assert _cli.main(["call", "getUser", f"@{path}"]) == 0
    assert json.loads(capsys.readouterr().out)["user"]["id"] == user_id


def test_all_walks_every_page_one_item_per_line(emu: Emulator) -> None:
    """--all follows nextToken across pages and prints each item as one JSON line."""
    ids = make_users(emu, 5)  # pages of 2: three pages
    proc = run_cli("call", "listUsers", "--all", env=cli_env(emu))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(ids)


def test_all_is_refused_for_an_operation_without_pages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--all on an operation that has no pages is a usage error, before any token is asked."""
    assert _cli.main(["call", "getUser", '{"id": "x"}', "--all"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "getUser has none" in err


def test_in_process_call_and_list(env_of: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    """main() called in-process sends the call and prints its answer; --all prints items."""
    make_users(env_of, 3)
    assert _cli.main(["call", "listUsers", "--all"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert _cli.main(["call", "listUsers", "--compact"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert len(page["users"]) == 2
    assert page["meta"]["nextToken"]


def test_unknown_operation_suggests_the_nearest_names(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelled operationId exits 2 with one line naming the closest operations."""
    assert _cli.main(["call", "getUsr", "{}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("botpress: UsageError: unknown operationId 'getUsr'")
    assert "getUser" in captured.err


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": }', "at line 1, column 8"),
        ('{\n  "id": "a",\n}', "at line 3, column 1"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_invalid_json_input_says_where(
    text: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Input that is not a JSON object exits 2 with one line that says where it went wrong."""
    assert _cli.main(["call", "getUser", text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert where in err


def test_a_missing_input_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``@path`` to a file that does not exist exits 2 naming the file."""
    missing = tmp_path / "nope.json"
    assert _cli.main(["call", "getUser", f"@{missing}"]) == 2
    assert "cannot read the input file" in capsys.readouterr().err


def test_api_error_is_one_line_with_status_and_error_id(emu: Emulator) -> None:
    """An error answer exits 1 with one stderr line: class, type, status and error id."""
    proc = run_cli("call", "getUser", '{"id": "user_missing"}', env=cli_env(emu))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    line = proc.stderr.strip()
    assert line.startswith("botpress: ResourceNotFoundError: ResourceNotFound (404)")
    assert "[err_" in line


def test_missing_parameter_is_a_usage_error(
    env_of: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A required parameter left out exits 2 before anything is sent."""
    before = len(env_of.log)
    assert _cli.main(["call", "getUser", "{}"]) == 2
    assert "missing required path parameter 'id'" in capsys.readouterr().err
    assert len(env_of.log) == before


def test_a_token_out_of_reach_is_a_usage_error(
    env_of: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Bot Access Key calling the admin API exits 2 with the ScopeError, nothing sent."""
    assert _cli.main(["call", "listBots"]) == 2
    assert capsys.readouterr().err.startswith("botpress: ScopeError: ")
    assert len(env_of.log) == 0


def test_missing_token_without_a_terminal_fails_at_once() -> None:
    """No BP_TOKEN and no terminal to prompt on: exit 2 with a line naming BP_TOKEN."""
    proc = run_cli("call", "listUsers", env=cli_env(BP_BOT_ID="bot_1"))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "set BP_TOKEN" in proc.stderr


def test_the_token_is_prompted_for_on_a_terminal(
    env_of: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without BP_TOKEN and with a terminal, the token is read from a prompt that hides it."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []

    def getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return env_of.bak

    monkeypatch.delenv("BP_TOKEN")
    monkeypatch.setattr("getpass.getpass", getpass)
    monkeypatch.setattr("sys.stdin", Terminal())
    assert _cli.main(["call", "listUsers"]) == 0
    assert len(asked) == 1
    assert json.loads(capsys.readouterr().out) == {"users": [], "meta": {}}


def test_the_token_is_never_printed(emu: Emulator) -> None:
    """Neither a successful call nor a refused token shows the token on stdout or stderr."""
    ok = run_cli("call", "listUsers", env=cli_env(emu))
    refused = run_cli("call", "listUsers", env=cli_env(emu, BP_TOKEN=FAKE_TOKEN))
    assert ok.returncode == 0
    assert refused.returncode == 1
    assert refused.stderr.startswith("botpress: UnauthorizedError: ")
    for output in (ok.stdout, ok.stderr, refused.stdout, refused.stderr):
        assert emu.bak not in output
        assert FAKE_TOKEN not in output
        assert "x" * 20 not in output


def test_list_prints_every_operation(capsys: pytest.CaptureFixture[str]) -> None:
    """--list prints the 197 operationIds, one per line with its summary, needing no token."""
    assert _cli.main(["call", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert len(names) == 197
    by_name = dict(zip(names, lines, strict=True))
    summary = by_name["getUser"].split(maxsplit=1)[1]
    assert summary == SUMMARIES["getUser"]
