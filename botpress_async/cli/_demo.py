"""``botpress demo``: the three uses of the SDK, against the embedded emulator or the real API.

1. an async service flow with `AsyncClient` (user, conversation, messages, state);
2. the same flow through the blocking ``botpress_sync.Client``;
3. a bulk job: thousands of table rows and a batch of files, with progress bars and a summary.

Without ``BP_TOKEN`` it starts the emulator on a thread of its own, so it needs no account and
no network. With ``BP_TOKEN`` it talks to ``BP_API_URL`` (the cloud by default) and removes the
table and the files it made, unless asked to keep them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any, Final, TextIO

import attrs

from botpress_async import _progress
from botpress_async._auth import TokenKind, detect_token_kind
from botpress_async._client import AsyncClient
from botpress_async._errors import BotpressError, ConfigurationError, install_hint
from botpress_async._progress import Report

__all__ = ["DemoTarget", "bulk_summary", "resolve_target", "run"]

ROWS_PER_REQUEST: Final = 500  # below the 1000 cap, so even the default job shows concurrency
TEXTS: Final = ("hello", "how are you?", "goodbye")
STATE_NAME: Final = "demoProgress"
SCHEMA: Final = {
    "type": "object",
    "properties": {
        "orderId": {"type": "string"},
        "customer": {"type": "string"},
        "quantity": {"type": "number"},
        "paid": {"type": "boolean"},
    },
}
CUSTOMERS: Final = ("ada", "grace", "linus", "margaret", "barbara")


@attrs.frozen(kw_only=True)
class DemoTarget:
    """Where the demo runs: the client's settings and whether it is the embedded emulator."""

    api_url: str
    token: str = attrs.field(repr=False)
    bot_id: str
    workspace_id: str | None

    def environment(self) -> dict[str, str]:
        """The ``BP_*`` variables that give a client built from the environment this target."""
        env = {"BP_TOKEN": self.token, "BP_BOT_ID": self.bot_id, "BP_API_URL": self.api_url}
        if self.workspace_id is not None:
            env["BP_WORKSPACE_ID"] = self.workspace_id
        return env

    def client_args(self) -> dict[str, Any]:
        """Keyword arguments for `AsyncClient`."""
        return {
            "token": self.token,
            "bot_id": self.bot_id,
            "workspace_id": self.workspace_id,
            "api_url": self.api_url,
        }


def resolve_target(environ: Mapping[str, str], api_url: str | None) -> DemoTarget | None:
    """The real API's settings from ``BP_*`` variables, or ``None`` (no token: the emulator).

    Raises `ConfigurationError`, naming the variable, when a token is set without the ids it
    needs; nothing has been sent then.

    Args:
        environ: the environment (``os.environ``).
        api_url: the ``--api-url`` option, which wins over ``BP_API_URL``.
    """
    token = environ.get("BP_TOKEN")
    if not token:
        return None
    bot_id = environ.get("BP_BOT_ID")
    if not bot_id:
        raise ConfigurationError(
            "BP_BOT_ID is not set: with BP_TOKEN the demo needs the id of the bot to work in "
            "(or unset BP_TOKEN to run against the embedded emulator)",
            env_var="BP_BOT_ID",
        )
    workspace_id = environ.get("BP_WORKSPACE_ID") or None
    if detect_token_kind(token) is TokenKind.PAT and not workspace_id:
        raise ConfigurationError(
            "BP_WORKSPACE_ID is not set: a Personal Access Token needs the workspace of the bot",
            env_var="BP_WORKSPACE_ID",
        )
    url = api_url or environ.get("BP_API_URL") or "https://api.botpress.cloud"
    return DemoTarget(api_url=url, token=token, bot_id=bot_id, workspace_id=workspace_id)


# -- output ---------------------------------------------------------------------------------


class Printer:
    """Headed sections and indented lines on the demo's output stream."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def heading(self, title: str) -> None:
        """Start a section."""
        self.out.write(f"\n== {title} ==\n")
        self.out.flush()

    def line(self, label: str, text: str) -> None:
        """One labelled line of a section."""
        self.out.write(f"  {label:<18} {text}\n")
        self.out.flush()


class RetryCounter(logging.Handler):
    """Counts the SDK's ``retrying`` log records (one per retry) while the demo runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record of the ``botpress`` logger."""
        if str(record.msg).startswith("retrying"):
            self.retries += 1


@contextlib.contextmanager
def counting_retries() -> Iterator[RetryCounter]:
    """Attach a `RetryCounter` to the ``botpress`` logger, lowering its level to INFO meanwhile."""
    logger = logging.getLogger("botpress")
    counter = RetryCounter()
    level = logger.level
    if level == logging.NOTSET or level > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def progress_bar(total: int, unit: str, scale: int, enabled: bool) -> Report | None:
    """An ``on_progress`` callback drawing the SDK's bar of ``total`` units, or ``None``.

    Args:
        total: the units of the job (rows, files).
        unit: their name.
        scale: units per request (the bulk helpers count requests).
        enabled: whether to draw at all (the caller has checked for a terminal).
    """
    if not enabled or total == 0:
        return None
    return _progress.progress_bar(
        total,
        unit=unit,
        count=lambda p: (p.done + p.failed) * scale,
        force=True,
        label=f"  {unit}s",
        details=False,
    )


# -- 1. async service flow ------------------------------------------------------------------


def _made(meta: Any) -> str:
    """``(created)`` or ``(found)``, from a get-or-create answer's ``meta``."""
    return "(created)" if getattr(meta, "created", False) else "(found)"


async def async_flow(client: AsyncClient, run_id: str, show: Printer) -> None:
    """Get or create a user and a conversation, send messages, list them, set and read a state."""
    rt = client.runtime
    got_user = await rt.get_or_create_user(tags={}, name=f"Ada (async demo {run_id})")
    user = got_user.user
    show.line("user", f"{user.id} {user.name!r} {_made(got_user.meta)}")
    got_conv = await rt.get_or_create_conversation(channel="channel", tags={})
    conv = got_conv.conversation
    show.line("conversation", f"{conv.id} {_made(got_conv.meta)}")
    # Independent calls: run them concurrently on the one client.
    await asyncio.gather(
        *(
            rt.create_message(
                user_id=user.id,
                conversation_id=conv.id,
                type="text",
                payload={"text": text, "seq": n},
                tags={},
            )
            for n, text in enumerate(TEXTS)
        )
    )
    mine = [m async for m in rt.list_messages(conversation_id=conv.id) if m.user_id == user.id]
    mine.sort(key=lambda m: m.payload.get("seq", 0))
    texts = ", ".join(repr(m.payload.get("text")) for m in mine)
    show.line("messages", f"sent {len(TEXTS)} at once, listed back {len(mine)}: {texts}")
    if len(mine) != len(TEXTS):
        raise RuntimeError(f"listed {len(mine)} of the {len(TEXTS)} messages sent")
    payload = {"step": len(TEXTS), "by": "AsyncClient"}
    await rt.set_state(type="conversation", id=conv.id, name=STATE_NAME, payload=payload)
    state = (await rt.get_state(type="conversation", id=conv.id, name=STATE_NAME)).state
    show.line("state", f"conversation/{STATE_NAME} = {state.payload}")


# -- 2. the same, blocking ------------------------------------------------------------------


def blocking_flow(target: DemoTarget, run_id: str, show: Printer) -> None:
    """The flow of `async_flow` with ``botpress_sync.Client``, run in a process of its own.

    ``botpress_async`` never imports ``botpress_sync`` (the blocking facade sits on top of
    the async client, not beside it), so the demo runs ``python -m botpress_sync._demo``,
    hands it the target through ``BP_*`` variables and prints the lines it reports.
    """
    env = {**os.environ, **target.environment()}
    try:
        done = subprocess.run(  # noqa: S603 (this interpreter, a fixed module of ours)
            [sys.executable, "-m", "botpress_sync._demo", run_id],
            env=env,
            capture_output=True,
            text=True,
            timeout=BLOCKING_FLOW_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"the blocking flow did not end within {BLOCKING_FLOW_TIMEOUT:.0f} s"
        ) from None
    for line in done.stdout.splitlines():
        label, _, text = line.partition("\t")
        show.line(label, text)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise RuntimeError(f"the blocking flow failed: {lines[-1]}")


#: The longest the blocking flow's process may take (a few calls; the real API is slower).
BLOCKING_FLOW_TIMEOUT: Final = 120.0


# -- 3. bulk job ----------------------------------------------------------------------------


@attrs.define
class BulkNumbers:
    """What the bulk job did, for the summary."""

    rows: int = 0
    rows_failed: int = 0
    rows_elapsed: float = 0.0
    files: int = 0
    files_failed: int = 0
    files_bytes: int = 0
    files_elapsed: float = 0.0
    throttled: int = 0


def sample_rows(count: int) -> Iterator[dict[str, Any]]:
    """``count`` made-up orders, generated as the job pulls them."""
    for n in range(count):
        yield {
            "orderId": f"order-{n:07d}",
            "customer": CUSTOMERS[n % len(CUSTOMERS)],
            "quantity": 1 + n % 9,
            "paid": n % 5 != 0,
        }


def sample_content(n: int, size: int) -> bytes:
    """The ``n``-th demo file: ``size`` bytes of text."""
    line = f"botpress demo file {n}: the quick brown fox jumps over the lazy dog\n".encode()
    return (line * (size // len(line) + 1))[:size]


def bulk_summary(
    numbers: BulkNumbers, retries: int, *, finished: bool = True
) -> list[tuple[str, str]]:
    """The summary of the bulk job: rows/s, files/s, MB/s, retries and failed items (pure).

    Args:
        numbers: what the job did.
        retries: the retries of the whole run.
        finished: whether the job ran to its end; when it stopped on an error its numbers
            are unknown, and are said to be rather than shown as zeros.
    """

    def rate(count: float, seconds: float) -> str:
        return f"{count / seconds:,.0f}" if seconds > 0 else "-"

    throttled = f"{retries} in the whole run; 429/503 answers to the bulk jobs: {numbers.throttled}"
    if not finished:
        stopped = "- (the bulk job stopped before the end)"
        return [
            ("rows", stopped),
            ("files", stopped),
            ("retries", throttled),
            ("failed items", stopped),
        ]
    mb = numbers.files_bytes / 1_000_000
    mb_rate = f"{mb / numbers.files_elapsed:,.1f}" if numbers.files_elapsed > 0 else "-"
    return [
        (
            "rows",
            f"{numbers.rows:,} in {numbers.rows_elapsed:.2f} s "
            f"= {rate(numbers.rows, numbers.rows_elapsed)} rows/s",
        ),
        (
            "files",
            f"{numbers.files:,} ({mb:,.1f} MB) in {numbers.files_elapsed:.2f} s "
            f"= {rate(numbers.files, numbers.files_elapsed)} files/s, {mb_rate} MB/s",
        ),
        ("retries", throttled),
        ("failed items", f"{numbers.rows_failed:,} rows, {numbers.files_failed:,} files"),
    ]


async def bulk_job(
    client: AsyncClient,
    *,
    run_id: str,
    rows: int,
    files: int,
    file_size: int,
    progress: bool,
    keep: bool,
    show: Printer,
) -> BulkNumbers:
    """Make a table, upsert ``rows`` rows, upload ``files`` files, then remove them unless kept."""
    numbers = BulkNumbers()
    table = f"botpressDemo{run_id}Table"  # table names end with "Table"
    await client.tables.create_table(name=table, schema=SCHEMA, key_column="orderId")
    show.line("table", f"{table} (created)")
    uploaded: list[str] = []
    try:
        result = await client.tables.upsert_rows(
            table,
            sample_rows(rows),
            key_column="orderId",
            chunk_size=ROWS_PER_REQUEST,
            keep_rows=False,
            on_progress=progress_bar(rows, "row", ROWS_PER_REQUEST, progress),
        )
        numbers.rows = result.succeeded_rows
        numbers.rows_failed = len(result.failed_rows) + len(result.not_run)
        numbers.rows_elapsed = result.elapsed
        numbers.throttled += result.throttled
        show.line(
            "rows",
            f"{result.inserted_count:,} inserted, {result.updated_count:,} updated, "
            f"{numbers.rows_failed:,} failed, in requests of {ROWS_PER_REQUEST}",
        )
        for failure in result.failed[:3]:
            show.line("", f"{len(failure.rows)} rows failed: {failure.error}")

        items = (
            {
                "key": f"botpress-demo/{run_id}/file-{n:05d}.txt",
                "content": sample_content(n, file_size),
                "tags": {"source": "botpress-demo"},
            }
            for n in range(files)
        )
        uploads = await client.files.upload_files(
            items,
            concurrency=16,
            keep_results=True,  # the clean-up deletes the files by id
            on_progress=progress_bar(files, "file", 1, progress),
        )
        uploaded = [file.id for _, file in uploads.succeeded]
        numbers.files = uploads.succeeded_count
        numbers.files_failed = len(uploads.failed) + len(uploads.not_run)
        numbers.files_bytes = uploads.succeeded_count * file_size
        numbers.files_elapsed = uploads.elapsed
        numbers.throttled += uploads.throttled
        show.line("files", f"{numbers.files:,} uploaded, {numbers.files_failed:,} failed")
        for item_failure in uploads.failed[:3]:
            show.line("", f"a file failed: {item_failure.error}")
    finally:
        if keep:
            show.line("kept", f"table {table} and {len(uploaded)} files (--keep)")
        else:
            await _clean_up(client, table, uploaded, show)
    return numbers


async def _clean_up(client: AsyncClient, table: str, file_ids: list[str], show: Printer) -> None:
    deleted = await client.bulk(client.files.delete_file, [{"id": i} for i in file_ids])
    await client.tables.delete_table(table=table)
    left = len(deleted.failed) + len(deleted.not_run)
    note = f"; {left} files could not be deleted" if left else ""
    show.line("cleaned up", f"table {table} and {deleted.succeeded_count} files deleted{note}")
    if left:
        raise RuntimeError(f"{left} demo files could not be deleted")


# -- the whole tour -------------------------------------------------------------------------


@attrs.define
class Step:
    """One section's outcome: its time, and its error in one line when it failed."""

    title: str
    seconds: float = 0.0
    error: str | None = None


@contextlib.contextmanager
def _section(steps: list[Step], title: str, heading: str, show: Printer) -> Iterator[Step]:
    """Time a section and turn its failure into a line, so that the next section still runs."""
    step = Step(title)
    steps.append(step)
    show.heading(heading)
    started = time.perf_counter()
    try:
        yield step
    except (BotpressError, RuntimeError) as exc:
        step.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        show.line("FAILED", step.error)
    finally:
        step.seconds = time.perf_counter() - started


async def _async_section(target: DemoTarget, run_id: str, show: Printer) -> None:
    async with AsyncClient(**target.client_args()) as client:
        await async_flow(client, run_id, show)


async def _bulk_section(target: DemoTarget, show: Printer, **options: Any) -> BulkNumbers:
    # A pool as big as the most requests in flight: rows, then files and their storage PUTs.
    async with AsyncClient(**target.client_args(), max_connections=64) as client:
        return await bulk_job(client, show=show, **options)


def _tour(
    target: DemoTarget, options: Mapping[str, Any], show: Printer, retries: RetryCounter
) -> int:
    started = time.perf_counter()
    run_id = secrets.token_hex(3)  # names what this run makes, apart from earlier runs'
    steps: list[Step] = []
    with _section(
        steps, "async flow", "1. An async service flow: botpress_async.AsyncClient", show
    ):
        asyncio.run(_async_section(target, run_id, show))
    with _section(
        steps, "blocking flow", "2. The same from blocking code: botpress_sync.Client", show
    ):
        blocking_flow(target, run_id, show)
    numbers = BulkNumbers()
    finished = False
    heading = f"3. A bulk job: {options['rows']:,} table rows and {options['files']:,} files"
    with _section(steps, "bulk job", heading, show) as step:
        numbers = asyncio.run(_bulk_section(target, show, run_id=run_id, **options))
        finished = True
        if numbers.rows_failed or numbers.files_failed:
            step.error = f"{numbers.rows_failed} rows and {numbers.files_failed} files failed"

    show.heading("Summary")
    for s in steps:
        show.line(s.title, f"{'ok' if s.error is None else 'FAILED':<6} in {s.seconds:.2f} s")
    for label, text in bulk_summary(numbers, retries.retries, finished=finished):
        show.line(label, text)
    failed = sum(s.error is not None for s in steps)
    elapsed = time.perf_counter() - started
    show.line("failed steps", f"{failed} of {len(steps)}")
    if failed:
        show.line("result", f"FAILED ({elapsed:.1f} s)")
        return 1
    show.line("result", f"all {len(steps)} steps passed in {elapsed:.1f} s")
    return 0


def run(
    *,
    rows: int = 5000,
    files: int = 100,
    file_size: int = 16 * 1024,
    progress: bool = True,
    keep: bool = False,
    faults: float = 0.0,
    api_url: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the three sections and print a summary; returns 0 only when every step worked.

    Args:
        rows: table rows to upsert in the bulk job.
        files: files to upload in the bulk job.
        file_size: bytes per file.
        progress: draw progress bars (when tqdm is installed and stderr is a terminal).
        keep: leave the table and the files in place (they are removed otherwise).
        faults: with the emulator, the share of requests answered 429 (to show retries).
        api_url: the API's URL with a real token (default ``BP_API_URL``).
        out: where to print (default stdout).
    """
    show = Printer(out if out is not None else sys.stdout)
    target = resolve_target(os.environ, api_url)
    progress = progress and sys.stderr.isatty() and importlib.util.find_spec("tqdm") is not None
    options = {
        "rows": rows,
        "files": files,
        "file_size": file_size,
        "progress": progress,
        "keep": keep,
    }
    with contextlib.ExitStack() as stack:
        if target is None:
            target = _start_emulator(stack, faults, show)
        else:
            where = f"bot {target.bot_id} at {target.api_url}"
            show.line("target", f"{where}; what the demo makes is removed at the end")
        retries = stack.enter_context(counting_retries())
        return _tour(target, options, show, retries)
    raise AssertionError("unreachable")  # the with block returns or raises


def _start_emulator(stack: contextlib.ExitStack, faults: float, show: Printer) -> DemoTarget:
    try:
        from botpress_async.testing import Emulator, FaultRule, Faults

        rules = []
        if faults > 0:
            # A short Retry-After keeps the demo quick while the retries and slow-downs show.
            rules.append(FaultRule(kind="rate_limit", probability=faults, retry_after=0.05))
        # A fixed seed: the same faults on every run, so a run can be repeated.
        emu = Emulator(page_size=100, faults=Faults(0, rules))
    except ImportError as exc:  # the emulator's jsonschema is not installed
        raise ConfigurationError(
            f"the demo runs on the emulator when BP_TOKEN is unset: {exc} ({install_hint('demo')})"
        ) from None
    stack.enter_context(emu.run_in_thread())
    show.line("target", f"the embedded emulator at {emu.url} (no account, no network)")
    if faults > 0:
        show.line("faults", f"{faults:.0%} of requests answered 429 Too Many Requests")
    return DemoTarget(api_url=emu.url, token=emu.bak, bot_id=emu.bot_id, workspace_id=None)
