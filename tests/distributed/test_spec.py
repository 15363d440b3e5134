"""ClientSpec: no token in any pickle, clear refusals, token sources, one client per worker."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import re
from pathlib import Path

import pytest

import botpress_sync
from botpress_async import AsyncClient, ConfigurationError
from botpress_async.distributed import (
    ClientPicklingError,
    ClientSpec,
    LocalCoordinator,
    RedisCoordinator,
    TokenSourceError,
    close_worker_clients,
)
from botpress_async.testing import Emulator

from .conftest import TOKEN_ENV, make_spec

FAKE = "bp_pat_" + "x" * 40


def token_for_tests() -> str:
    """A token source for ``call:`` specs."""
    return os.environ[TOKEN_ENV]


def no_token() -> None:
    """A token source that gives nothing."""


def test_spec_pickles_without_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spec and its coordinator travel as names and options; the token is in no byte."""
    monkeypatch.setenv(TOKEN_ENV, FAKE)
    spec = ClientSpec(
        token_from=f"env:{TOKEN_ENV}",
        bot_id="bot-1",
        api_url="http://127.0.0.1:1",
        coordinator=RedisCoordinator(url="redis://:hunter2@127.0.0.1:1/0", rate=5),
    )
    client = spec.client()
    try:
        assert client._config.token == FAKE  # the worker's client has it
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            data = pickle.dumps(spec, protocol=protocol)
            assert FAKE.encode() not in data
            assert b"xxxxxxxxxx" not in data
            assert pickle.loads(data) == spec  # noqa: S301 - our own bytes
        assert FAKE not in repr(spec)
        assert "hunter2" not in repr(spec)
    finally:
        asyncio.run(client.aclose())
    assert hash(pickle.loads(pickle.dumps(spec))) == hash(spec)  # noqa: S301


def test_a_literal_token_is_refused_with_the_way_to_pass_it() -> None:
    """token= and a token given as the source are refused, naming the token sources."""
    with pytest.raises(ConfigurationError, match=r"token_from='env:BP_TOKEN'") as caught:
        ClientSpec(token=FAKE)  # type: ignore[call-arg]
    assert FAKE not in str(caught.value)
    with pytest.raises(ConfigurationError, match="does not take a token") as caught:
        ClientSpec(token_from=FAKE)
    assert FAKE not in str(caught.value)
    with pytest.raises(ConfigurationError, match="'env:', 'file:' or 'call:'"):
        ClientSpec(token_from="vault")
    with pytest.raises(ConfigurationError, match=r"package\.module:function"):
        ClientSpec(token_from="call:not a path")
    with pytest.raises(ConfigurationError, match="unknown arguments"):
        ClientSpec(bot="x")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        ClientSpec(max_concurrency=0)
    with pytest.raises(ConfigurationError, match="rate"):
        LocalCoordinator(rate=0)


def test_pickling_a_client_points_to_the_spec() -> None:
    """AsyncClient and botpress_sync.Client refuse pickling with an error naming ClientSpec."""
    client = AsyncClient(FAKE, api_url="http://127.0.0.1:1")
    with pytest.raises(ClientPicklingError, match="ClientSpec") as caught:
        pickle.dumps(client)
    assert isinstance(caught.value, TypeError)
    assert FAKE not in str(caught.value)
    with (
        botpress_sync.Client(FAKE, api_url="http://127.0.0.1:1") as blocking,
        pytest.raises(ClientPicklingError, match="worker_sync_client"),
    ):
        pickle.dumps(blocking)


@pytest.mark.anyio
async def test_token_sources(emu: Emulator, tmp_path: Path) -> None:
    """env:, file: and call: sources each give the worker a client that works."""
    secret = tmp_path / "token"
    secret.write_text(emu.bak + "\n")
    sources = [f"env:{TOKEN_ENV}", f"file:{secret}", f"call:{__name__}:token_for_tests"]
    for source in sources:
        async with make_spec(emu, token_from=source).client() as client:
            table = await client.tables.get_table(table="StockTable")
            assert table.table.name == "StockTable"


def test_a_missing_token_source_names_the_source(tmp_path: Path) -> None:
    """Each kind of source that gives nothing raises TokenSourceError naming it."""
    missing = [
        ("env:BP_TEST_NOT_SET_ANYWHERE", "is not set"),
        (f"file:{tmp_path / 'absent'}", "cannot be read"),
        (f"file:{tmp_path / 'a'}\0b", "cannot be read"),
        ("call:tests.distributed.nowhere:token", "cannot be imported"),
        (f"call:{__name__}:FAKE", "raised TypeError"),
        (f"call:{__name__}:no_token", "returned NoneType"),
    ]
    for source, reason in missing:
        spec = ClientSpec(token_from=source, bot_id="b", api_url="http://127.0.0.1:1")
        with pytest.raises(TokenSourceError, match=reason) as caught:
            spec.client()
        assert repr(source)[1:-1] in str(caught.value)


def test_a_spec_refuses_what_its_workers_could_not_use(tmp_path: Path) -> None:
    """A timeout no client takes and a checkpoint path sqlite cannot open are refused where
    the spec and the checkpoint are made, not in a worker."""
    from botpress_async.distributed import Checkpoint

    with pytest.raises(ConfigurationError, match="timeout must be a number"):
        ClientSpec(timeout=[1])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="NUL character"):
        Checkpoint(f"{tmp_path}/a\0b")
    assert hash(ClientSpec(timeout=5)) == hash(ClientSpec(timeout=5))


def test_worker_client_is_one_per_process_and_loop(threaded_emu: Emulator) -> None:
    """Same loop: same client; another loop: another client; closing empties the cache."""
    spec = make_spec(threaded_emu)

    async def twice() -> tuple[AsyncClient, AsyncClient]:
        first, second = spec.worker_client(), spec.worker_client()
        await first.tables.get_table(table="StockTable")
        await close_worker_clients()
        assert first.is_closed
        return first, second

    a1, a2 = asyncio.run(twice())
    b1, _ = asyncio.run(twice())
    assert a1 is a2
    assert b1 is not a1


def _child(spec: ClientSpec, parent_ids: tuple[int, int], done: multiprocessing.Queue[str]) -> None:
    client = spec.worker_sync_client()
    fresh = (id(client), id(client._async)) != parent_ids or client._pid == os.getpid()
    client.tables.get_table(table="StockTable")
    done.put("ok" if fresh else "reused the parent's client")


def test_worker_sync_client_is_rebuilt_after_fork(threaded_emu: Emulator) -> None:
    """A forked worker makes its own client (and pool) and can call the API with it."""
    spec = make_spec(threaded_emu)
    parent = spec.worker_sync_client()
    parent.tables.get_table(table="StockTable")
    ctx = multiprocessing.get_context("fork")
    done: multiprocessing.Queue[str] = ctx.Queue()
    proc = ctx.Process(target=_child, args=(spec, (id(parent), id(parent._async)), done))
    proc.start()
    try:
        assert done.get(timeout=30) == "ok"
    finally:
        proc.join(30)
    assert proc.exitcode == 0
    assert spec.worker_sync_client() is parent
    parent.tables.get_table(table="StockTable")  # the parent's pool is untouched by the child


_AT_EXIT = """
import sys
from botpress_async.distributed import ClientSpec, insert_rows_partition, _spec

spec = ClientSpec(token_from="env:{env}", bot_id=sys.argv[1], api_url=sys.argv[2])
summary = insert_rows_partition(spec, "StockTable", [{{"sku": "exit", "qty": 1}}])
assert summary.ok, summary
client = next(iter(_spec._current.async_clients.values()))[1]
print("open" if not client.is_closed else "closed", flush=True)
"""


def test_worker_clients_are_closed_quietly_at_exit(threaded_emu: Emulator) -> None:
    """A worker that never closes its client exits without a warning or a traceback."""
    import subprocess
    import sys

    code = _AT_EXIT.format(env=TOKEN_ENV)
    out = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-X",
            "dev",
            "-c",
            code,
            threaded_emu.bot_id,
            threaded_emu.url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "open", out.stderr
    # Dev mode turns on asyncio's debug mode, which logs any step slower than 100 ms; on a
    # loaded machine the first request's steps are. That timing note is not a warning.
    slow_step = re.compile(r"Executing <.*> took \d+\.\d+ seconds")
    left = [line for line in out.stderr.splitlines() if line and not slow_step.fullmatch(line)]
    assert left == [], out.stderr
