"""Fixtures of the distributed tests: an emulator, specs that read its token, a redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from botpress_async.distributed import ClientSpec
from botpress_async.testing import Emulator

SCHEMA = {"properties": {"sku": {"type": "string"}, "qty": {"type": "number"}}}
TOKEN_ENV = "BP_TEST_DISTRIBUTED_TOKEN"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_spec(emu: Emulator, **options: object) -> ClientSpec:
    """A spec for the emulator's bot whose token the worker reads from TOKEN_ENV."""
    defaults: dict[str, object] = {
        "token_from": f"env:{TOKEN_ENV}",
        "bot_id": emu.bot_id,
        "api_url": emu.url,
        "initial_retry_delay": 0.001,
        "max_retry_delay": 0.01,
    }
    defaults.update(options)
    return ClientSpec(**defaults)  # type: ignore[arg-type]


@pytest.fixture
async def emu(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Emulator]:
    """A fresh emulator in the test's loop, its bot key in TOKEN_ENV, and a StockTable."""
    async with Emulator(seed=16) as emulator:
        monkeypatch.setenv(TOKEN_ENV, emulator.bak)
        await _make_table(emulator)
        yield emulator


async def _make_table(emulator: Emulator) -> None:
    from botpress_async import AsyncClient

    async with AsyncClient(emulator.bak, bot_id=emulator.bot_id, api_url=emulator.url) as c:
        await c.tables.get_or_create_table(table="StockTable", schema=SCHEMA, key_column="sku")


@pytest.fixture
def threaded_emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator on its own thread, for blocking code and Dask workers."""
    import asyncio

    emulator = Emulator(seed=16)
    with emulator.run_in_thread():
        monkeypatch.setenv(TOKEN_ENV, emulator.bak)
        asyncio.run(_make_table(emulator))
        yield emulator


class RedisServer:
    """A redis-server process of one test module, on a free port of 127.0.0.1."""

    def __init__(self, binary: str) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        # No persistence: nothing is written to disk, nothing survives the test.
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        """Whether the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server (Debian's package) started for the module and stopped after it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "redis-server is not installed (CI installs it: .ci/run runs apt-get install "
            "redis-server when it is missing); install it to run the Redis coordinator tests"
        )
    pytest.importorskip("redis", reason="the redis package is missing: pip install -e '.[dev]'")
    server = RedisServer(binary)
    try:
        yield server
    finally:
        server.stop()
