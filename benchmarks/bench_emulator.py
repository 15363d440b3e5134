"""The emulator's ceiling: requests per second it serves from its own process on loopback.

The load comes from wrk when it is installed, otherwise from aiohttp clients in separate
processes. The baseline, measured in the same run with the same load generator, is a bare
aiohttp.web server answering a fixed JSON body; the emulator's ratio against it shows what its
routing, authentication, validation and state cost. The server's own CPU time is read from
/proc, so "per server CPU second" is the ceiling of one core whatever the load generator costs.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from typing import Any

import aiohttp

from benchmarks._server import free_port, json_server

DURATION = 3.0
CLIENT_PROCESSES = 2
CONNECTIONS_PER_PROCESS = 16
BODY = (
    b'{"user":{"id":"user_01","name":"Ada","tags":{"team":"core"},'
    b'"createdAt":"2024-01-01T00:00:00.000Z","updatedAt":"2024-01-01T00:00:00.000Z"}}'
)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _hammer(url: str, headers: dict[str, str], connections: int, duration: float) -> int:
    """Keep ``connections`` requests in flight for ``duration`` seconds; count the answers."""
    done = 0
    deadline = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                    done += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return done


def _client_process(url: str, headers: dict[str, str], duration: float, out: Any) -> None:
    out.put(asyncio.run(_hammer(url, headers, CONNECTIONS_PER_PROCESS, duration)))


def _aiohttp_load(url: str, headers: dict[str, str], duration: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_client_process, args=(url, headers, duration, results))
        for _ in range(CLIENT_PROCESSES)
    ]
    for proc in procs:
        proc.start()
    total = sum(results.get(timeout=duration + 60) for _ in procs)
    for proc in procs:
        proc.join(10)
    return total / duration


def _wrk_load(url: str, headers: dict[str, str], duration: float) -> float:
    wrk = shutil.which("wrk")
    assert wrk is not None
    # One wrk thread leaves the other core to the server on a 2-core machine.
    args = [wrk, "-t1", "-c32", f"-d{int(duration)}s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else float("nan")


def load(
    url: str, headers: dict[str, str], pid: int, duration: float = DURATION
) -> tuple[float, float]:
    """Requests per second served, and requests per second of server CPU."""
    generate = _wrk_load if shutil.which("wrk") else _aiohttp_load
    before = _cpu_seconds(pid)
    rate = generate(url, headers, duration)
    used = _cpu_seconds(pid) - before
    return rate, (rate * duration / used if used > 0 else float("nan"))


def _start_emulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "botpress_async.testing", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    fields = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(7))
    return proc, fields


def _post(url: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 - an http URL on loopback
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={**headers, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - same URL
        return json.loads(resp.read())


def _baseline_pid(url: str) -> int:
    # The bare server is the child process listening on the URL's port.
    port = url.rsplit(":", 1)[1]
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    found = re.search(r"pid=(\d+)", out.stdout)
    return int(found.group(1)) if found else -1


def main() -> None:
    """Measure the bare baseline, then the emulator on three routes, and print requests/s."""
    clients = f"{CLIENT_PROCESSES} processes x {CONNECTIONS_PER_PROCESS} connections"
    generator = "wrk" if shutil.which("wrk") else f"aiohttp clients ({clients})"
    print(f"load generator: {generator}; {os.cpu_count()} cores; {DURATION:.0f}s per case")
    with json_server(BODY) as base_url:
        base_rate, base_cpu = load(base_url + "/v1/chat/users/user_01", {}, _baseline_pid(base_url))
    print(
        f"baseline bare aiohttp.web GET     {base_rate:9.0f} req/s  "
        f"({base_cpu:7.0f} per server CPU second)"
    )
    proc, tokens = _start_emulator()
    try:
        url = tokens["url"]
        headers = {"Authorization": f"Bearer {tokens['bak']}", "x-bot-id": tokens["bot_id"]}
        user = _post(url + "/v1/chat/users", headers, {"tags": {"team": "core"}, "name": "Ada"})
        for i in range(19):
            _post(url + "/v1/chat/users", headers, {"tags": {"n": str(i)}})
        cases = {
            "emulator getUser (GET, BAK auth)": f"/v1/chat/users/{user['user']['id']}",
            "emulator listUsers (20 per page)": "/v1/chat/users",
            "emulator getTable missing (404)": "/v1/tables/NoSuchTable",
        }
        for name, path in cases.items():
            rate, cpu = load(url + path, headers, proc.pid)
            print(
                f"{name:33s} {rate:9.0f} req/s  ({cpu:7.0f} per server CPU second)  "
                f"ratio to baseline {rate / base_rate:.2f}"
            )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
