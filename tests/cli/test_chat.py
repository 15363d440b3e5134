"""``botpress chat``: lines typed go to the bot, its replies are printed."""

from __future__ import annotations

from .helpers import cli_env, run_cli


def test_chat_with_the_emulator_echo_bot() -> None:
    """Each line piped in comes back from the emulator's echo bot, in order."""
    done = run_cli("chat", "--emulator", env=cli_env(), stdin="hello bot\nsecond line\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("connected as ")
    assert lines[1:] == ["bot> hello bot", "bot> second line"]


def test_chat_needs_a_webhook_id() -> None:
    """Without a webhook id the command fails with a usage status and names the variable."""
    done = run_cli("chat", env=cli_env(), stdin="")
    assert done.returncode == 2
    assert "BP_CHAT_WEBHOOK_ID" in done.stderr
