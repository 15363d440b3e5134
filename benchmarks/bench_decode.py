"""Decoding cost: a page of 100 messages through ``client.runtime.list_messages`` into models.

The baseline is what a user would write without the SDK: a raw aiohttp GET of the same page
from the same loopback server (in another process) plus ``json.loads``. The SDK's target is
at most 1.25 times that baseline in client CPU; the SDK side builds the 100 ``Message``
models (fields decode lazily, on first read). Also printed: the same baseline with the SDK's
JSON library (orjson when installed), the SDK reading every field of every message, and the
decode step alone (models, every field read, from a parsed page) against ``json.loads``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from benchmarks._server import json_server
from botpress_async import AsyncClient
from botpress_async._converter import structure
from botpress_async._encoding import JSON_LIBRARY, loads
from botpress_async.models.runtime import ListMessagesResponse

TOKEN = "bp_pat_" + "x" * 40
ROUNDS = 5
CALLS = 300
TARGET = 1.25


def page_of_messages(count: int = 100) -> bytes:
    """A listMessages response with ``count`` realistic messages and a next-page token."""
    messages = [
        {
            "id": f"msg_01J9ZK3XWQ8V4T6N2M5R7P{i:04d}",
            "createdAt": "2026-01-02T03:04:05.000Z",
            "updatedAt": "2026-01-02T03:04:05.000Z",
            "type": "text",
            "payload": {"text": f"Message number {i}: how can I help you with your order today?"},
            "direction": "incoming" if i % 2 else "outgoing",
            "userId": "user_01J9ZK3XWQ8V4T6N2M5R7P0ABC",
            "conversationId": "conv_01J9ZK3XWQ8V4T6N2M5R7P0ABC",
            "tags": {"channel": "web", "locale": "en"},
        }
        for i in range(count)
    ]
    return json.dumps({"messages": messages, "meta": {"nextToken": "token-2"}}).encode()


async def _cpu_per_call(call: Callable[[], Awaitable[object]], calls: int) -> float:
    """Client CPU seconds per call, after a warm-up."""
    for _ in range(30):
        await call()
    start = time.process_time()
    for _ in range(calls):
        await call()
    return (time.process_time() - start) / calls


async def _measure(url: str) -> dict[str, float]:
    headers = {"authorization": "Bearer " + TOKEN, "x-bot-id": "bot_1"}
    target = url + "/v1/chat/messages?conversationId=conv_1"
    samples: dict[str, list[float]] = {"stdlib": [], "same_json": [], "sdk": [], "all": []}
    async with aiohttp.ClientSession() as session:

        async def raw_stdlib() -> Any:
            async with session.get(target, headers=headers) as resp:
                return json.loads(await resp.read())

        async def raw_same_json() -> Any:
            async with session.get(target, headers=headers) as resp:
                return loads(await resp.read())

        async with AsyncClient(TOKEN, bot_id="bot_1", api_url=url) as client:

            async def sdk() -> Any:
                page = await client.runtime.list_messages(conversation_id="conv_1")
                messages = page.messages  # builds the 100 Message models
                assert len(messages) == 100
                assert messages[-1].id
                return page

            async def sdk_all_fields() -> Any:
                page = await client.runtime.list_messages(conversation_id="conv_1")
                for m in page.messages:
                    _ = (m.id, m.created_at, m.updated_at, m.type, m.payload, m.direction)
                    _ = (m.user_id, m.conversation_id, m.tags, m.origin)
                return page

            # Interleave rounds so drifts of a shared machine hit every side alike.
            for _ in range(ROUNDS):
                samples["stdlib"].append(await _cpu_per_call(raw_stdlib, CALLS))
                samples["same_json"].append(await _cpu_per_call(raw_same_json, CALLS))
                samples["sdk"].append(await _cpu_per_call(sdk, CALLS))
                samples["all"].append(await _cpu_per_call(sdk_all_fields, CALLS))
    return {k: statistics.median(v) for k, v in samples.items()}


def _decode_only(body: bytes, repeat: int = 300) -> tuple[float, float]:
    """Seconds per page: ``json.loads`` of the bytes, and models (fields read) from parsed JSON."""
    parsed = json.loads(body)

    def build() -> None:
        for m in structure(parsed, ListMessagesResponse).messages:
            _ = (m.id, m.created_at, m.updated_at, m.type, m.payload, m.direction)
            _ = (m.user_id, m.conversation_id, m.tags, m.origin)

    loads_times, model_times = [], []
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(repeat):
            json.loads(body)
        loads_times.append((time.process_time() - start) / repeat)
        start = time.process_time()
        for _ in range(repeat):
            build()
        model_times.append((time.process_time() - start) / repeat)
    return statistics.median(loads_times), statistics.median(model_times)


def main() -> None:
    """Print client CPU per page for the baselines and the SDK, and the ratios."""
    body = page_of_messages()
    with json_server(body) as url:
        result = asyncio.run(_measure(url))
    base, same, sdk = result["stdlib"], result["same_json"], result["sdk"]
    ratio = sdk / base
    print(f"page: 100 messages, {len(body)} bytes; SDK JSON library: {JSON_LIBRARY}")
    print(f"aiohttp + json.loads        {base * 1e6:9.1f} us/page (baseline)")
    print(f"aiohttp + {JSON_LIBRARY:<17} {same * 1e6:9.1f} us/page")
    print(f"client.runtime.list_messages{sdk * 1e6:9.1f} us/page (models built)")
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f"ratio SDK / baseline: {ratio:.2f} (target <= {TARGET}) {verdict}")
    print(f"ratio SDK / aiohttp + {JSON_LIBRARY}: {sdk / same:.2f}")
    every = result["all"]
    print(
        f"reading all 10 fields of all 100 messages too: {every * 1e6:.1f} us/page, "
        f"{every / base:.2f} of the baseline"
    )
    loads_s, models_s = _decode_only(body)
    print(
        f"decode only: json.loads {loads_s * 1e6:.1f} us, models with every field read "
        f"{models_s * 1e6:.1f} us ({models_s / loads_s:.2f} of json.loads)"
    )


if __name__ == "__main__":
    main()
