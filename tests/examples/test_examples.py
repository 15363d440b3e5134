"""The runnable examples of docs/examples work against the emulator, as a user would run them."""

from __future__ import annotations

import importlib.util
import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import botpress_sync
from botpress_async.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "docs" / "examples"


def example_env(emu: Emulator, token: str | None = None) -> dict[str, str]:
    """The environment a user would set, pointed at ``emu``, with no other BP_ variable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BP_")}
    env.update(BP_TOKEN=token or emu.bak, BP_BOT_ID=emu.bot_id, BP_API_URL=emu.url)
    return env


def run_example(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one example script to completion with warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator in a thread, with small pages so that the examples walk several."""
    with Emulator(seed=5, page_size=3).run_in_thread() as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[botpress_sync.Client]:
    """A blocking client of the emulator, to prepare state and to check what the examples did."""
    with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
        yield c


# --- bulk_import.py ------------------------------------------------------------------------


def make_folder(root: Path) -> dict[str, bytes]:
    """Write a small folder of files, nested, and return the keys the import should give them."""
    contents = {
        "readme.txt": b"plain text\n",
        "data/prices.csv": b"sku,price\na,1\n",
        "data/blob.bin": bytes(range(256)) * 40,
    }
    for name, data in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {"imports/" + name: data for name, data in contents.items()}


def test_bulk_import_writes_rows_and_files(
    emu: Emulator, client: botpress_sync.Client, tmp_path: Path
) -> None:
    """The import creates the table, upserts every generated row and uploads every file."""
    expected = make_folder(tmp_path / "files")

    done = run_example(
        "bulk_import.py",
        "--rows",
        "2500",
        "--files-dir",
        str(tmp_path / "files"),
        env=example_env(emu),
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # stderr is a pipe, not a terminal: no progress bars
    assert "rows: 2500 inserted, 0 updated, 0 failed, 0 not sent" in done.stdout
    assert "files: 3 uploaded, 0 failed, 0 not run" in done.stdout
    assert client.tables.get_table(table="ordersTable").rows == 2500
    found = client.tables.find_table_rows(table="ordersTable", filter={"orderId": "order-001234"})
    assert [row.to_dict()["orderId"] for row in found.rows] == ["order-001234"]
    files = client.files.list_files(tags={"source": "bulk-import"}).collect()
    assert sorted(f.key for f in files) == sorted(expected)
    blob = next(f for f in files if f.key == "imports/data/blob.bin")
    assert client.files.download(blob.id) == expected["imports/data/blob.bin"]


def test_bulk_import_again_updates_instead_of_duplicating(
    emu: Emulator, client: botpress_sync.Client
) -> None:
    """A second run upserts the same keys: every row is updated and the count stays."""
    first = run_example("bulk_import.py", "--rows", "1200", env=example_env(emu))
    assert first.returncode == 0, first.stderr

    second = run_example("bulk_import.py", "--rows", "1200", env=example_env(emu))

    assert second.returncode == 0, second.stderr
    assert "rows: 0 inserted, 1200 updated, 0 failed" in second.stdout
    assert "files:" not in second.stdout  # no --files-dir, no upload job
    assert client.tables.get_table(table="ordersTable").rows == 1200


def test_bulk_import_rides_out_rate_limits(emu: Emulator, client: botpress_sync.Client) -> None:
    """Rate-limited upserts are retried by the job and counted in its summary."""
    emu.faults.add("rate_limit", operation="upsertTableRows", times=2, retry_after=0.01)

    done = run_example("bulk_import.py", "--rows", "3000", env=example_env(emu))

    assert done.returncode == 0, done.stderr
    assert "rows: 3000 inserted" in done.stdout
    assert "2 throttled" in done.stdout
    assert len(emu.log.processed("upsertTableRows")) == 3
    assert client.tables.get_table(table="ordersTable").rows == 3000


def read_all(fd: int, timeout: float = 60.0) -> bytes:
    """Read a pseudo-terminal until every writer has closed it, for at most ``timeout`` s."""
    chunks = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the writer side is gone
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


@pytest.mark.skipif(
    sys.platform == "win32" or importlib.util.find_spec("tqdm") is None,
    reason="needs a pseudo-terminal and tqdm",
)
def test_bulk_import_draws_bars_with_totals_on_a_terminal(emu: Emulator, tmp_path: Path) -> None:
    """On a terminal the rows bar counts up to the generated CSV's size, the files bar to theirs."""
    import fcntl
    import pty
    import struct
    import termios

    make_folder(tmp_path / "files")
    command = [sys.executable, "-W", "error", str(EXAMPLES / "bulk_import.py"), "--rows", "1500"]
    command += ["--files-dir", str(tmp_path / "files")]
    leader, follower = pty.openpty()
    # A pseudo-terminal starts 0 columns wide, where tqdm draws nothing.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    try:
        with subprocess.Popen(
            command,
            env=example_env(emu),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=follower,
        ) as proc:
            os.close(follower)
            follower = -1
            drawn = read_all(leader).decode()
            proc.wait(timeout=60)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)

    assert proc.returncode == 0, drawn
    assert "1500/1500" in drawn, drawn[-500:]
    assert "3/3" in drawn


# --- blocking_script.py --------------------------------------------------------------------


def seed_conversations(client: botpress_sync.Client, sizes: list[int]) -> None:
    """Make one conversation per size, holding that many messages from one user."""
    user = client.runtime.create_user(tags={}).user
    for n, size in enumerate(sizes):
        conv = client.runtime.create_conversation(channel=f"chan{n}", tags={}).conversation
        for i in range(size):
            client.runtime.create_message(
                user_id=user.id,
                conversation_id=conv.id,
                type="text",
                payload={"text": str(i)},
                tags={},
            )


def test_blocking_script_reports_every_conversation(
    emu: Emulator, client: botpress_sync.Client
) -> None:
    """The report counts each conversation's messages over several pages and records its run."""
    seed_conversations(client, [1, 4, 7, 0])

    first = run_example("blocking_script.py", "--workers", "4", env=example_env(emu))

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("previous run: never\n")
    assert "4 conversations, 12 messages" in first.stdout
    counts = sorted(int(line.split()[2]) for line in first.stdout.splitlines() if "chan" in line)
    assert counts == [0, 1, 4, 7]
    state = client.runtime.get_state(type="bot", id=emu.bot_id, name="conversationReport").state
    assert state.payload is not None
    last_run = state.payload["lastRun"]

    second = run_example("blocking_script.py", "--limit", "2", env=example_env(emu))

    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"previous run: {last_run}\n")
    assert "2 conversations," in second.stdout


def test_blocking_script_explains_a_refused_token(emu: Emulator) -> None:
    """An unknown token ends the script with a one-line explanation that does not show it."""
    token = "bp_bak_" + "x" * 40

    done = run_example("blocking_script.py", env=example_env(emu, token=token))

    assert done.returncode == 1
    assert done.stderr.strip() == "the token was refused: check BP_TOKEN"
    assert token not in done.stdout + done.stderr


# --- async_service.py ----------------------------------------------------------------------


def load_make_app() -> Callable[[], web.Application]:
    """Import ``make_app`` from the example file, which is not part of a package."""
    spec = importlib.util.spec_from_file_location("async_service", EXAMPLES / "async_service.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    make_app: Callable[[], web.Application] = module.make_app
    return make_app


@pytest.fixture
async def async_emu() -> AsyncIterator[Emulator]:
    """A fresh emulator in the test's own event loop."""
    async with Emulator(seed=9, page_size=2) as emulator:
        yield emulator


@pytest.fixture
async def service(
    async_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """The example app served on 127.0.0.1, configured from the environment, and an HTTP client."""
    for key, value in example_env(async_emu).items():
        if key.startswith("BP_"):
            monkeypatch.setenv(key, value)
    runner = web.AppRunner(load_make_app()())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    addresses: list[Any] = runner.addresses
    base = f"http://127.0.0.1:{addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            yield session, base
    finally:
        await runner.cleanup()


@pytest.mark.anyio
async def test_service_sends_and_lists_messages(
    service: tuple[aiohttp.ClientSession, str], async_emu: Emulator
) -> None:
    """Messages posted for one handle land in one user's conversation and are listed in order."""
    session, base = service
    answers = []
    for handle, text in [("alice", "one"), ("bob", "hi"), ("alice", "two"), ("alice", "three")]:
        async with session.post(f"{base}/messages/{handle}", json={"text": text}) as resp:
            assert resp.status == 201
            answers.append(await resp.json())

    alice = [a for a, h in zip(answers, "abaa", strict=True) if h == "a"]
    assert len({a["conversation_id"] for a in alice}) == 1
    assert len({a["user_id"] for a in alice}) == 1
    assert answers[1]["conversation_id"] != alice[0]["conversation_id"]
    async with session.get(f"{base}/conversations/{alice[0]['conversation_id']}/messages") as resp:
        assert resp.status == 200
        listed = (await resp.json())["messages"]
    assert [m["text"] for m in listed] == ["one", "two", "three"]
    # Three messages at two per page: the service walked both pages.
    assert len(async_emu.log.for_operation("listMessages")) == 2


@pytest.mark.anyio
async def test_service_maps_sdk_errors_to_http(
    service: tuple[aiohttp.ClientSession, str], async_emu: Emulator
) -> None:
    """An unknown conversation is a 404, a bad body a 400, a persistent rate limit a 503."""
    session, base = service
    async with session.get(f"{base}/conversations/conv_unknown/messages") as resp:
        assert resp.status == 404
        assert "conv_unknown" in (await resp.json())["error"]
    async with session.post(f"{base}/messages/alice", data=b"not json") as resp:
        assert resp.status == 400
    assert async_emu.log.for_operation("getOrCreateUser") == []

    async_emu.faults.add("rate_limit", operation="getOrCreateUser", retry_after=0.01)
    async with session.post(f"{base}/messages/alice", json={"text": "hi"}) as resp:
        assert resp.status == 503
        assert resp.headers["Retry-After"].isdigit()
    assert async_emu.log.processed("getOrCreateUser") == []


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_service_runs_as_a_script(emu: Emulator, client: botpress_sync.Client) -> None:
    """``python async_service.py --port N`` serves the app until it is stopped."""
    port = free_port()
    command = [
        sys.executable,
        "-W",
        "error",
        str(EXAMPLES / "async_service.py"),
        "--port",
        str(port),
    ]
    with subprocess.Popen(
        command,
        env=example_env(emu),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            status = None
            # Bounded wait for the server to listen: 100 tries over at most ~10 s.
            for _ in range(100):
                try:
                    status = post_json(f"http://127.0.0.1:{port}/messages/zoe", {"text": "hey"})
                    break
                except OSError:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.1)
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=10)
    assert status == 201, stderr
    conversations = client.runtime.list_conversations(tags={"handle": "zoe"}).collect()
    assert len(conversations) == 1
    messages = client.runtime.list_messages(conversation_id=conversations[0].id).collect()
    assert [m.payload["text"] for m in messages] == ["hey"]


def post_json(url: str, body: dict[str, str]) -> int:
    """POST a JSON body with the standard library and return the status (OSError: no server)."""
    request = urllib.request.Request(  # noqa: S310 - a loopback URL the test made
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback
            status: int = resp.status
    except urllib.error.HTTPError as exc:  # an answer, not a missing server
        status = exc.code
        exc.close()
    return status


# --- test_with_emulator.py -----------------------------------------------------------------


def test_user_test_suite_passes() -> None:
    """The example test suite passes under pytest, using the plugin's emulator fixture."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BP_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(EXAMPLES / "test_with_emulator.py"),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


# --- test_chat_bot.py ----------------------------------------------------------------------


def test_chat_bot_suite_passes() -> None:
    """The example suite that checks a bot's answers with ask() passes against the echo bot."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BP_")}
    suite = str(EXAMPLES / "test_chat_bot.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", suite, "-q", "-p", "no:cacheprovider"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
