"""Storage transfers retry like API calls: same classifier, Retry-After, budget, logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from botpress_async import AsyncClient, DownloadError, UploadError
from botpress_async.testing import Emulator
from botpress_async.testing._files import FileData

pytestmark = pytest.mark.anyio

UPLOAD = "uploadFileContent"
DOWNLOAD = "downloadFileContent"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A fresh emulator per test."""
    async with Emulator(seed=7) as emulator:
        yield emulator


def client_of(emu: Emulator, **options: object) -> AsyncClient:
    """A client of the emulator whose backoff is short enough for tests."""
    return AsyncClient(
        emu.bak,
        bot_id=emu.bot_id,
        api_url=emu.url,
        initial_retry_delay=0.01,
        max_retry_delay=0.02,
        **options,  # type: ignore[arg-type]
    )


def content_of(emu: Emulator, key: str) -> bytes | None:
    """The bytes the emulator stored under ``key``."""
    for data in emu.store.bots[emu.bot_id].files.values():
        if isinstance(data, FileData) and data.record["key"] == key:
            return data.content
    return None


async def test_put_503_then_success(emu: Emulator) -> None:
    """A 503 from storage is retried, and the second PUT stores the bytes."""
    rule = emu.faults.add("status", operation=UPLOAD, status=503, times=1)
    async with client_of(emu) as client:
        made = await client.files.upload_file("a.txt", b"hello")
    assert rule.fired == 1
    assert made.status == "upload_completed"
    assert content_of(emu, "a.txt") == b"hello"


async def test_put_dropped_after_sending_is_retried(emu: Emulator) -> None:
    """A connection dropped after the PUT was received is retried: the PUT is idempotent."""
    rule = emu.faults.add("reset_after", operation=UPLOAD, times=1)
    async with client_of(emu) as client:
        made = await client.files.upload_file("b.txt", b"again")
    assert rule.fired == 1
    assert made.size == 5
    assert content_of(emu, "b.txt") == b"again"


async def test_download_rate_limited_waits_for_retry_after(emu: Emulator) -> None:
    """A 429 with a short Retry-After on a download is waited for, then retried."""
    async with client_of(emu) as client:
        await client.files.upload_file("c.txt", b"rate")
        rule = emu.faults.add("rate_limit", operation=DOWNLOAD, retry_after=0.05, times=1)
        assert await client.files.download("c.txt") == b"rate"
    assert rule.fired == 1


async def test_retry_after_over_the_limit_is_not_waited(emu: Emulator) -> None:
    """A Retry-After longer than max_retry_after fails the upload at once, saying why."""
    rule = emu.faults.add("rate_limit", operation=UPLOAD, retry_after=30, times=1)
    async with client_of(emu, max_retry_after=1.0) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload_file("d.txt", b"late")
    assert rule.fired == 1
    assert caught.value.status == 429
    assert "max_retry_after" in str(caught.value)
    assert content_of(emu, "d.txt") is None


async def test_spent_budget_stops_storage_retries(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """With the client's retry budget spent, a failing PUT is tried once and a warning logged."""
    rule = emu.faults.add("status", operation=UPLOAD, status=503)
    caplog.set_level(logging.WARNING, logger="botpress")
    async with client_of(emu, retry_budget=0) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload_file("e.txt", b"never")
    assert caught.value.status == 503
    assert rule.fired == 1
    assert any("retry budget is spent" in r.getMessage() for r in caplog.records)


async def test_storage_and_api_retries_share_one_budget(emu: Emulator) -> None:
    """Storage retries spend the same budget as API calls, and successes refill it."""
    emu.faults.add("status", operation=UPLOAD, status=503, times=2)
    async with client_of(emu, retry_budget=100) as client:
        await client.files.upload_file("f.txt", b"shared")
        # Two retries of 5 tokens each, then the upsert's and the PUT's successes refund 1 each.
        assert client.retry_budget.tokens == pytest.approx(100 - 10 + 1)


async def test_download_gives_up_after_max_retries(emu: Emulator) -> None:
    """A download failing every attempt raises DownloadError after 1 + max_retries GETs."""
    async with client_of(emu) as client:
        await client.files.upload_file("g.txt", b"gone")
        rule = emu.faults.add("status", operation=DOWNLOAD, status=500)
        with pytest.raises(DownloadError) as caught:
            await client.files.download("g.txt", max_retries=2)
    assert caught.value.status == 500
    assert rule.fired == 3
