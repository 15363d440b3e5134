"""Usage errors and hints: options anywhere, one line naming the help, advice in CLI terms."""

from __future__ import annotations

import json

import pytest

from botpress_async import ConfigurationError
from botpress_async._base_client import _missing_context
from botpress_async.cli import _main as _cli
from botpress_async.testing import Emulator
from tests.cli.helpers import cli_env, run_cli

#: What a Python caller is told to pass; the command line has no such arguments.
PYTHON_ADVICE = (
    "extra_headers",
    "extra_query",
    "extra_body",
    "bot_id=",
    "workspace_id=",
    "integration_id=",
    "the client",
)


@pytest.mark.parametrize(
    "argv",
    [
        ["call", "listUsers", "--compact", "{}"],
        ["call", "--compact", "listUsers", "{}"],
        ["call", "listUsers", "{}", "--compact"],
        ["call", "listUsers", "--timeout", "30", "{}", "--compact"],
    ],
    ids=["between", "before", "after", "valued-option-between"],
)
def test_options_go_anywhere_around_the_positionals(
    argv: list[str], env_of: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """Options are taken before, between or after OPERATION_ID and INPUT alike."""
    assert _cli.main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("\n") == 1
    assert json.loads(captured.out) == {"users": [], "meta": {}}


def test_all_between_the_operation_and_its_input(
    env_of: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """--all between OPERATION_ID and INPUT is read as --all: pages walked, or refused by name."""
    assert _cli.main(["call", "listUsers", "--all", "{}"]) == 0
    assert capsys.readouterr().out == ""  # no users yet: no lines
    assert _cli.main(["call", "getUser", "--all", '{"id": "x"}']) == 2
    err = capsys.readouterr().err
    assert "getUser has none" in err
    assert "unrecognized" not in err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["call", "getUser", "{}", "extra"], "botpress call --help"),
        (["call", "--bogus"], "botpress call --help"),
        (["call", "listUsers", "--timeout", "0"], "botpress call --help"),
        (["call", "listUsers", "--token-kind", "nope"], "botpress call --help"),
        (["call"], "botpress call --help"),
        (["call", "getUsr"], "botpress call --help"),
        (["demo", "--rows", "x"], "botpress demo --help"),
        (["demo", "--rows", "-1"], "botpress demo --help"),
        (["demo", "--bogus"], "botpress demo --help"),
        (["nope"], "botpress --help"),
        (["--bogus"], "botpress --help"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A usage error exits 2 with one stderr line that names the command's help, no usage dump."""
    assert _cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("botpress: UsageError: ")
    assert captured.err.endswith(f"(see '{hint}')\n")
    assert "usage:" not in captured.err


def test_missing_bot_id_names_the_option_and_the_variable(emu: Emulator) -> None:
    """With BP_BOT_ID empty, the error names --bot-id and BP_BOT_ID, not Python arguments."""
    proc = run_cli("call", "getUser", '{"id": "x"}', env=cli_env(emu, BP_BOT_ID=""))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    line = proc.stderr.strip()
    assert line.startswith("botpress: ConfigurationError: GET /v1/chat/users/x needs a bot id")
    assert "pass --bot-id or set BP_BOT_ID" in line
    assert line.endswith("(see 'botpress call --help')")
    for advice in PYTHON_ADVICE:
        assert advice not in line
    assert len(emu.log) == 0


def test_missing_workspace_id_names_the_option_and_the_variable(
    env_of: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PAT without BP_WORKSPACE_ID calling the admin API is told --workspace-id, nothing sent."""
    monkeypatch.setenv("BP_TOKEN", env_of.pat)
    assert _cli.main(["call", "listBots"]) == 2
    err = capsys.readouterr().err
    assert "pass --workspace-id or set BP_WORKSPACE_ID" in err
    for advice in PYTHON_ADVICE:
        assert advice not in err
    assert len(env_of.log) == 0


def test_an_unknown_field_is_not_told_to_use_extra_body(
    env_of: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown input field is named with the known ones, without the extra_body advice."""
    assert _cli.main(["call", "getUser", '{"id": "x", "zz": 1}']) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) 'zz' (known: 'id')" in err
    for advice in PYTHON_ADVICE:
        assert advice not in err


def test_a_scope_error_points_to_token_kind_option(
    env_of: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token that cannot reach the API is told about --token-kind, not token_kind=."""
    assert _cli.main(["call", "listBots"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("botpress: ScopeError: ")
    assert "--token-kind" in err
    assert "token_kind" not in err


@pytest.mark.parametrize(
    ("header", "advice"),
    [
        ("x-bot-id", "pass --bot-id or set BP_BOT_ID"),
        ("x-workspace-id", "pass --workspace-id or set BP_WORKSPACE_ID"),
        ("x-integration-id", "pass --integration-id or set BP_INTEGRATION_ID"),
        ("x-integration-alias", "the command line has no option for it"),
    ],
)
def test_every_missing_context_header_is_told_in_cli_terms(header: str, advice: str) -> None:
    """The client's missing-context error for each context header becomes the CLI's advice."""
    message = _cli.cli_message(_missing_context(header, "GET", "/v1/x"))
    assert message.startswith("GET /v1/x needs a ")
    assert message.endswith(f"(sent as {header}): {advice}")
    for python in PYTHON_ADVICE:
        assert python not in message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ConfigurationError(
                "api_url must not carry credentials",
                fix="pass token= instead",
                argument="api_url",
                env_var="BP_API_URL",
            ),
            "--api-url / BP_API_URL must not carry credentials",
        ),
        (
            ConfigurationError(
                "api_url 'http://a.example' is plain http to a non-loopback host, which would "
                "send the token unencrypted; use https",
                fix="or pass allow_insecure_http=True if you really mean it",
                argument="api_url",
            ),
            "--api-url / BP_API_URL 'http://a.example' is plain http to a non-loopback host, "
            "which would send the token unencrypted; use https",
        ),
        (
            ConfigurationError("bot_id is empty; leave it out", argument="bot_id"),
            "--bot-id / BP_BOT_ID is empty; leave it out",
        ),
        (
            ConfigurationError("no token", fix="pass token=", argument="token", env_var="BP_TOKEN"),
            "no token; set BP_TOKEN",
        ),
        (
            ConfigurationError("getUser needs the x-user-key header", fix="pass it", header="x-k"),
            "getUser needs the x-user-key header; give it in the INPUT object",
        ),
        (
            ConfigurationError("the thing failed", fix="pass extra_body={'a': 1}"),
            "the thing failed",
        ),
        (ConfigurationError("nothing to retell"), "nothing to retell"),
    ],
)
def test_python_advice_is_retold_or_dropped(error: ConfigurationError, expected: str) -> None:
    """The advice is built from the error's fields: options and variables, never Python."""
    assert _cli.cli_message(error) == expected
