"""``botpress demo``: the three sections against the emulator, or against an API it cleans up."""

from __future__ import annotations

import io
import socket
import sys

import pytest

import botpress_sync
from botpress_async import BulkProgress, ConfigurationError, _progress
from botpress_async.cli import _demo
from botpress_async.cli import _main as _cli
from botpress_async.testing import Emulator
from tests.cli.helpers import cli_env, run_cli


@pytest.fixture
def as_real_api(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> Emulator:
    """BP_ variables set as for the real API, pointing at an emulator the test can inspect."""
    monkeypatch.delenv("BP_WORKSPACE_ID", raising=False)
    monkeypatch.setenv("BP_TOKEN", emu.bak)
    monkeypatch.setenv("BP_BOT_ID", emu.bot_id)
    monkeypatch.setenv("BP_API_URL", emu.url)
    return emu


def tables_and_files(emu: Emulator) -> tuple[list[str], list[str]]:
    """The names of the emulator's tables and the keys of its files."""
    with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        tables = [t.name for t in client.tables.list_tables().tables]
        files = [f.key for f in client.files.list_files()]
    return tables, files


def test_demo_end_to_end_on_the_embedded_emulator() -> None:
    """With no token, the demo runs every section on its own emulator and exits 0."""
    proc = run_cli("demo", "--rows", "300", "--files", "10", env=cli_env(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for heading in (
        "== 1. An async service flow: botpress_async.AsyncClient ==",
        "== 2. The same from blocking code: botpress_sync.Client ==",
        "== 3. A bulk job: 300 table rows and 10 files ==",
        "== Summary ==",
    ):
        assert heading in out
    assert "the embedded emulator at http://127.0.0.1:" in out
    assert "listed back 3: 'hello', 'how are you?', 'goodbye'" in out
    assert "300 inserted, 0 updated, 0 failed" in out
    summary = out.split("== Summary ==")[1]
    assert "rows/s" in summary
    assert "files/s" in summary
    assert "MB/s" in summary
    assert "retries" in summary
    assert "failed items       0 rows, 0 files" in summary
    assert "failed steps       0 of 3" in summary
    assert "all 3 steps passed" in summary
    # Not a terminal: no progress bar is drawn, and nothing else goes to stderr.
    assert proc.stderr == ""


def test_demo_on_an_api_removes_what_it_made(as_real_api: Emulator) -> None:
    """With BP_TOKEN, the demo uses BP_API_URL and deletes its table and files at the end."""
    out = io.StringIO()
    assert _demo.run(rows=40, files=3, progress=False, out=out) == 0
    text = out.getvalue()
    assert f"bot {as_real_api.bot_id} at {as_real_api.url}" in text
    assert "and 3 files deleted" in text
    assert tables_and_files(as_real_api) == ([], [])


def test_demo_keep_leaves_the_table_and_files(as_real_api: Emulator) -> None:
    """--keep leaves the table and the files in place and says so."""
    out = io.StringIO()
    assert _demo.run(rows=5, files=2, progress=False, keep=True, out=out) == 0
    tables, files = tables_and_files(as_real_api)
    assert len(tables) == 1
    assert tables[0].startswith("botpressDemo")
    assert len(files) == 2
    assert "(--keep)" in out.getvalue()


def test_demo_survives_injected_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """With 429s injected into a share of requests, every step still succeeds after retries."""
    monkeypatch.delenv("BP_TOKEN", raising=False)
    out = io.StringIO()
    assert _demo.run(rows=200, files=5, progress=False, faults=0.2, out=out) == 0
    text = out.getvalue()
    assert "20% of requests answered 429" in text
    retries_line = next(line for line in text.splitlines() if "retries" in line)
    assert not retries_line.split()[1].startswith("0")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BP_TOKEN": "bp_bak_" + "x" * 30}, "BP_BOT_ID"),
        ({"BP_TOKEN": "bp_pat_" + "x" * 30, "BP_BOT_ID": "bot_1"}, "BP_WORKSPACE_ID"),
    ],
    ids=["bot id", "workspace id for a PAT"],
)
def test_missing_ids_with_a_token_exit_2_before_sending(
    env: dict[str, str],
    variable: str,
    emu: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A token without the ids it needs: one line naming the variable, exit 2, nothing sent."""
    for name in ("BP_TOKEN", "BP_BOT_ID", "BP_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**env, "BP_API_URL": emu.url}.items():
        monkeypatch.setenv(name, value)
    assert _cli.main(["demo"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"botpress: ConfigurationError: {variable} is not set")
    assert "x" * 20 not in captured.err
    assert len(emu.log) == 0


def test_resolve_target_reads_the_environment() -> None:
    """No token means the emulator; a token brings its ids, and --api-url wins over BP_API_URL."""
    assert _demo.resolve_target({}, None) is None
    env = {"BP_TOKEN": "bp_bak_" + "x" * 30, "BP_BOT_ID": "bot_1", "BP_API_URL": "https://a.test"}
    target = _demo.resolve_target(env, None)
    assert target is not None
    assert (target.api_url, target.bot_id) == ("https://a.test", "bot_1")
    assert "x" * 20 not in repr(target)
    assert _demo.resolve_target(env, "https://b.test").api_url == "https://b.test"  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match="BP_BOT_ID"):
        _demo.resolve_target({"BP_TOKEN": "t"}, None)


def test_no_progress_bar_and_no_crash_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without tqdm installed, asking for a bar gives none instead of failing."""
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes ``import tqdm`` raise ImportError
    assert _demo.progress_bar(10, "row", 1, enabled=True) is None
    assert _demo.progress_bar(10, "row", 1, enabled=False) is None


def test_bulk_summary_lines() -> None:
    """The summary gives rows/s, files/s, MB/s, retries and failures from the job's numbers."""
    numbers = _demo.BulkNumbers(
        rows=5000, rows_elapsed=2.0, files=100, files_bytes=4_000_000, files_elapsed=0.5
    )
    summary = dict(_demo.bulk_summary(numbers, retries=3))
    assert summary["rows"] == "5,000 in 2.00 s = 2,500 rows/s"
    assert summary["files"] == "100 (4.0 MB) in 0.50 s = 200 files/s, 8.0 MB/s"
    assert summary["retries"].startswith("3 ")
    assert summary["failed items"] == "0 rows, 0 files"
    empty = dict(_demo.bulk_summary(_demo.BulkNumbers(), retries=0))
    assert empty["rows"] == "0 in 0.00 s = - rows/s"
    some_failed = _demo.BulkNumbers(rows=900, rows_failed=1500, files=7, files_failed=3)
    assert dict(_demo.bulk_summary(some_failed, retries=0))["failed items"] == (
        "1,500 rows, 3 files"
    )


def test_bulk_summary_of_a_job_that_stopped_shows_no_zeros() -> None:
    """A bulk job that stopped on an error reports its numbers as unknown, not as zero."""
    summary = dict(_demo.bulk_summary(_demo.BulkNumbers(), retries=4, finished=False))
    assert summary["retries"].startswith("4 ")
    for label in ("rows", "files", "failed items"):
        assert summary[label].startswith("- ")
        assert "0" not in summary[label]


def test_unreachable_api_summary_does_not_contradict_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the API unreachable every step fails, and no summary line says nothing failed."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        monkeypatch.setenv("BP_TOKEN", "bp_bak_" + "x" * 40)
        monkeypatch.setenv("BP_BOT_ID", "bot_demo")
        monkeypatch.delenv("BP_WORKSPACE_ID", raising=False)
        monkeypatch.setenv("BP_API_URL", f"http://127.0.0.1:{closed.getsockname()[1]}")
        out = io.StringIO()
        assert _demo.run(rows=10, files=2, progress=False, out=out) == 1
    summary = {
        line[2:20].strip(): line[21:]
        for line in out.getvalue().split("== Summary ==")[1].splitlines()
        if line.strip()
    }
    assert summary["failed steps"] == "3 of 3"
    assert summary["failed items"].startswith("- ")
    assert summary["result"].startswith("FAILED")
    assert "failures" not in summary


def test_bar_width_falls_back_when_the_terminal_is_narrow_or_silent() -> None:
    """Progress bars follow a terminal of 40 columns or more, else are drawn 80 wide."""
    assert _progress.bar_columns(120) is None
    assert _progress.bar_columns(40) is None
    assert _progress.bar_columns(39) == 80
    assert _progress.bar_columns(0) == 80


def test_a_bar_on_a_stream_without_a_width_is_drawn_80_wide() -> None:
    """On a stream with no terminal width the bar is drawn at 80 columns, filled as it goes."""
    pytest.importorskip("tqdm")
    stream = io.StringIO()
    update = _progress.progress_bar(
        10, unit="row", stream=stream, force=True, label="  rows", details=False
    )
    assert update is not None
    update(BulkProgress(done=5, failed=0, in_flight=2, concurrency=4, elapsed=1.0))
    update(BulkProgress(done=10, failed=0, in_flight=0, concurrency=4, elapsed=2.0, final=True))
    frames = [frame.rstrip("\n") for frame in stream.getvalue().split("\r") if frame]
    assert frames
    assert all(len(frame) == 80 for frame in frames)
    assert frames[-1].startswith("  rows: 100%|")
    assert "##########" in frames[-1]


@pytest.mark.parametrize("argv", [["demo"], ["emulator"]])
def test_without_jsonschema_one_line_says_what_to_install(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the emulator's jsonschema missing, the demo and the emulator exit 2 in one line."""
    monkeypatch.delenv("BP_TOKEN", raising=False)
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # makes ``import jsonschema`` fail
    assert _cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "pip install '.[testing]'" in captured.err
