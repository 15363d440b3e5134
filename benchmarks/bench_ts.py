"""The SDK against the official TypeScript client (``@botpress/client``), in the same run.

The row of issue 18's performance table: paging 10 x 100 messages, reading 7 fields of each,
client CPU per walk, the SDK's at most 0.6 times the TypeScript client's. Both clients walk the
same pages from the same loopback server as the decode benchmark (`bench_decode.page_server`,
the SDK side is its ``paging.sdk`` walk), the TypeScript one with ``listMessages`` following
``nextToken`` and reading the same fields (``bench_ts.mjs``). Also a typed GET
(``getMessage``, the same 7 fields read, 16 calls in flight) and, for scale, two floors: raw
aiohttp + the SDK's JSON library walking the pages, and the same loop decoding each page into
the SDK's models (the least a client handing out typed models does).

Each side measures its own CPU (``time.process_time`` here, ``process.cpuUsage`` in Node.js),
so a shared machine's other load does not count, and only the client's work does: the server
runs in another process. Rounds alternate the two languages and the medians are compared; the
Node.js process waits on its stdin while Python measures, and the other way round. (V8's
background collector can go on for a moment after a batch, uncounted; with 10 walks a batch it
was about 1% of the batch's CPU here.) Both sides first warm up on the same number of requests,
uncounted: V8 optimises for thousands of requests, and a service runs for longer than that.

The TypeScript client is installed with npm, at one pinned version, into a cache directory
outside the repository (``$BENCH_TS_CACHE``, else ``$XDG_CACHE_HOME`` or ``~/.cache``, under
``botpress-sdk-benchmarks``), once; without Node.js or npm, or when the install fails (no
network), the row says why it was not measured and the run goes on.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

import aiohttp

from benchmarks._server import json_server
from benchmarks._summary import Figure
from benchmarks.bench_core import _cpu_per_call
from benchmarks.bench_decode import PAGE, TOKEN, page_of_messages, page_server, walks
from botpress_async import AsyncClient
from botpress_async._encoding import JSON_LIBRARY

PACKAGE = "@botpress/client"
# One exact release, so that runs compare the same TypeScript code; its dependencies resolve
# to what npm picks within the package's ranges, and the run prints the axios it got.
CLIENT_VERSION = "1.45.0"
NODE_MAJOR = 18  # the oldest Node.js that release supports (its "engines")
SCRIPT = Path(__file__).with_name("bench_ts.mjs")
TARGET = 0.6
IN_FLIGHT = 16  # typed GETs at once, as in the single-call figure
PAGES = 10  # requests per paging walk (the decode benchmark's paging walk)
INSTALL_TIMEOUT = 180  # seconds: a network that drops packets makes npm wait, not fail


class Counts(NamedTuple):
    """How much each side does: a full run's and a quick run's counts."""

    rounds: int  # measured rounds of each workload, the languages alternating
    walks: int  # paging walks per side and round (one walk is only 10 requests)
    calls: int  # typed GETs per side and round
    warm_up: int  # paging walks per side before the rounds (and 10 times as many GETs)


FULL = Counts(rounds=25, walks=10, calls=480, warm_up=300)
# A quick run still warms up fully: a V8 that is not warm makes the TypeScript client look
# twice as slow, and the verdict wrong.
QUICK = Counts(rounds=5, walks=5, calls=160, warm_up=300)
WORKLOAD = "paging 10 x 100 messages, fields read, vs the official TypeScript client"


class NotMeasured(Exception):
    """The TypeScript side cannot run here; the message says why."""


# --- the TypeScript client, installed once outside the repository ---------------------------


def install_dir() -> Path:
    """Where the pinned TypeScript client is (or will be) installed."""
    root = os.environ.get("BENCH_TS_CACHE")
    if not root:
        root = os.path.join(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "botpress-sdk-benchmarks"
        )
    return Path(root) / f"botpress-client-{CLIENT_VERSION}"


def _installed(where: Path) -> bool:
    try:
        manifest = json.loads((where / "node_modules" / PACKAGE / "package.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(manifest.get("version") == CLIENT_VERSION)


def _install(npm: str, target: Path) -> None:
    # Into a fresh directory first, renamed when complete, so that an interrupted or failed
    # install never looks like a usable one to the next run.
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    except OSError as exc:
        raise NotMeasured(f"cannot create the install directory {target.parent}: {exc}") from exc
    try:
        manifest = {"private": True, "dependencies": {PACKAGE: CLIENT_VERSION}}
        (staging / "package.json").write_text(json.dumps(manifest))
        # --ignore-scripts: nothing of the package runs at install; the benchmark only loads it.
        command = [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
            "--fetch-retries=1",  # offline, npm's default retries take over a minute to fail
        ]
        try:
            done = subprocess.run(
                command, cwd=staging, capture_output=True, text=True, timeout=INSTALL_TIMEOUT
            )
        except subprocess.TimeoutExpired as exc:
            raise NotMeasured(f"npm install {PACKAGE} took over {INSTALL_TIMEOUT} s") from exc
        if done.returncode != 0 or not _installed(staging):
            said = _npm_said(done.stderr or done.stdout)
            raise NotMeasured(f"npm install {PACKAGE}@{CLIENT_VERSION} failed: {said}")
        if not _installed(target):  # an unusable leftover of an older run is in the way
            shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not _installed(target):  # else another run finished the same install first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _npm_said(output: str) -> str:
    """npm's error in one line: its code and its first line of prose (not the log's path)."""
    lines = [line.removeprefix("npm error").strip() for line in output.splitlines()]
    lines = [line for line in lines if line]
    code = next((line for line in lines if line.startswith("code ")), None)
    prose = next(
        (line for line in lines if not line.startswith(("code ", "syscall ", "errno "))),
        "npm printed nothing",
    )
    return (f"{code}: {prose}" if code else prose)[:160]


def install_client() -> tuple[str, Path]:
    """The ``node`` executable and the installed client's directory, installing it if needed.

    Raises:
        NotMeasured: Node.js or npm is missing, or the install failed.
    """
    node = shutil.which("node")
    if node is None:
        raise NotMeasured("needs Node.js (no node on PATH)")
    try:
        said = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NotMeasured(f"{node} --version did not run: {exc}") from exc
    version = said.stdout.strip().removeprefix("v").split(".")[0]
    if not version.isdigit():
        raise NotMeasured(f"{node} --version printed {said.stdout.strip()[:40]!r}, no version")
    major = int(version)
    if major < NODE_MAJOR:
        raise NotMeasured(f"needs Node.js {NODE_MAJOR} or newer for {PACKAGE}, found {major}")
    target = install_dir()
    if not _installed(target):
        npm = shutil.which("npm")
        if npm is None:
            raise NotMeasured(f"needs npm to install {PACKAGE} (no npm on PATH)")
        _install(npm, target)
    return node, target


# --- the Node.js side, driven one command a line --------------------------------------------


class _NodeSide:
    """The running ``bench_ts.mjs``: each `ask` runs one measured batch there."""

    def __init__(self, stdin: IO[str], stdout: IO[str], errors: IO[str]) -> None:
        self._stdin, self._stdout, self._errors = stdin, stdout, errors
        self.versions: dict[str, str] = json.loads(self._line())

    def _line(self) -> str:
        line = self._stdout.readline()
        if not line:
            self._errors.seek(0)
            said = self._errors.read().strip()[-300:] or "no message"
            raise RuntimeError(f"the Node.js side of the benchmark stopped: {said}")
        return line

    def ask(self, command: str) -> tuple[float, int]:
        """CPU seconds per walk or call, and the checksum of the fields read."""
        try:
            self._stdin.write(command + "\n")
            self._stdin.flush()
        except BrokenPipeError:
            pass  # it stopped: reading its output says why
        seconds, check = self._line().split()
        return float(seconds), int(check)


@contextmanager
def _node_side(node: str, where: Path, pages_url: str, get_url: str) -> Iterator[_NodeSide]:
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            [node, str(SCRIPT), str(where), pages_url, get_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,  # a file, not a pipe: a chatty failure cannot block the process
            text=True,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            yield _NodeSide(proc.stdin, proc.stdout, errors)
        finally:
            proc.stdin.close()  # the script ends when its input does
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


# --- the rounds -----------------------------------------------------------------------------


def message_body() -> bytes:
    """A getMessage response: the first message of the decode benchmark's pages."""
    message = json.loads(page_of_messages(0, 1, None))["messages"][0]
    return json.dumps({"message": message}).encode()


async def _rounds(
    node: _NodeSide, pages_url: str, get_url: str, counts: Counts
) -> dict[str, list[float]]:
    """CPU seconds per walk or call of each side, one sample a round, the sides alternating."""
    async with (
        aiohttp.ClientSession() as session,
        AsyncClient(TOKEN, bot_id="bot_1", api_url=pages_url) as pages_client,
        AsyncClient(TOKEN, bot_id="bot_1", api_url=get_url) as get_client,
    ):
        every = walks(pages_url, session, pages_client)
        paging = {side: every[f"paging.{side}"] for side in ("sdk", "typed", "raw")}

        async def sdk_get() -> int:
            m = (await get_client.runtime.get_message(id="msg_1")).message
            fields = (m.id, m.created_at, m.type, m.payload, m.direction)
            return len(fields) + len(m.user_id) + len(m.conversation_id)

        # Both sides must read the same fields of the same messages.
        checks = {side: await walk() for side, walk in paging.items()}
        checks["ts"] = node.ask("paging 1")[1]
        assert len(set(checks.values())) == 1, f"the paging walks disagree: {checks}"
        gets = {"sdk": await sdk_get(), "ts": node.ask(f"get {IN_FLIGHT} {IN_FLIGHT}")[1]}
        assert gets["sdk"] == gets["ts"], f"the GETs disagree: {gets}"

        # V8 goes on optimising the client for about 3,000 requests (its first walks cost two
        # to three times its later ones). The comparison is of clients that have run for a
        # while, as in a service, so both sides first do the same warm-up, uncounted. Paging,
        # then the GETs, each in rounds of its own: without the long warm-up, interleaving
        # the two would let the GETs warm up the paging's code on one side.
        samples: dict[str, list[float]] = {}
        for walk in paging.values():
            for _ in range(counts.warm_up):
                await walk()
        node.ask(f"paging {counts.warm_up}")
        for _ in range(counts.rounds):
            for side, walk in paging.items():
                start = time.process_time()
                for _ in range(counts.walks):
                    await walk()
                per_walk = (time.process_time() - start) / counts.walks
                samples.setdefault(f"paging.{side}", []).append(per_walk)
            samples.setdefault("paging.ts", []).append(node.ask(f"paging {counts.walks}")[0])
        await _cpu_per_call(sdk_get, counts.warm_up * PAGES, IN_FLIGHT)
        node.ask(f"get {counts.warm_up * PAGES} {IN_FLIGHT}")
        for _ in range(counts.rounds):
            per_call = await _cpu_per_call(sdk_get, counts.calls, IN_FLIGHT)
            samples.setdefault("get.sdk", []).append(per_call)
            samples.setdefault("get.ts", []).append(node.ask(f"get {counts.calls} {IN_FLIGHT}")[0])
    return samples


def _measure(counts: Counts) -> tuple[dict[str, list[float]], dict[str, str], Path]:
    node, where = install_client()
    with (
        page_server() as pages_url,
        json_server(message_body()) as get_url,
        _node_side(node, where, pages_url, get_url) as side,
    ):
        return asyncio.run(_rounds(side, pages_url, get_url, counts)), side.versions, where


def _ratio(samples: dict[str, list[float]], row: str) -> tuple[float, str]:
    """The SDK's median over the TypeScript client's, and the absolute figures behind it."""
    sdk, ts = samples[f"{row}.sdk"], samples[f"{row}.ts"]
    # Each round's own ratio too: how far a single round strays from the medians' ratio.
    paired = sorted(s / t for s, t in zip(sdk, ts, strict=True))
    unit = "walk" if row == "paging" else "call"
    sdk_us, ts_us = statistics.median(sdk) * 1e6, statistics.median(ts) * 1e6
    said = f"SDK {sdk_us:,.1f} us, TS client {ts_us:,.1f} us CPU/{unit}"
    return sdk_us / ts_us, f"{said}; rounds {paired[0]:.2f}-{paired[-1]:.2f}"


def summary(quick: bool) -> list[Figure]:
    """Measure the row and print what was measured; a missing Node.js or npm is no failure."""
    try:
        samples, versions, where = _measure(QUICK if quick else FULL)
    except NotMeasured as exc:
        print(f"vs the TypeScript client: not measured: {exc}")
        return [Figure(WORKLOAD, None, TARGET, detail=f"not measured: {exc}")]
    client = f"{PACKAGE} {versions.get('client')}"
    print(
        f"TypeScript client: {client} (axios {versions.get('axios')}) on Node.js "
        f"{versions.get('node')}, installed in {where}; SDK JSON library: {JSON_LIBRARY}"
    )
    print(f"client CPU, medians of {len(samples['paging.sdk'])} rounds alternating the languages:")
    paging, paging_said = _ratio(samples, "paging")
    floor = statistics.median(samples["paging.raw"]) / statistics.median(samples["paging.ts"])
    typed = statistics.median(samples["paging.typed"]) / statistics.median(samples["paging.ts"])
    print(
        f"  paging 10 x {PAGE} messages, 7 fields read: {paging_said}; "
        f"vs the TypeScript client {paging:.2f} (target <= {TARGET}); "
        f"raw aiohttp + {JSON_LIBRARY} vs the TypeScript client {floor:.2f}, "
        f"with the SDK's typed models {typed:.2f}"
    )
    get, get_said = _ratio(samples, "get")
    print(
        f"  typed GET, 7 fields read, {IN_FLIGHT} in flight: {get_said}; "
        f"vs the TypeScript client {get:.2f}"
    )
    # The floor goes with the figure: raw aiohttp's own ratio, from the same rounds.
    detail = (
        f"{paging_said.split(';')[0]} ({client}); raw aiohttp + {JSON_LIBRARY} floor "
        f"{floor:.2f}x, with typed models {typed:.2f}x; typed GET x{IN_FLIGHT}: {get:.2f}x"
    )
    return [Figure(WORKLOAD, paging, TARGET, detail=detail)]


def main() -> None:
    """Print the SDK's CPU against the TypeScript client's for the paging walk and a GET."""
    summary(quick=False)


if __name__ == "__main__":
    main()
