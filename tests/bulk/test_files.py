"""File uploads and downloads: content sources, the storage PUT on the wire, errors, bulk."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import botpress_sync
from botpress_async import (
    AsyncClient,
    ConfigurationError,
    DownloadError,
    ResponseTooLargeError,
    UploadError,
)
from botpress_async._upload import guess_content_type, upload_headers, wire_expiry
from botpress_async.testing import Emulator
from botpress_async.testing._files import FileData

pytestmark = pytest.mark.anyio

FAKE_BAK = "bp_bak_" + "x" * 40
SIGNED_QUERY = "X-Amz-Credential=a%2Fb%3Dc&X-Amz-Signature=s%2B1"


# -- the emulator --------------------------------------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A fresh emulator per test."""
    async with Emulator(seed=5) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncClient]:
    """A client of the emulator with a Bot Access Key."""
    async with AsyncClient(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as c:
        yield c


def stored(emu: Emulator) -> dict[str, bytes | None]:
    """The emulator's files of the bot: key to uploaded bytes."""
    files = emu.store.bots[emu.bot_id].files.values()
    return {f.record["key"]: f.content for f in files if isinstance(f, FileData)}


# -- a fake API and storage host on loopback, to see exact requests ------------------------


@attrs.define
class Request:
    """One request as the fake received it; ``body`` is kept only when small."""

    method: str
    raw_path: str
    query: str
    headers: dict[str, str]
    size: int
    sha256: str
    body: bytes


@attrs.define
class Fake:
    """A loopback API (upsertFile, getFile) and storage host (upload and blob paths)."""

    url: str = ""
    seen: list[Request] = attrs.Factory(list)
    upserts: list[dict[str, Any]] = attrs.Factory(list)
    #: Answers of the storage routes, in order: a status, or "drop" to reset the connection.
    storage_answers: list[int | str] = attrs.Factory(list)
    record_content_type: str | None = None
    download_url: str = ""
    blob: bytes = b""

    def record(self, key: str, **extra: Any) -> dict[str, Any]:
        """A file record in the API's shape."""
        return {
            "id": "file_01",
            "botId": "bot_1",
            "key": key,
            "url": self.download_url or f"{self.url}/blob/file_01?{SIGNED_QUERY}",
            "size": None,
            "contentType": "application/octet-stream",
            "tags": {},
            "metadata": {},
            "createdAt": "2024-01-01T00:00:00.000Z",
            "updatedAt": "2024-01-01T00:00:00.000Z",
            "accessPolicies": [],
            "index": False,
            "status": "upload_pending",
            "owner": {"type": "bot", "id": "bot_1"},
            **extra,
        }

    def storage(self, path: str, method: str) -> list[Request]:
        """Requests the storage routes received."""
        return [r for r in self.seen if r.raw_path.startswith(path) and r.method == method]


FAKE_KEY = web.AppKey("fake", Fake)


async def _fake_handler(request: web.Request) -> web.StreamResponse:
    fake = request.app[FAKE_KEY]
    digest, size, kept = hashlib.sha256(), 0, bytearray()
    async for chunk in request.content.iter_chunked(65536):
        digest.update(chunk)
        size += len(chunk)
        if len(kept) < 65536:
            kept += chunk[: 65536 - len(kept)]
    raw_path, _, query = request.raw_path.partition("?")
    headers = {k.lower(): v for k, v in request.headers.items()}
    fake.seen.append(
        Request(request.method, raw_path, query, headers, size, digest.hexdigest(), bytes(kept))
    )
    if raw_path == "/v1/files" and request.method == "PUT":
        sent = json.loads(bytes(kept))
        fake.upserts.append(sent)
        upload = f"{fake.url}/bucket/{quote(sent['key'])}?{SIGNED_QUERY}"
        ctype = fake.record_content_type or sent.get("contentType")
        record = fake.record(sent["key"], contentType=ctype, uploadUrl=upload)
        return web.json_response({"file": record})
    if raw_path.startswith("/v1/files/") and request.method == "GET":
        return web.json_response({"file": fake.record("from-get.txt")})
    if raw_path.startswith(("/bucket/", "/blob/")):
        answer = fake.storage_answers.pop(0) if fake.storage_answers else 200
        if answer == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=200)
        assert isinstance(answer, int)
        if answer >= 300:
            return web.Response(status=answer, text="<Error><Code>AccessDenied</Code></Error>")
        if raw_path.startswith("/blob/"):
            return web.Response(body=fake.blob, content_type="text/plain")
        return web.Response(status=answer)
    return web.json_response({"type": "ResourceNotFound", "message": "no route"}, status=404)


@pytest.fixture
async def make_fake() -> AsyncIterator[Callable[[], Awaitable[Fake]]]:
    """Start fakes on demand (each its own origin); all are closed at the end."""
    servers: list[TestServer] = []

    async def start() -> Fake:
        app = web.Application()
        fake = Fake()
        app[FAKE_KEY] = fake
        app.router.add_route("*", "/{tail:.*}", _fake_handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        fake.url = str(server.make_url("")).rstrip("/")
        return fake

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def fake(make_fake: Callable[[], Awaitable[Fake]]) -> Fake:
    """One fake API and storage host."""
    return await make_fake()


def fake_client(fake: Fake, **kwargs: Any) -> AsyncClient:
    """A client of the fake whose retries wait milliseconds."""
    kwargs.setdefault("initial_retry_delay", 0.001)
    kwargs.setdefault("max_retry_delay", 0.005)
    return AsyncClient(FAKE_BAK, bot_id="bot_1", api_url=fake.url, **kwargs)


# -- content sources -----------------------------------------------------------------------


class OneWay(io.RawIOBase):
    """A readable stream that cannot seek, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def agen(data: bytes, step: int = 7) -> AsyncIterator[bytes]:
    """The bytes as an async stream of small chunks."""
    for i in range(0, len(data), step):
        yield data[i : i + step]


def gen(data: bytes, step: int = 5) -> Iterator[bytes]:
    """The bytes as a sync stream of small chunks."""
    for i in range(0, len(data), step):
        yield data[i : i + step]


TEXT = "héllo wörld, ünïcode\n" * 3
DATA = TEXT.encode("utf-8")


def _source(name: str, tmp_path: Path) -> Any:
    path = tmp_path / "source.bin"
    path.write_bytes(DATA)
    at_offset = io.BytesIO(b"SKIPPED" + DATA)
    at_offset.seek(len(b"SKIPPED"))
    makers: dict[str, Callable[[], Any]] = {
        "bytes": lambda: DATA,
        "bytearray": lambda: bytearray(DATA),
        "memoryview": lambda: memoryview(DATA),
        "str": lambda: TEXT,
        "path": lambda: path,
        "open file": lambda: path.open("rb"),
        "bytesio from its position": lambda: at_offset,
        "unseekable stream": lambda: io.BufferedReader(OneWay(DATA)),
        "iterable": lambda: gen(DATA),
        "async iterable": lambda: agen(DATA),
    }
    return makers[name]()


SOURCE_NAMES = [
    "bytes",
    "bytearray",
    "memoryview",
    "str",
    "path",
    "open file",
    "bytesio from its position",
    "unseekable stream",
    "iterable",
    "async iterable",
]


@pytest.mark.parametrize("source", SOURCE_NAMES)
async def test_every_content_source_uploads_its_bytes(
    client: AsyncClient, emu: Emulator, tmp_path: Path, source: str
) -> None:
    """Each kind of content reaches storage byte for byte, with its size in the record."""
    content = _source(source, tmp_path)
    try:
        made = await client.files.upload_file("docs/note.txt", content)
    finally:
        if hasattr(content, "close"):
            content.close()
    assert (made.key, made.size, made.status) == ("docs/note.txt", len(DATA), "upload_completed")
    assert stored(emu) == {"docs/note.txt": DATA}
    assert await client.files.download(made.id) == DATA


def _upserted(**changes: Any) -> Any:
    """The ``file`` of an ``upsertFile`` answer, decoded, with ``changes`` to its JSON."""
    from botpress_async._converter import structure
    from botpress_async.models.files import UpsertFileResponse

    wire: dict[str, Any] = {
        "id": "file_1",
        "botId": "bot_1",
        "key": "docs/a.txt",
        "url": "https://files.example/a",
        "size": None,
        "contentType": "text/plain",
        "tags": {"a": "1"},
        "metadata": {},
        "createdAt": "2024-01-01T00:00:00Z",
        "updatedAt": "2024-01-01T00:00:00Z",
        "accessPolicies": [],
        "index": True,
        "status": "upload_pending",
        "owner": {"type": "bot", "id": "bot_1"},
        "uploadUrl": "https://storage.example/put",
        **changes,
    }
    return structure({"file": wire}, UpsertFileResponse).file


def test_the_uploaded_record_is_made_from_the_upserted_fields() -> None:
    """The returned File has the upload's size and status, the upserted fields, no upload URL."""
    from botpress_async._upload import _uploaded_record
    from botpress_async.models.files import File

    record = _upserted()
    made = _uploaded_record(record, 12)
    assert type(made) is File
    assert (made.size, made.status) == (12, "indexing_pending")
    assert (made.id, made.key, made.tags, made.owner) == (
        "file_1",
        "docs/a.txt",
        {"a": "1"},
        record.owner,
    )
    assert "uploadUrl" not in made.to_dict()
    assert made.to_dict()["size"] == 12
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.size = 1  # type: ignore[misc]


def test_an_unusual_upserted_record_keeps_what_the_server_sent() -> None:
    """Unknown fields stay in the returned File; a malformed field breaks only itself."""
    from botpress_async import MalformedFieldError
    from botpress_async._upload import _uploaded_record

    newer = _uploaded_record(_upserted(fromANewerServer=1, index=False), 3)
    assert newer.extra_fields == {"fromANewerServer": 1}
    assert (newer.size, newer.status) == (3, "upload_completed")
    broken = _uploaded_record(_upserted(owner="not an object"), 3)
    assert (broken.key, broken.size) == ("docs/a.txt", 3)
    with pytest.raises(MalformedFieldError):
        _ = broken.owner


async def test_url_content_is_fetched_without_the_token(fake: Fake, client: AsyncClient) -> None:
    """``url=`` fetches the bytes with a plain GET (no Authorization) and uploads them."""
    fake.blob = b"fetched bytes"
    made = await client.files.upload_file("copy.bin", url=f"{fake.url}/blob/x?{SIGNED_QUERY}")
    assert made.size == len(b"fetched bytes")
    assert await client.files.download(made.id) == b"fetched bytes"
    (get,) = fake.storage("/blob/", "GET")
    assert get.query == SIGNED_QUERY
    assert "authorization" not in get.headers
    assert "x-bot-id" not in get.headers


async def test_url_that_fails_raises_download_error_and_upserts_nothing(
    fake: Fake, client: AsyncClient, emu: Emulator
) -> None:
    """A url answering 404 raises DownloadError, without the signature, before any upsert."""
    fake.storage_answers = [404]
    with pytest.raises(DownloadError) as caught:
        await client.files.upload_file("x.bin", url=f"{fake.url}/blob/x?{SIGNED_QUERY}")
    assert caught.value.status == 404
    assert "Signature" not in str(caught.value)
    assert stored(emu) == {}


async def test_large_file_streams_from_disk(fake: Fake, tmp_path: Path) -> None:
    """A file over the inline limit is sent in chunks, never held whole in memory."""
    size = 6 * 1024 * 1024
    path = tmp_path / "big.bin"
    with path.open("wb") as out:
        for i in range(size // 65536):
            out.write(bytes([i % 251]) * 65536)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    async with fake_client(fake) as client:
        tracemalloc.start()
        try:
            made = await client.files.upload_file("big.bin", path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    (put,) = fake.storage("/bucket/", "PUT")
    assert (put.size, put.sha256, put.headers["content-length"]) == (size, expected, str(size))
    assert made.size == size
    assert peak < size // 3


# -- the storage PUT on the wire -----------------------------------------------------------


async def test_put_goes_verbatim_without_token_or_context(fake: Fake) -> None:
    """The PUT uses uploadUrl as given, the record's content type, and no Authorization."""
    fake.record_content_type = "text/markdown"
    async with fake_client(fake, headers={"x-custom": "1"}) as client:
        await client.files.upload_file("notes/a b.md", b"# hi")
    (upsert,) = fake.upserts
    assert upsert == {"key": "notes/a b.md", "size": 4, "contentType": "text/markdown"}
    (put,) = fake.storage("/bucket/", "PUT")
    assert (put.raw_path, put.query) == ("/bucket/notes/a%20b.md", SIGNED_QUERY)
    assert put.body == b"# hi"
    assert put.headers["content-type"] == "text/markdown"
    assert put.headers["content-length"] == "4"
    for header in ("authorization", "x-bot-id", "x-amz-tagging", "x-custom"):
        assert header not in put.headers


async def test_public_upload_is_tagged_and_marked_public(fake: Fake) -> None:
    """public=True asks for public content readable at once and tags the PUT so."""
    async with fake_client(fake) as client:
        await client.files.upload_file(
            "logo.png", b"\x89PNG", public=True, tags={"kind": "logo"}, index=False
        )
    (upsert,) = fake.upserts
    assert upsert["accessPolicies"] == ["public_content"]
    assert upsert["publicContentImmediatelyAccessible"] is True
    assert upsert["contentType"] == "image/png"
    assert upsert["tags"] == {"kind": "logo"}
    (put,) = fake.storage("/bucket/", "PUT")
    assert put.headers["x-amz-tagging"] == "public=true"


async def test_put_is_retried_after_503_and_a_reset(fake: Fake, tmp_path: Path) -> None:
    """A 503 and a dropped connection are retried, the content resent whole each time."""
    fake.storage_answers = [503, "drop", 200]
    path = tmp_path / "f.txt"
    path.write_bytes(b"resend me")
    async with fake_client(fake) as client:
        made = await client.files.upload_file("f.txt", path)
    puts = fake.storage("/bucket/", "PUT")
    assert [p.body for p in puts] == [b"resend me"] * 3
    assert made.status == "upload_completed"


async def test_failed_put_raises_upload_error_with_the_record(fake: Fake) -> None:
    """A refused PUT raises UploadError carrying the upserted record, status and body."""
    fake.storage_answers = [403]
    async with fake_client(fake) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload_file("a.txt", b"x")
    error = caught.value
    assert (error.status, error.file.id, error.file.key) == (403, "file_01", "a.txt")
    assert "AccessDenied" in error.body
    assert "Signature" not in str(error)
    assert len(fake.storage("/bucket/", "PUT")) == 1


class Shrunk(io.RawIOBase):
    """A seekable file that claims 2 MiB but ends after 100 bytes, like a file cut meanwhile."""

    def __init__(self) -> None:
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = 2 * 1024 * 1024 + offset if whence == io.SEEK_END else offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), 100 - self._pos))
        buffer[:n] = b"s" * n
        self._pos += n
        return n


async def test_content_shorter_than_measured_fails_without_retry(fake: Fake) -> None:
    """Content that ends before its measured size fails the upload at once, not retried."""
    async with fake_client(fake) as client:
        with pytest.raises(UploadError, match="did the file change") as caught:
            await client.files.upload_file("cut.bin", Shrunk())
    assert caught.value.status is None
    assert caught.value.__cause__ is not None
    (upsert,) = fake.upserts
    assert upsert["size"] == 2 * 1024 * 1024
    assert len(fake.storage("/bucket/", "PUT")) <= 1


async def test_put_gives_up_after_max_retries(fake: Fake) -> None:
    """Storage failing every attempt raises UploadError after 1 + max_retries PUTs."""
    fake.storage_answers = [500, 500, 500, 500]
    async with fake_client(fake) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload_file("a.txt", b"x", max_retries=2)
    assert caught.value.status == 500
    assert len(fake.storage("/bucket/", "PUT")) == 3


# -- bad input -----------------------------------------------------------------------------


def _bad_calls(tmp_path: Path) -> dict[str, tuple[type[Exception], dict[str, Any]]]:
    return {
        "empty key": (ConfigurationError, {"key": "", "content": b"x"}),
        "blank key": (ConfigurationError, {"key": "  ", "content": b"x"}),
        "key not str": (TypeError, {"key": 5, "content": b"x"}),
        "neither": (ConfigurationError, {"key": "k"}),
        "both": (ConfigurationError, {"key": "k", "content": b"x", "url": "http://h/x"}),
        "url not http": (ConfigurationError, {"key": "k", "url": "file:///etc/passwd"}),
        "missing path": (ConfigurationError, {"key": "k", "content": tmp_path / "nope"}),
        "directory path": (ConfigurationError, {"key": "k", "content": tmp_path}),
        "int content": (TypeError, {"key": "k", "content": 42}),
        "dict content": (TypeError, {"key": "k", "content": {"a": 1}}),
        "str chunks": (TypeError, {"key": "k", "content": iter(["a", "b"])}),
        "text file": (TypeError, {"key": "k", "content": io.StringIO("text")}),
        "bad content type": (
            ConfigurationError,
            {"key": "k", "content": b"x", "content_type": "a\nb"},
        ),
        "naive expiry": (
            ConfigurationError,
            {"key": "k", "content": b"x", "expires_at": dt.datetime(2030, 1, 1)},
        ),
    }


BAD_NAMES = list(_bad_calls(Path(".")).keys())


@pytest.mark.parametrize("case", BAD_NAMES)
async def test_bad_input_fails_before_sending(fake: Fake, tmp_path: Path, case: str) -> None:
    """Bad arguments raise a clear error and no request leaves."""
    error, kwargs = _bad_calls(tmp_path)[case]
    async with fake_client(fake) as client:
        with pytest.raises(error):
            await client.files.upload_file(**kwargs)
    assert fake.seen == []


async def test_unreadable_path_names_the_file(fake: Fake, tmp_path: Path) -> None:
    """A path that cannot be read is refused with its name in the message."""
    async with fake_client(fake) as client:
        with pytest.raises(ConfigurationError, match=r"nope\.bin"):
            await client.files.upload_file("k", tmp_path / "nope.bin")


# -- pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a.txt", "text/plain"),
        ("docs/guide.pdf", "application/pdf"),
        ("data.json", "application/json"),
        ("photo.PNG", "image/png"),
        ("archive.tar.gz", "application/gzip"),
        ("no-extension", "application/octet-stream"),
        ("dir.v2/no-extension", "application/octet-stream"),
        ("data:weird.csv", "text/csv"),
    ],
)
def test_content_type_is_guessed_from_the_key(key: str, expected: str) -> None:
    """The key's extension gives the content type; octet-stream when unknown."""
    assert guess_content_type(key) == expected


async def test_inferred_and_explicit_content_types_reach_the_record(client: AsyncClient) -> None:
    """The guessed type is used when none is given, and a given one wins."""
    guessed = await client.files.upload_file("page.html", b"<p>")
    given = await client.files.upload_file("page2.html", b"<p>", content_type="text/x-custom")
    assert (guessed.content_type, given.content_type) == ("text/html", "text/x-custom")


def test_upload_headers_and_expiry_encoding() -> None:
    """The PUT headers carry the length and tag; datetimes become UTC ISO strings."""
    assert upload_headers("a/b", 3, public=False) == {"content-type": "a/b", "content-length": "3"}
    assert upload_headers("a/b", 3, public=True)["x-amz-tagging"] == "public=true"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    when = dt.datetime(2030, 1, 1, 2, 0, tzinfo=plus_two)
    assert wire_expiry(when) == "2030-01-01T00:00:00.000Z"
    assert wire_expiry("2030-01-01T00:00:00Z") == "2030-01-01T00:00:00Z"


# -- downloads -----------------------------------------------------------------------------


async def test_download_to_a_path_and_a_directory(client: AsyncClient, tmp_path: Path) -> None:
    """Streaming to a path writes the file whole and leaves no partial file behind."""
    made = await client.files.upload_file("reports/q1.csv", b"a,b\n1,2\n")
    target = await client.files.download(made.id, path=tmp_path / "out.csv", chunk_size=3)
    assert target == tmp_path / "out.csv"
    assert target.read_bytes() == b"a,b\n1,2\n"
    into_dir = await client.files.download(made, path=tmp_path)
    assert into_dir == tmp_path / "q1.csv"
    assert into_dir.read_bytes() == b"a,b\n1,2\n"
    assert sorted(os.listdir(tmp_path)) == ["out.csv", "q1.csv"]


async def test_download_in_memory_respects_the_size_cap(emu: Emulator, tmp_path: Path) -> None:
    """An in-memory download over max_response_size raises; to a path it works."""
    async with AsyncClient(
        emu.bak, bot_id=emu.bot_id, api_url=emu.url, max_response_size=10_000
    ) as client:
        made = await client.files.upload_file("big.bin", b"z" * 20_000)
        with pytest.raises(ResponseTooLargeError):
            await client.files.download(made.id)
        target = await client.files.download(made.key, path=tmp_path / "big.bin")
    assert target.stat().st_size == 20_000


async def test_download_sends_the_token_only_to_the_api_origin(
    make_fake: Callable[[], Awaitable[Fake]],
) -> None:
    """A url on the API's origin gets the token; a url on another origin does not."""
    api = await make_fake()
    other = await make_fake()
    api.blob = other.blob = b"payload"
    async with fake_client(api) as client:
        assert await client.files.download("file_01") == b"payload"
        api.download_url = f"{other.url}/blob/file_01?{SIGNED_QUERY}"
        assert await client.files.download("file_01") == b"payload"
    (same,) = api.storage("/blob/", "GET")
    (elsewhere,) = other.storage("/blob/", "GET")
    assert same.headers["authorization"] == "Bearer " + FAKE_BAK
    assert "authorization" not in elsewhere.headers
    assert "x-bot-id" not in elsewhere.headers
    assert elsewhere.query == SIGNED_QUERY


async def test_download_of_an_expired_record_refreshes_its_url(fake: Fake) -> None:
    """A record whose url is refused (403) is fetched again with getFile, once."""
    fake.blob = b"fresh"
    fake.storage_answers = [403]
    async with fake_client(fake) as client:
        old = (await client.files.get_file(id="file_01")).file
        assert await client.files.download(old) == b"fresh"
    assert len(fake.storage("/blob/", "GET")) == 2


async def test_download_failure_raises_download_error(fake: Fake, tmp_path: Path) -> None:
    """A refused download raises DownloadError and leaves nothing at the path."""
    fake.storage_answers = [404]
    async with fake_client(fake) as client:
        with pytest.raises(DownloadError) as caught:
            await client.files.download("file_01", path=tmp_path / "x.bin")
    assert caught.value.status == 404
    assert os.listdir(tmp_path) == []


# -- many files ----------------------------------------------------------------------------


async def test_upload_files_takes_mappings_and_pairs_and_reports_bad_items(
    client: AsyncClient, emu: Emulator
) -> None:
    """Both item forms upload; a malformed item fails alone and is reported."""
    items: list[Any] = [
        {"key": "m.txt", "content": b"mapping", "tags": {"a": "1"}},
        ("p.txt", b"pair"),
        ("bad",),
        {"key": "", "content": b"empty key"},
    ]
    result = await client.files.upload_files(items, keep_results=True)
    assert result.total == 4
    assert sorted(item_key(i) for i, _ in result.succeeded) == ["m.txt", "p.txt"]
    assert [(f.index, type(f.error)) for f in result.failed] == [
        (2, ConfigurationError),
        (3, ConfigurationError),
    ]
    assert stored(emu) == {"m.txt": b"mapping", "p.txt": b"pair"}


async def test_upload_files_keeps_no_record_by_default(client: AsyncClient, emu: Emulator) -> None:
    """A default upload job counts the files it stored and holds neither their contents nor
    their records, so that thousands of files take no more memory than a few."""
    result = await client.files.upload_files((f"d/{n}.txt", b"x" * n) for n in range(12))
    assert (result.ok, result.succeeded_count, result.succeeded) == (True, 12, [])
    assert stored(emu) == {f"d/{n}.txt": b"x" * n for n in range(12)}


def item_key(item: Any) -> str:
    """The key of an upload item, whichever form it has."""
    return str(item["key"] if isinstance(item, dict) else item[0])


async def test_500_uploads_under_faults_store_each_file_once_with_its_bytes() -> None:
    """With 503s, 429s, resets after processing and slow answers, all 500 files arrive intact."""
    expected = {f"bulk/{i:03d}.txt": f"file {i};".encode() * (i % 9 + 1) for i in range(500)}
    async with Emulator(seed=2024) as emu:
        emu.faults.add("status", status=503, probability=0.05)
        emu.faults.add("rate_limit", retry_after=0.05, probability=0.03)
        emu.faults.add("reset_after", probability=0.01)
        emu.faults.add("slow", delay=0.02, probability=0.05)
        async with AsyncClient(
            emu.bak,
            bot_id=emu.bot_id,
            api_url=emu.url,
            max_retries=8,
            initial_retry_delay=0.005,
            max_retry_delay=0.05,
        ) as client:
            items: list[Any] = [
                {"key": key, "content": data} if n % 2 else (key, data)
                for n, (key, data) in enumerate(expected.items())
            ]
            result = await client.files.upload_files(items, concurrency=16, keep_results=True)
        faults = [entry.fault for entry in emu.log if entry.fault]
        assert result.ok, result.failed[:3]
        assert result.total == result.succeeded_count == 500
        assert sorted(f.key for _, f in result.succeeded) == sorted(expected)
        assert stored(emu) == expected
        assert {"status", "rate_limit", "reset_after"} <= {k for f in faults for k in f.split(",")}
        assert result.throttled > 0


# -- the blocking facade -------------------------------------------------------------------


def test_sync_facade_uploads_and_downloads(botpress_emulator: Emulator, tmp_path: Path) -> None:
    """botpress_sync.Client uploads (one and many) and downloads through the same helpers."""
    emu = botpress_emulator
    with botpress_sync.Client(emu.bak, bot_id=emu.bot_id, api_url=emu.url) as client:
        made = client.files.upload_file("sync.txt", gen(b"from blocking code"))
        assert made.size == len(b"from blocking code")
        assert client.files.download(made.id) == b"from blocking code"
        target = client.files.download("sync.txt", path=tmp_path)
        assert isinstance(target, Path)
        assert target.read_bytes() == b"from blocking code"
        result = client.files.upload_files([("s1.txt", b"1"), ("s2.txt", b"2")])
        assert result.ok
        assert result.succeeded_count == 2
    assert stored(emu)["s2.txt"] == b"2"
