"""Instruction counts per request under valgrind's callgrind: repeatable on a shared machine.

CPU time on a busy two-core machine drifts by tens of percent between runs; the number of
instructions a request executes does not. ``python -m benchmarks._instructions KIND URL N C``
makes N GETs at concurrency C with raw aiohttp (``raw``), the async SDK (``sdk``) or, at
concurrency 1, the blocking client (``sync``); ``task`` instead awaits N tasks that do nothing,
the least a blocking call adds to an awaited one.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile

import aiohttp

import botpress_sync
from botpress_async import AsyncClient
from botpress_async._encoding import loads

TOKEN = "bp_pat_" + "x" * 40
PATH = "/v1/chat/users/user_01"


async def _run(kind: str, url: str, count: int, concurrency: int) -> None:
    headers = {"authorization": "Bearer " + TOKEN, "x-bot-id": "bot_1"}
    async with (
        aiohttp.ClientSession() as session,
        AsyncClient(TOKEN, bot_id="bot_1", api_url=url) as client,
    ):

        async def raw() -> object:
            async with session.get(url + PATH, headers=headers) as resp:
                return loads(await resp.read())

        async def sdk() -> object:
            return await client.request("GET", PATH)

        async def nothing() -> object:
            return None

        async def task() -> object:
            # What a blocking call cannot do without: a task of its own to run in (aiohttp's
            # timeouts look for the current task, and each call keeps its caller's context).
            return await asyncio.Task(nothing(), name="counted")

        call = {"raw": raw, "sdk": sdk, "task": task}[kind]
        await call()  # the connection and first-use costs belong to start-up

        async def worker(n: int) -> None:
            for _ in range(n):
                await call()

        await asyncio.gather(*(worker(count // concurrency) for _ in range(concurrency)))


def _run_sync(url: str, count: int) -> None:
    with botpress_sync.Client(TOKEN, bot_id="bot_1", api_url=url) as client:
        client.request("GET", PATH)  # the loop, the connection and first-use costs
        for _ in range(count):
            client.request("GET", PATH)


def _instructions(kind: str, url: str, count: int, concurrency: int) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "benchmarks._instructions",
            kind,
            url,
            str(count),
            str(concurrency),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", out.stderr)
    if match is None:
        raise RuntimeError("callgrind printed no instruction count")
    return int(match.group(1))


#: The function callgrind dumps its counts before, in `marked_totals`: each call of
#: ``time.process_time()`` in the measured program closes one stretch and opens the next.
MARK = "time_process_time"


def marked_totals(
    module: str, args: list[str], dumps: int, env: dict[str, str] | None = None
) -> list[int]:
    """Run ``python -m module args`` under callgrind; the instructions of each marked stretch.

    Stretch ``i`` (from 1) is what ran between the ``i - 1``-th and the ``i``-th call of
    ``time.process_time()``; the first is start-up. ``dumps`` says how many to read.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--dump-before={MARK}",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                module,
                *args,
            ],
            capture_output=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
        totals = []
        for dump in range(1, dumps + 1):
            with open(f"{out}.{dump}") as f:
                found = re.search(r"^totals: (\d+)", f.read(), re.MULTILINE)
            if found is None:
                raise RuntimeError("callgrind wrote no totals")
            totals.append(int(found.group(1)))
    return totals


def per_request(url: str, concurrency: int, count: int = 800) -> tuple[float, float] | None:
    """Instructions per GET for raw aiohttp and the SDK, or None without valgrind."""
    counts = per_request_of(("raw", "sdk"), url, concurrency, count)
    return None if counts is None else (counts[0], counts[1])


def per_request_of(
    kinds: tuple[str, ...], url: str, concurrency: int, count: int = 800
) -> list[float] | None:
    """Instructions per GET for each kind (``raw``, ``sdk``, ``sync``), or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    results = []
    for kind in kinds:
        # The run with no requests measures start-up, which is subtracted.
        base = _instructions(kind, url, 0, concurrency)
        full = _instructions(kind, url, count, concurrency)
        results.append((full - base) / count)
    return results


if __name__ == "__main__":
    if sys.argv[1] == "sync":
        _run_sync(sys.argv[2], int(sys.argv[3]))
    else:
        asyncio.run(_run(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
