"""Uploading a file: the record through ``upsertFile``, then its bytes to the presigned URL.

::

    file = await client.files.upload_file("docs/a.pdf", Path("a.pdf"))

An upload is two requests. ``upsertFile`` (an ordinary API call, retried like any other)
creates or replaces the record and answers with a presigned ``uploadUrl`` on the storage host;
the bytes then go there in a plain ``PUT`` that carries no ``Authorization`` and no context
header. That PUT goes through the client's transport (``client.transport``) under the SDK's
retry loop (see `_storage`): it is idempotent, so connection failures, 429 and 5xx answers
are retried under the client's retry policy and budget, and the content is reopened from its
start for each attempt.

The size goes into the upsert, so it is known before anything is sent: from the length, from
``stat``, from ``seek``/``tell``, or by spooling a stream into a
`tempfile.SpooledTemporaryFile` (memory stays bounded). Large files stream from disk.

`upload_file` returns the upserted record with the size and status the upload gave it: that
saves the ``getFile`` a fresh record would cost per file. Call ``get_file`` to see later
changes, such as indexing finishing.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import mimetypes
import os
import stat
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

import aiohttp
from anyio import to_thread

from ._encoding import check_text
from ._errors import ArgumentTypeError, ConfigurationError, ResponseDecodeError
from ._retry import RetryPolicy
from ._session import Transport
from ._storage import (
    TRANSFER_ERRORS,
    DownloadError,
    Failed,
    StorageClient,
    UploadError,
    call_policy,
    call_timeout,
    checked_record_url,
    http_url_problem,
    retrying,
    status_failure,
    strip_query,
    transport_failure,
)
from ._types import NotGivenOr, Timeout

if TYPE_CHECKING:
    from .models.files import File, UpsertFileResponseFile
    from .resources._files import FilesResource

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "FileContent",
    "UploadItem",
    "UploadItemT",
    "check_upload_args",
    "guess_content_type",
    "prepare_content",
    "upload_file",
    "upload_headers",
    "wire_expiry",
]

#: What ``upload_file`` takes as content. A ``str`` is text (sent as UTF-8), never a path.
FileContent: TypeAlias = (
    bytes
    | bytearray
    | memoryview
    | str
    | os.PathLike[str]
    | IO[bytes]
    | Iterable[bytes]
    | AsyncIterable[bytes]
)
#: One item of ``upload_files``: keyword arguments of ``upload_file``, or a ``(key, content)`` pair.
UploadItem: TypeAlias = Mapping[str, Any] | tuple[str, FileContent]
#: The caller's own item type, kept in the job's result (``BulkResult[UploadItemT, File]``).
UploadItemT = TypeVar("UploadItemT", bound=UploadItem)

DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"
#: Content up to this size is held as bytes for the attempts; larger content streams from disk.
_INLINE_LIMIT: Final = 1024 * 1024
#: Files up to this size are read on the event loop; larger ones in a worker thread.
_READ_INLINE: Final = 64 * 1024
#: A spooled stream stays in memory up to this size, then moves to a temporary file.
_SPOOL_MEMORY: Final = 8 * 1024 * 1024
_CHUNK: Final = 256 * 1024
# What ``mimetypes`` reports as an encoding is, for storage, the file's own type: the bytes are
# served as they are, never decoded on the way.
_ENCODING_TYPES: Final = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}

T = TypeVar("T")


# -- pure helpers ----------------------------------------------------------------------------


def guess_content_type(key: str) -> str:
    """The media type of a file named ``key``, from its extension (`DEFAULT_CONTENT_TYPE`)."""
    parts = key.rsplit("/", 1)[-1].rsplit(".", 2)
    # The last two suffixes decide (".tar.gz"); caching by them spares a bulk job the lookup.
    return _type_of_suffixes("." + ".".join(parts[1:]) if len(parts) > 1 else "")


@functools.lru_cache(maxsize=512)
def _type_of_suffixes(suffixes: str) -> str:
    if not suffixes:
        return DEFAULT_CONTENT_TYPE
    kind, encoding = mimetypes.guess_type("file" + suffixes, strict=False)
    if encoding is not None:
        return _ENCODING_TYPES.get(encoding, DEFAULT_CONTENT_TYPE)
    return kind or DEFAULT_CONTENT_TYPE


def upload_headers(content_type: str, size: int, *, public: bool) -> dict[str, str]:
    """The headers of the storage PUT: the record's content type, the length and the public tag.

    Args:
        content_type: the ``contentType`` of the upserted record.
        size: the byte length of the content.
        public: whether public content must be readable at once (``x-amz-tagging``).
    """
    headers = {"content-type": content_type, "content-length": str(size)}
    if public:
        headers["x-amz-tagging"] = "public=true"
    return headers


def check_upload_args(key: object, content: object, url: object, content_type: object) -> None:
    """Refuse bad arguments of ``upload_file`` before anything is read or sent."""
    if not isinstance(key, str):
        raise ArgumentTypeError(f"key must be a str, not {type(key).__name__}", argument="key")
    if not key.strip():
        raise ConfigurationError("upload_file needs a non-empty key")
    if content is None and url is None:
        raise ConfigurationError("upload_file needs content, or url= to fetch it from")
    if content is not None and url is not None:
        raise ConfigurationError("upload_file takes content or url=, not both")
    if url is not None:
        if not isinstance(url, str):
            raise ArgumentTypeError(f"url must be a str, not {type(url).__name__}", argument="url")
        problem = http_url_problem(url)
        if problem is not None:
            raise ConfigurationError(
                f"url must be an http or https URL that can be fetched, got "
                f"{strip_query(url)!r:.120}: {problem}"
            )
    if content_type is not None:
        if not isinstance(content_type, str):
            raise ArgumentTypeError(
                f"content_type must be a str, not {type(content_type).__name__}",
                argument="content_type",
            )
        if not content_type.strip() or any(c in content_type for c in "\r\n\0"):
            raise ConfigurationError(f"content_type {content_type!r} is not a valid media type")


def wire_expiry(value: NotGivenOr[str | dt.datetime]) -> NotGivenOr[str]:
    """``expires_at`` as the API takes it: an ISO-8601 string (a datetime needs a time zone)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ConfigurationError("expires_at needs a timezone-aware datetime")
        try:
            text = value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
        except OverflowError:  # datetime.max or .min in a zone away from UTC
            raise ConfigurationError(
                f"expires_at {value.isoformat()} has no UTC form within years 1 to 9999"
            ) from None
        return text.replace("+00:00", "Z")
    return value


# -- content ---------------------------------------------------------------------------------


class _ContentChanged(Exception):
    """The content ran out before its announced size: the file shrank since it was measured."""


class _Source:
    """Content of known size that can be sent again from its start for each attempt."""

    __slots__ = ("_blocking", "_data", "_file", "_owned", "_path", "_start", "changed", "size")

    def __init__(
        self,
        size: int,
        *,
        data: bytes | None = None,
        path: Path | None = None,
        file: IO[bytes] | None = None,
        start: int = 0,
        owned: bool = False,
    ) -> None:
        self.size = size
        self._data = data
        self._path = path
        self._file = file
        self._start = start
        self._owned = owned
        # In-memory files are read inline; anything else may block on a disk.
        self._blocking = not isinstance(file, io.BytesIO)
        self.changed = False

    def body(self) -> bytes | AsyncIterator[bytes]:
        """The content for one attempt, from its start."""
        if self._data is not None:
            if len(self._data) <= _INLINE_LIMIT:
                return self._data
            # Big bytes go out in slices: one huge write would hold the event loop.
            return self._slices(self._data)
        return self._stream()

    @staticmethod
    async def _slices(data: bytes) -> AsyncIterator[bytes]:
        view = memoryview(data)
        for offset in range(0, len(data), _CHUNK):
            yield bytes(view[offset : offset + _CHUNK])

    async def _stream(self) -> AsyncIterator[bytes]:
        async def call(func: Callable[..., T], *args: Any) -> T:
            if self._blocking:
                # A read of a large file may wait on the disk: a worker thread waits instead.
                return await to_thread.run_sync(func, *args)
            return func(*args)

        if self._path is not None:
            handle: IO[bytes] = await to_thread.run_sync(self._path.open, "rb")
        else:
            assert self._file is not None
            handle = self._file
            await call(handle.seek, self._start)
        try:
            remaining = self.size
            while remaining > 0:
                chunk = await call(handle.read, min(_CHUNK, remaining))
                if not chunk:
                    self.changed = True
                    raise _ContentChanged(f"the content ended {remaining} bytes early")
                remaining -= len(chunk)
                yield chunk
        finally:
            if self._path is not None:
                handle.close()

    def close(self) -> None:
        """Drop a spooled copy."""
        if self._owned and self._file is not None:
            self._file.close()


def _chunk_bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise ArgumentTypeError(
        f"content chunks must be bytes, not {type(chunk).__name__}", argument="content"
    )


async def _spool(chunks: AsyncIterator[bytes] | Iterable[bytes]) -> _Source:
    """Copy a stream of unknown length into memory, then a temporary file past a few MB."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)  # noqa: SIM115 - owned by the source
    size = 0
    try:
        if isinstance(chunks, AsyncIterator):
            async for chunk in chunks:
                data = _chunk_bytes(chunk)
                # Writes past the memory limit land in the page cache; they do not wait on a disk.
                spool.write(data)
                size += len(data)
        else:
            for chunk in chunks:
                data = _chunk_bytes(chunk)
                spool.write(data)
                size += len(data)
        spool.seek(0)
        if size <= _INLINE_LIMIT:
            small = spool.read()
            spool.close()
            return _Source(size, data=small)
    except BaseException:
        spool.close()
        raise
    return _Source(size, file=spool, owned=True)


async def _read_chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    while True:
        chunk = await to_thread.run_sync(file.read, _CHUNK)
        if not chunk:
            return
        yield chunk


async def _aiter_chunks(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk


def _open_path(path: Path) -> _Source:
    """Measure a file and, when it is small, read it in the same visit to the disk."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ConfigurationError(f"{path} is not a regular file; pass an open file instead")
            if info.st_size > _INLINE_LIMIT:
                return _Source(info.st_size, path=path)
            data = handle.read()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # the OS cannot take the name: a NUL, a lone surrogate
        raise ConfigurationError(f"cannot read {str(path)!r:.120}: {exc}") from None
    return _Source(len(data), data=data)


async def prepare_content(content: object) -> _Source:
    """Measure ``content`` (see `FileContent`) and make it resendable; nothing is sent.

    Raises:
        TypeError: the content is of no accepted type (or a text-mode file).
        ConfigurationError: a path that is not a readable regular file.
    """
    if isinstance(content, bytes):
        return _Source(len(content), data=content)
    if isinstance(content, (bytearray, memoryview)):
        data = bytes(content)
        return _Source(len(data), data=data)
    if isinstance(content, str):
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError:
            check_text("the content text", content)  # raises, saying where
            raise
        return _Source(len(data), data=data)
    if isinstance(content, os.PathLike):
        path = Path(os.fsdecode(content))
        try:
            size = path.stat().st_size  # noqa: ASYNC240 - a metadata lookup, measured cheap
        except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the path
            size = _INLINE_LIMIT  # let _open_path report it, from a worker thread
        if size <= _READ_INLINE:
            # A trip to a worker thread costs about 8 times a small read from the page cache
            # (measured: ~110 against ~15 µs CPU for 16 KiB), so small files are read here.
            return _open_path(path)
        # Larger reads may wait on a disk or a network share: one trip to a worker thread.
        return await to_thread.run_sync(_open_path, path)
    if hasattr(content, "read"):
        return await _prepare_file(content)
    if isinstance(content, AsyncIterable):
        return await _spool(_aiter_chunks(content))
    if isinstance(content, Iterable) and not isinstance(content, Mapping):
        return await _spool(content)
    raise ArgumentTypeError(
        "content must be bytes, str, an os.PathLike path, a binary file object or an "
        f"(async) iterable of bytes, not {type(content).__name__}",
        argument="content",
    )


async def _prepare_file(file: Any) -> _Source:
    if isinstance(file, io.TextIOBase):
        raise ArgumentTypeError(
            "the file object is in text mode", fix="open it with 'rb'", argument="content"
        )
    try:
        seekable = file.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if not seekable:
        return await _spool(_read_chunks(file))
    start = file.tell()
    size = file.seek(0, io.SEEK_END) - start
    file.seek(start)
    if size > _INLINE_LIMIT:
        return _Source(size, file=file, start=start)
    if isinstance(file, io.BytesIO):
        data = file.read(size)
    else:
        data = await to_thread.run_sync(file.read, size)
    return _Source(len(data), data=_chunk_bytes(data))


async def _put(
    transport: Transport,
    upload_url: str,
    source: _Source,
    headers: dict[str, str],
    *,
    policy: RetryPolicy,
    timeout: Timeout,  # noqa: ASYNC109 - limits per HTTP attempt, not a cancel scope
    what: str,
) -> None:
    async def attempt(limits: aiohttp.ClientTimeout) -> None:
        body = source.body()
        try:
            async with transport.stream(
                "PUT", upload_url, data=body, headers=headers, timeout=limits
            ) as resp:
                if resp.status >= 300:
                    raise await status_failure(resp, what)
                await resp.read()
        except Failed:
            raise
        except TRANSFER_ERRORS as exc:
            if source.changed:
                raise Failed(
                    f"{what} failed: the content ended before the {source.size} bytes measured "
                    "for the upsert (did the file change?)",
                    retryable=False,
                ) from exc
            raise transport_failure(exc, what) from exc
        finally:
            if not isinstance(body, bytes):
                await body.aclose()  # type: ignore[attr-defined]

    await retrying(transport, attempt, policy=policy, timeout=timeout, what=what)


async def fetch_url(
    transport: Transport,
    url: str,
    *,
    policy: RetryPolicy,
    timeout: Timeout,  # noqa: ASYNC109 - limits per HTTP attempt, not a cancel scope
) -> tuple[_Source, str | None]:
    """GET ``url`` (no Authorization) into a resendable source; also its content type."""
    what = f"GET {strip_query(url)}"

    async def attempt(limits: aiohttp.ClientTimeout) -> tuple[_Source, str | None]:
        try:
            # No token goes with it, so following redirects is safe.
            async with transport.stream("GET", url, timeout=limits, allow_redirects=True) as resp:
                if resp.status >= 300:
                    raise await status_failure(resp, what)
                ctype = resp.headers.get("content-type")
                source = await _spool(resp.content.iter_chunked(_CHUNK))
                return source, ctype.split(";", 1)[0].strip() if ctype else None
        except Failed:
            raise
        except TRANSFER_ERRORS as exc:
            raise transport_failure(exc, what) from exc

    try:
        return await retrying(transport, attempt, policy=policy, timeout=timeout, what=what)
    except Failed as failure:
        raise DownloadError(
            f"could not fetch the content to upload: {failure}",
            url=strip_query(url),
            status=failure.status,
            body=failure.body,
        ) from failure.__cause__


# -- the operations --------------------------------------------------------------------------


async def upload_file(
    files: FilesResource,
    key: str,
    content: FileContent | None,
    *,
    url: str | None,
    content_type: str | None,
    upsert_args: Mapping[str, Any],
    public: bool,
    timeout: NotGivenOr[Timeout | float | None],  # noqa: ASYNC109 - limits per HTTP attempt
    max_retries: NotGivenOr[int],
) -> File:
    """Upsert the record of ``key`` and PUT its bytes; see ``FilesAPI.upload_file``."""
    check_upload_args(key, content, url, content_type)
    client: StorageClient = files._client
    transport = client.transport
    policy = call_policy(client, max_retries)
    limits = call_timeout(client, timeout)
    fetched_type = None
    if url is not None:
        source, fetched_type = await fetch_url(transport, url, policy=policy, timeout=limits)
    else:
        source = await prepare_content(content)
    try:
        if content_type is None:
            guessed = guess_content_type(key)
            if guessed == DEFAULT_CONTENT_TYPE and fetched_type:
                guessed = fetched_type
            content_type = guessed
        upserted = await files.upsert_file(
            key=key,
            size=source.size,
            content_type=content_type,
            timeout=timeout,
            max_retries=max_retries,
            **upsert_args,
        )
        record = upserted.file
        what = f"PUT of {key!r} to storage"
        try:
            upload_url = checked_record_url(record.upload_url, "uploadUrl", "upsertFile")
            stored_type = _checked_content_type(record.content_type)
        except ResponseDecodeError as exc:
            raise UploadError(
                f"the record of {key!r} was made but its bytes were not sent: {exc}",
                file=record,
                status=None,
            ) from exc
        headers = upload_headers(stored_type, source.size, public=public)
        try:
            await _put(
                transport,
                upload_url,
                source,
                headers,
                policy=policy,
                timeout=limits,
                what=what,
            )
        except Failed as failure:
            raise UploadError(
                f"the record of {key!r} was made but its bytes did not reach storage: {failure}",
                file=record,
                status=failure.status,
                body=failure.body,
            ) from failure.__cause__
    finally:
        source.close()
    return _uploaded_record(record, source.size)


def _checked_content_type(value: object) -> str:
    """The record's ``contentType``, which the storage PUT sends as a header."""
    # Plain substring tests: this runs once per uploaded file.
    if isinstance(value, str) and value and not ("\r" in value or "\n" in value or "\0" in value):
        return value
    raise ResponseDecodeError(
        f"the file record from upsertFile has a contentType that cannot be sent as a "
        f"header: {value!r:.80}"
    )


def _uploaded_record(record: UpsertFileResponseFile, size: int) -> File:
    """The upserted record as the upload left it: the size it has now, the status it leads to.

    Made from the JSON object the server sent (unknown fields kept, a malformed field
    breaking only itself), less the upload URL. A shallow copy of that object is decoded
    once more: the generated decoder reads it at about a quarter of the cost of copying the
    decoded fields one by one, and the record itself is never handed on.
    """
    file_class, wire_of = _file_parts()
    wire = wire_of(record)
    data = record.to_dict() if wire is None else dict(wire)
    data.pop("uploadUrl", None)
    data["size"] = size
    # The status the upload leads to; indexing, when asked for, goes on after this.
    data["status"] = "indexing_pending" if data.get("index") else "upload_completed"
    made: File = file_class.from_dict(data)
    return made


@functools.cache
def _file_parts() -> tuple[type[File], Callable[[Any], Mapping[str, Any] | None]]:
    """The `File` class and `wire_of`, imported on first use and kept (an import statement
    run per upload cost a third of building the uploaded record)."""
    # Imported here: ``import botpress_async`` stays free of cattrs and the models.
    from ._converter import wire_of
    from .models.files import File

    return File, wire_of
