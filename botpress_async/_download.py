"""Downloading a file's bytes: into memory under the client's size cap, or streamed to disk."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Final, Protocol

import aiohttp
from anyio import to_thread

from ._errors import ArgumentTypeError, ConfigurationError, ResponseDecodeError
from ._retry import RetryPolicy
from ._session import read_capped
from ._storage import (
    TRANSFER_ERRORS,
    DownloadError,
    Failed,
    StorageClient,
    call_policy,
    call_timeout,
    checked_record_url,
    retrying,
    status_failure,
    strip_query,
    transport_failure,
)
from ._types import NotGivenOr, Timeout

if TYPE_CHECKING:
    from .resources._files import FilesResource

__all__ = ["FileRecord", "download"]


class FileRecord(Protocol):
    """Any file record with an id and a download URL: a `File`, or an item of ``list_files``."""

    @property
    def id(self) -> str:
        """The file's id, used to fetch a fresh URL when the record's one has expired."""

    @property
    def url(self) -> str:
        """The URL the file's bytes are fetched from."""


_CHUNK: Final = 256 * 1024


async def download(
    files: FilesResource,
    file_or_id: Any,
    *,
    path: str | os.PathLike[str] | None,
    chunk_size: int,
    timeout: NotGivenOr[Timeout | float | None],  # noqa: ASYNC109 - limits per HTTP attempt
    max_retries: NotGivenOr[int],
) -> bytes | Path:
    """Fetch a file's bytes into memory or to ``path``; see ``FilesAPI.download``."""
    size_arg: object = chunk_size
    if isinstance(size_arg, bool) or not isinstance(size_arg, int) or size_arg < 1:
        raise ConfigurationError(f"chunk_size must be a positive int, got {chunk_size!r}")
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"path must be a str or os.PathLike, not {type(path).__name__}", argument="path"
        )
    if path is not None:
        _check_path(path)
    client: StorageClient = files._client
    if isinstance(file_or_id, str):
        if not file_or_id:
            raise ConfigurationError("download needs a file id or key, got ''")
        record: Any = (
            await files.get_file(id=file_or_id, timeout=timeout, max_retries=max_retries)
        ).file
    elif isinstance(getattr(file_or_id, "url", None), str):
        record = file_or_id
    else:
        raise ArgumentTypeError(
            f"download takes a file id, key or record, not {type(file_or_id).__name__}",
            argument="file_or_id",
        )
    where = "getFile" if isinstance(file_or_id, str) else "the record given"
    target = None if path is None else _target_path(Path(os.fsdecode(path)), record.key, where)
    policy = call_policy(client, max_retries)
    limits = call_timeout(client, timeout)
    url = checked_record_url(record.url, "url", where)
    try:
        return await _fetch_record(client, url, target, chunk_size, policy, limits)
    except DownloadError as exc:
        if exc.status not in (401, 403) or isinstance(file_or_id, str):
            raise
    # A record handed in may be old enough for its presigned url to have expired.
    fresh = (await files.get_file(id=record.id, timeout=timeout, max_retries=max_retries)).file
    url = checked_record_url(fresh.url, "url", "getFile")
    return await _fetch_record(client, url, target, chunk_size, policy, limits)


def _check_path(path: str | os.PathLike[str]) -> None:
    """Refuse, before anything is sent, a path the download could not write to."""
    text = os.fsdecode(path)
    if "\0" in text:
        raise ConfigurationError(f"path {text!r:.120} holds a NUL character")
    try:
        os.fsencode(text)
    except UnicodeEncodeError as exc:  # a lone surrogate has no bytes for the OS
        raise ConfigurationError(f"path {text!r:.120} cannot be a file name: {exc}") from None
    place = Path(text)
    if not place.is_dir() and not place.parent.is_dir():
        raise ConfigurationError(
            f"the directory of path {text!r:.120} does not exist; create it first"
        )


def _target_path(path: Path, key: object, where: str) -> Path:
    if not path.is_dir():
        return path
    if not isinstance(key, str):
        raise ResponseDecodeError(
            f"the file record from {where} has a key of type {type(key).__name__}, which "
            f"cannot name a file in {path}"
        )
    name = PurePosixPath(key).name
    if name in ("", ".", ".."):
        raise ConfigurationError(f"cannot name a file in {path} after the key {key!r}")
    return path / name


async def _fetch_record(
    client: StorageClient,
    url: str,
    target: Path | None,
    chunk_size: int,
    policy: RetryPolicy,
    timeout: Timeout,  # noqa: ASYNC109 - limits per HTTP attempt, not a cancel scope
) -> bytes | Path:
    transport = client.transport
    # The token goes to the API's own origin only; storage URLs are presigned.
    authorized = transport.is_origin(url)
    headers = transport.origin_headers(url)
    what = f"GET {strip_query(url)}"
    part: IO[bytes] | None = None
    if target is not None:
        part = await to_thread.run_sync(_part_file, target)

    async def attempt(limits: aiohttp.ClientTimeout) -> bytes | None:
        try:
            async with transport.stream(
                "GET",
                url,
                headers=headers,
                timeout=limits,
                # Following a redirect elsewhere with the token is what must never happen.
                allow_redirects=not authorized,
            ) as resp:
                if resp.status >= 300:
                    raise await status_failure(resp, what)
                if part is None:
                    return await read_capped(
                        resp,
                        transport.max_response_size,
                        what,
                        hint="; pass path= to stream it to disk",
                    )
                await to_thread.run_sync(_rewind, part)
                async for chunk in resp.content.iter_chunked(chunk_size):
                    # A write may wait on the disk: a worker thread does it, not the loop.
                    await to_thread.run_sync(part.write, chunk)
                return None
        except Failed:
            raise
        except TRANSFER_ERRORS as exc:
            raise transport_failure(exc, what) from exc

    try:
        data = await retrying(transport, attempt, policy=policy, timeout=timeout, what=what)
        if part is None:
            assert data is not None
            return data
        assert target is not None
        await to_thread.run_sync(_finish_part, part, target)
        part = None
        return target
    except Failed as failure:
        raise DownloadError(
            f"could not download {strip_query(url)}: {failure}",
            url=strip_query(url),
            status=failure.status,
            body=failure.body,
        ) from failure.__cause__
    finally:
        if part is not None:
            await to_thread.run_sync(_discard_part, part)


def _part_file(target: Path) -> IO[bytes]:
    # Beside the target, so the final rename stays on one file system and is atomic.
    return tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )


def _rewind(part: IO[bytes]) -> None:
    part.seek(0)
    part.truncate()


def _finish_part(part: IO[bytes], target: Path) -> None:
    part.flush()
    os.fsync(part.fileno())
    part.close()
    os.replace(part.name, target)


def _discard_part(part: IO[bytes]) -> None:
    part.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(part.name)
