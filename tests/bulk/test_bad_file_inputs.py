"""Uploads, downloads and request options given what they cannot use, by the caller or by the
server: each ends in the SDK's own error, never a bare TypeError, ValueError or UnicodeError,
and a caller's mistake is refused before anything is sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from botpress_async import (
    AsyncClient,
    ConfigurationError,
    ResponseDecodeError,
    UploadError,
)
from tests.loopback import FAKE_BAK, Script

pytestmark = pytest.mark.anyio

FAR_EAST = dt.timezone(dt.timedelta(hours=5))
FAR_WEST = dt.timezone(dt.timedelta(hours=-5))


def record(**changes: Any) -> dict[str, Any]:
    """A file record as upsertFile and getFile answer it."""
    made = {
        "id": "file_1",
        "botId": "bot",
        "key": "docs/a.txt",
        "url": "http://127.0.0.1:9/download/a.txt",
        "size": 5,
        "contentType": "text/plain",
        "tags": {},
        "metadata": {},
        "createdAt": "2026-01-02T03:04:05.000Z",
        "updatedAt": "2026-01-02T03:04:05.000Z",
        "accessPolicies": [],
        "index": False,
        "status": "upload_pending",
        "owner": {"type": "bot", "id": "bot"},
        "uploadUrl": "http://127.0.0.1:9/upload/a.txt?signature=s3cr3t",
    }
    made.update(changes)
    return made


def client_for(server: Script) -> AsyncClient:
    return AsyncClient(FAKE_BAK, bot_id="bot", api_url=server.url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"content": "caf\ud800"}, "lone surrogate"),
        ({"content": Path("a\0b")}, "cannot read"),
        ({"content": Path("\ud800")}, "cannot read"),
        ({"url": "http://[::1"}, "does not parse"),
        ({"url": "http://127.0.0.1:99999/a"}, "does not parse"),
        ({"url": "http://xn--a/"}, "does not parse"),
        ({"url": "http:///no-host"}, "names no host"),
        (
            {"content": b"x", "expires_at": dt.datetime.max.replace(tzinfo=FAR_WEST)},
            "no UTC form",
        ),
        ({"content": b"x", "public": True, "access_policies": 5}, "access_policies must be"),
        (
            {"content": b"x", "public": True, "access_policies": "integrations"},
            "access_policies must be",
        ),
    ],
)
async def test_an_upload_refuses_what_it_cannot_send(
    server: Script, kwargs: dict[str, Any], message: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match=message):
            await client.files.upload_file("docs/a.txt", **kwargs)
    assert server.seen == [], "nothing may be sent for a refused upload"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uploadUrl": 5}, "uploadUrl that cannot be requested.*int, not a string"),
        ({"uploadUrl": None}, "uploadUrl that cannot be requested"),
        ({"uploadUrl": "http://[::1?signature=s3cr3t"}, "does not parse"),
        ({"uploadUrl": "http://127.0.0.1:99999/u?signature=s3cr3t"}, "does not parse"),
        ({"uploadUrl": "ftp://127.0.0.1/u?signature=s3cr3t"}, "not an http or https URL"),
        ({"contentType": 5}, "contentType that cannot be sent"),
        ({"contentType": "text/plain\r\nx-evil: 1"}, "contentType that cannot be sent"),
    ],
)
async def test_an_upload_record_that_cannot_be_used_is_an_upload_error(
    server: Script, changes: dict[str, Any], message: str
) -> None:
    """The record was made, so the error carries it; the bytes go nowhere."""
    server.reply(200, {"file": record(**changes)})
    async with client_for(server) as client:
        with pytest.raises(UploadError, match=message) as caught:
            await client.files.upload_file("docs/a.txt", b"hello")
    assert isinstance(caught.value.__cause__, ResponseDecodeError)
    assert caught.value.file.id == "file_1"
    assert "s3cr3t" not in str(caught.value), "a presigned URL's signature is a secret"
    assert [s.path for s in server.seen] == ["/v1/files"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": 5}, "url that cannot be requested"),
        ({"url": None}, "url that cannot be requested"),
        ({"url": "http://[::1"}, "does not parse"),
        ({"url": "http://xn--a/file"}, "does not parse"),
    ],
)
async def test_a_download_of_a_record_without_a_usable_url(
    server: Script, tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    server.reply(200, {"file": record(**changes)})
    async with client_for(server) as client:
        with pytest.raises(ResponseDecodeError, match=message):
            await client.files.download("file_1")


async def test_a_download_into_a_directory_needs_a_key_that_is_text(
    server: Script, tmp_path: Path
) -> None:
    server.reply(200, {"file": record(key=5)})
    async with client_for(server) as client:
        with pytest.raises(ResponseDecodeError, match="key of type int"):
            await client.files.download("file_1", path=tmp_path)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("a\0b", "NUL character"),
        ("\ud800", "cannot be a file name"),
        ("missing-dir/a.txt", "does not exist"),
    ],
)
async def test_a_download_path_that_cannot_be_written_is_refused_first(
    server: Script, tmp_path: Path, where: str, message: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match=message):
            await client.files.download("file_1", path=str(tmp_path / where))
    assert server.seen == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": [("a", "b")]}, "query parameters must be a mapping"),
        ({"query": {"n": 10**5000}}, "too large"),
        ({"query": {"at": dt.datetime.min.replace(tzinfo=FAR_EAST)}}, "no UTC form"),
        ({"headers": [("x-a", "b")]}, "headers must be a mapping"),
    ],
)
async def test_raw_request_options_of_the_wrong_shape(
    server: Script, kwargs: dict[str, Any], message: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match=message):
            await client.request("GET", "/v1/chat/users", **kwargs)
    assert server.seen == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extra_query": "a=b"}, "extra_query must be a mapping"),
        ({"extra_headers": [("x-a", "b")]}, "extra_headers must be a mapping"),
        ({"extra_body": [1]}, "extra_body must be a mapping"),
    ],
)
async def test_extra_options_of_the_wrong_shape(
    server: Script, kwargs: dict[str, Any], message: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(ConfigurationError, match=message):
            await client.tables.create_table(name="T", schema={}, **kwargs)
        with pytest.raises(ConfigurationError, match="too large to be an id"):
            await client.tables.get_table(table=10**5000)  # type: ignore[arg-type]
    assert server.seen == []
