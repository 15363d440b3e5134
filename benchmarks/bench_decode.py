"""Decoding cost per item: the SDK's pagers against raw aiohttp reading plain dicts.

Each row of issue 18's decode table, measured in one run against its floor, with fields read
the way a user reads them (attributes of models, items of rows):

- paging 10 x 100 messages, reading 7 fields of each: ``async for`` over
  ``client.runtime.list_messages`` vs a hand-written aiohttp loop following ``nextToken`` and
  reading the same 7 keys of each dict, parsed with orjson (target: at most 1.25 times) and
  with ``json``; between the two, the same loop decoding each page into the SDK's models
  (``paging.typed``), which splits the SDK's cost into its models and the rest;
- many messages through a pager, per-item client CPU (target: at most 1.5 times raw);
- many table rows through ``client.tables.find_rows``, one column read (target: 1.5 times).

The issue's figure for the last two is 1,000,000 items; the per-item cost is flat in the count,
so they walk ``BENCH_DECODE_ITEMS`` items (default 100,000) and report per item.

The pages come from a small aiohttp server in another process, so only the client's CPU is
counted. CPU time on a shared machine drifts, so rounds alternate the sides and the ratios
printed are the medians of each round's own ratio; when valgrind is installed, instruction
counts (which do not drift) are printed too, from walks of a tenth of the size in one
process run under callgrind.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import cache
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks._instructions import marked_totals
from benchmarks._server import free_port
from botpress_async import AsyncClient
from botpress_async._converter import structure
from botpress_async._encoding import JSON_LIBRARY, dumps, loads
from botpress_async.models.runtime import ListMessagesResponse

TOKEN = "bp_pat_" + "x" * 40
ROUNDS = 5
PAGING_SAMPLES = 5  # paging samples per round, see _cpu
ITEMS = int(os.environ.get("BENCH_DECODE_ITEMS", "100000"))
PAGE = 100  # messages per page, the API's page size
ROW_PAGE = 1000  # rows per find request, the most the API returns
TARGETS = {"paging": 1.25, "messages": 1.5, "rows": 1.5}


def page_of_messages(first: int, count: int, next_token: str | None) -> bytes:
    """A listMessages response with ``count`` realistic messages and the next page's token."""
    messages = [
        {
            "id": f"msg_01J9ZK3XWQ8V4T6N2M5R7P{i:06d}",
            "createdAt": "2026-01-02T03:04:05.000Z",
            "updatedAt": "2026-01-02T03:04:05.000Z",
            "type": "text",
            "payload": {"text": f"Message number {i}: how can I help you with your order today?"},
            "direction": "incoming" if i % 2 else "outgoing",
            "userId": "user_01J9ZK3XWQ8V4T6N2M5R7P0ABC",
            "conversationId": "conv_01J9ZK3XWQ8V4T6N2M5R7P0ABC",
            "tags": {"channel": "web", "locale": "en"},
        }
        for i in range(first, first + count)
    ]
    meta = {"nextToken": next_token} if next_token else {}
    return json.dumps({"messages": messages, "meta": meta}).encode()


def page_of_rows(offset: int, count: int, has_more: bool) -> bytes:
    """A findTableRows response with ``count`` rows of two columns."""
    rows = [
        {
            "id": i + 1,
            "createdAt": "2026-01-02T03:04:05.000Z",
            "updatedAt": "2026-01-02T03:04:05.000Z",
            "sku": f"sku-{i}",
            "qty": i,
        }
        for i in range(offset, offset + count)
    ]
    body = {"rows": rows, "hasMore": has_more, "offset": offset, "limit": count}
    return json.dumps(body).encode()


def _serve(port: int, ready: Any) -> None:
    # The walk's length travels in the request: the conversation id ("conv_<pages>") for
    # messages, the table name ("T<rows>") for rows.
    @cache
    def messages(page: int, pages: int) -> bytes:
        token = str(page + 1) if page + 1 < pages else None
        return page_of_messages(page * PAGE, PAGE, token)

    @cache
    def rows(offset: int, total: int, limit: int) -> bytes:
        count = max(0, min(limit, total - offset))
        return page_of_rows(offset, count, offset + count < total)

    async def list_messages(request: web.Request) -> web.Response:
        pages = int(request.query["conversationId"].removeprefix("conv_"))
        page = int(request.query.get("nextToken", "0"))
        return web.Response(body=messages(page, pages), content_type="application/json")

    async def find_rows(request: web.Request) -> web.Response:
        total = int(request.match_info["table"].removeprefix("T"))
        asked = json.loads(await request.read())
        body = rows(int(asked.get("offset", 0)), total, int(asked.get("limit", ROW_PAGE)))
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v1/chat/messages", list_messages)
    app.router.add_post("/v1/tables/{table}/rows/find", find_rows)
    ready.set()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """Run the page server in a child process; yield its base URL."""
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_serve, args=(port, ready), daemon=True)
    proc.start()
    try:
        ready.wait(10)
        for _ in range(250):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join(5)


# --- the walks: each returns a checksum, so that nothing is skipped -------------------------

Walk = Callable[[], Awaitable[int]]


def walks(url: str, session: aiohttp.ClientSession, client: AsyncClient) -> dict[str, Walk]:
    """Every measured walk by name: ``<row>.<side>``."""
    headers = {"authorization": "Bearer " + TOKEN, "x-bot-id": "bot_1"}
    many_pages = max(1, ITEMS // PAGE)

    async def page_body(pages: int, token: str | None) -> bytes:
        query = {"conversationId": f"conv_{pages}"}
        if token:
            query["nextToken"] = token
        async with session.get(url + "/v1/chat/messages", params=query, headers=headers) as r:
            return await r.read()

    async def raw_messages(pages: int, parse: Callable[[bytes], Any]) -> int:
        total, token = 0, None
        while True:
            page = parse(await page_body(pages, token))
            for m in page["messages"]:
                fields = (m["id"], m["createdAt"], m["type"], m["payload"], m["direction"])
                total += len(fields) + len(m["userId"]) + len(m["conversationId"])
            token = page["meta"].get("nextToken")
            if not token:
                return total

    async def typed_messages(pages: int) -> int:
        # The raw loop plus the SDK's typed decode of each page (its generated hooks, into the
        # attrs models), fields read as attributes: what any client handing out typed models
        # pays at least, without the SDK's request machinery and pager.
        total, token = 0, None
        while True:
            page = structure(loads(await page_body(pages, token)), ListMessagesResponse)
            for m in page.messages:
                fields = (m.id, m.created_at, m.type, m.payload, m.direction)
                total += len(fields) + len(m.user_id) + len(m.conversation_id)
            token = page.meta.next_token
            if not token:
                return total

    async def sdk_messages(pages: int) -> int:
        total = 0
        async for m in client.runtime.list_messages(conversation_id=f"conv_{pages}"):
            fields = (m.id, m.created_at, m.type, m.payload, m.direction)
            total += len(fields) + len(m.user_id) + len(m.conversation_id)
        return total

    async def raw_rows() -> int:
        total, offset = 0, 0
        target = f"{url}/v1/tables/T{ITEMS}/rows/find"
        while True:
            body = dumps({"limit": ROW_PAGE, "offset": offset})
            async with session.post(target, data=body, headers=headers) as r:
                page = loads(await r.read())
            for row in page["rows"]:
                total += row["qty"]
            offset += len(page["rows"])
            if not page["hasMore"] or not page["rows"]:
                return total

    async def sdk_rows() -> int:
        total = 0
        async for row in client.tables.find_rows(f"T{ITEMS}"):
            total += row["qty"]
        return total

    return {
        "paging.raw": lambda: raw_messages(10, loads),
        "paging.json": lambda: raw_messages(10, json.loads),
        "paging.typed": lambda: typed_messages(10),
        "paging.sdk": lambda: sdk_messages(10),
        "messages.raw": lambda: raw_messages(many_pages, loads),
        "messages.sdk": lambda: sdk_messages(many_pages),
        "rows.raw": raw_rows,
        "rows.sdk": sdk_rows,
    }


@contextlib.asynccontextmanager
async def _sides(url: str) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        AsyncClient(TOKEN, bot_id="bot_1", api_url=url) as client,
    ):
        yield walks(url, session, client)


async def _sample(samples: dict[str, list[float]], name: str, walk: Walk, repeat: int) -> None:
    """Add the CPU seconds of one walk of ``name`` (the mean of ``repeat`` walks)."""
    gc.collect()  # see _walk_marked
    start = time.process_time()
    for _ in range(repeat):
        await walk()
    samples.setdefault(name, []).append((time.process_time() - start) / repeat)


async def _cpu(url: str) -> tuple[dict[str, float], dict[str, float]]:
    """Median client CPU seconds of each walk, and each row's ratio paired round by round.

    Rounds alternate the walks, and a ratio is taken between the two sides of one round
    (``paging.json`` for the SDK against the ``json`` loop), then the median of the rounds:
    a busy patch of a shared machine lands on both sides of one pair, where a ratio of the
    two medians could take the SDK's walks from a busy round and the floor's from a calm one.
    """
    samples: dict[str, list[float]] = {}
    async with _sides(url) as every:
        checks: dict[str, int] = {}
        for name, walk in every.items():  # warm-up, and the sides must agree
            checks[name] = await walk()
        for row in TARGETS:
            assert checks[f"{row}.raw"] == checks[f"{row}.sdk"], row
        for _ in range(ROUNDS):
            # A paging sample is 10 short walks, about 60 ms, where the other process's
            # bursts weigh more than on the long walks: it is taken PAGING_SAMPLES times a
            # round (one run's five paired samples gave a median of 1.37 where the medians'
            # ratio was 1.18).
            for _ in range(PAGING_SAMPLES):
                for name, walk in every.items():
                    if name.startswith("paging"):
                        await _sample(samples, name, walk, 10)
            for name, walk in every.items():
                if not name.startswith("paging"):
                    await _sample(samples, name, walk, 1)

    def paired(sdk: str, floor: str) -> float:
        pairs = zip(samples[sdk], samples[floor], strict=True)
        return statistics.median(s / f for s, f in pairs)

    ratios = {row: paired(f"{row}.sdk", f"{row}.raw") for row in TARGETS}
    ratios["paging.json"] = paired("paging.sdk", "paging.json")
    return {k: statistics.median(v) for k, v in samples.items()}, ratios


# --- instruction counts ---------------------------------------------------------------------


async def _walk_marked(url: str, names: list[str]) -> None:
    async with _sides(url) as every:
        for name in names:
            await every[name]()  # warm-up: connection, caches, specialised bytecode
            # Each walk starts from a collected heap, so that it pays for the collections its
            # own objects bring on, not for those of the walk before (without this, the raw
            # rows walk paid for the collections the SDK's message walk had left due).
            gc.collect()
            time.process_time()
            for _ in range(_repeat(name)):
                await every[name]()
            time.process_time()


def _repeat(name: str) -> int:
    return 3 if name.startswith("paging") else 1


def _instructions(url: str) -> dict[str, float] | None:
    """Instructions per walk of each walk (a tenth of the items for the long ones)."""
    if shutil.which("valgrind") is None:
        return None
    names = ["paging.raw", "paging.json", "paging.typed", "paging.sdk"]
    names += ["messages.raw", "messages.sdk"]
    names += ["rows.raw", "rows.sdk"]
    totals = marked_totals(
        "benchmarks.bench_decode",
        [url, *names],
        2 * len(names),
        env={"BENCH_DECODE_ITEMS": str(_tenth())},
    )
    # dumps alternate: start-up or warm-up, then the measured walks of one name
    return {name: totals[2 * i + 1] / _repeat(name) for i, name in enumerate(names)}


def _tenth() -> int:
    return max(ROW_PAGE, ITEMS // 10)


def _report(
    figures: dict[str, float],
    unit: str,
    per: Callable[[str], float],
    ratios: dict[str, float] | None = None,
) -> None:
    """Print each row's SDK figure and its ratio to the floor: ``ratios`` (by row, and
    ``paging.json``) when given, else the ratios of the figures."""
    every = ratios or {
        **{row: figures[f"{row}.sdk"] / figures[f"{row}.raw"] for row in TARGETS},
        "paging.json": figures["paging.sdk"] / figures["paging.json"],
    }
    paging = figures["paging.sdk"]
    print(
        f"  paging 10 x {PAGE} messages, 7 fields read: SDK {paging * per('paging'):,.1f} {unit}"
        f"/walk; vs aiohttp + {JSON_LIBRARY} {every['paging']:.2f} "
        f"(target <= {TARGETS['paging']}), vs aiohttp + json {every['paging.json']:.2f}"
    )
    typed = figures["paging.typed"]
    print(
        f"    of which the typed models: aiohttp + {JSON_LIBRARY} + the SDK's decode into models "
        f"{typed / figures['paging.raw']:.2f} of the raw loop; the SDK's requests and pager "
        f"{paging / typed:.2f} of that"
    )
    for row, what in (("messages", "messages, 7 fields read"), ("rows", "table rows, 1 column")):
        sdk, raw = figures[f"{row}.sdk"], figures[f"{row}.raw"]
        print(
            f"  {what}, per item: SDK {sdk * per(row):,.2f} {unit}, raw {raw * per(row):,.2f} "
            f"{unit}; ratio {every[row]:.2f} (target <= {TARGETS[row]})"
        )


def main() -> None:
    """Print each decode row of the issue's table as a ratio against its floor."""
    print(
        f"SDK JSON library: {JSON_LIBRARY}; pager walks of {ITEMS:,} items stand for the "
        f"issue's 1,000,000 (the cost per item does not depend on the count)"
    )
    with page_server() as url:
        cpu, ratios = asyncio.run(_cpu(url))
        print("client CPU (median of rounds):")
        _report(cpu, "us", lambda row: 1e6 if row == "paging" else 1e6 / ITEMS, ratios)
        counted = _instructions(url)
    if counted is None:
        print("instruction counts: valgrind is not installed")
        return
    tenth = _tenth()
    print(f"instructions (callgrind; the long walks over {tenth:,} items):")
    _report(counted, "instr", lambda row: 1.0 if row == "paging" else 1 / tenth)


if __name__ == "__main__":
    if len(sys.argv) > 2:  # the run under valgrind, see _instructions
        asyncio.run(_walk_marked(sys.argv[1], sys.argv[2:]))
    else:
        main()
