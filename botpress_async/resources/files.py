"""`FilesAPI`: the files API as ``client.files``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, overload

from typing_extensions import Unpack

from botpress_async import _download, _upload
from botpress_async._bulk import run_job
from botpress_async._bulk_options import BulkOptions, job_settings
from botpress_async._bulk_results import BulkResult
from botpress_async._download import FileRecord
from botpress_async._errors import ArgumentTypeError, ConfigurationError
from botpress_async._types import NOT_GIVEN, NotGivenOr, Timeout
from botpress_async._upload import FileContent, UploadItemT
from botpress_async.models.files import File
from botpress_async.resources._files import FilesResource

__all__ = ["FilesAPI"]


class FilesAPI(FilesResource):
    """Every operation of the files API; helpers that span several calls are added here."""

    __slots__ = ()

    async def upload_file(
        self,
        key: str,
        content: FileContent | None = None,
        *,
        url: str | None = None,
        content_type: str | None = None,
        tags: NotGivenOr[Mapping[str, str]] = NOT_GIVEN,
        index: NotGivenOr[bool] = NOT_GIVEN,
        access_policies: NotGivenOr[
            Sequence[Literal["public_content", "integrations"]]
        ] = NOT_GIVEN,
        public: bool = False,
        expires_at: NotGivenOr[str | datetime] = NOT_GIVEN,
        metadata: NotGivenOr[Mapping[str, Any]] = NOT_GIVEN,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
    ) -> File:
        """Create or replace the file ``key`` and upload its bytes; return its record.

        Two requests: ``upsertFile`` with the size, then a PUT of the bytes to the presigned
        ``uploadUrl`` (no token, no context headers; retried on its own when it fails).
        The record returned is the upserted one with the size and status the upload gave it
        (no extra ``getFile``); call `get_file` later to see indexing finish.

        Args:
            key: the file's key (its name in the bot), e.g. ``"docs/guide.pdf"``.
            content: bytes; a ``str`` (sent as UTF-8 text, never taken as a path); a path
                as an ``os.PathLike`` such as ``pathlib.Path`` (streamed from disk); a
                binary file object; or an iterable or async iterable of bytes (spooled to
                learn its size).
            url: fetch the content from this URL instead (a plain GET, no token).
            content_type: the media type; guessed from the key's extension when left out.
            tags: tags of the file.
            index: index the file for search.
            access_policies: who may read the file (``"public_content"``, ``"integrations"``).
            public: make the content public and readable at once (adds ``"public_content"``
                to the access policies and tags the upload so).
            expires_at: when the file expires: an ISO-8601 string or an aware datetime.
            metadata: free-form metadata.
            timeout: overrides the client's timeout for each request.
            max_retries: overrides the client's retry count for each request.

        Raises:
            UploadError: the bytes did not reach storage; ``.file`` is the record made.
            DownloadError: ``url`` could not be fetched (nothing was upserted).
        """
        upsert_args: dict[str, Any] = {
            "tags": tags,
            "index": index,
            "access_policies": access_policies,
            "expires_at": _upload.wire_expiry(expires_at),
            "metadata": metadata,
        }
        if public:
            given: Any = access_policies
            if given is not NOT_GIVEN and (
                isinstance(given, (str, bytes)) or not isinstance(given, Iterable)
            ):
                raise ArgumentTypeError(
                    f"access_policies must be a list such as ['integrations'], not "
                    f"{type(given).__name__}",
                    argument="access_policies",
                )
            policies = [] if given is NOT_GIVEN else list(given)
            if "public_content" not in policies:
                policies.append("public_content")
            upsert_args["access_policies"] = policies
            upsert_args["public_content_immediately_accessible"] = True
        return await _upload.upload_file(
            self,
            key,
            content,
            url=url,
            content_type=content_type,
            upsert_args=upsert_args,
            public=public,
            timeout=timeout,
            max_retries=max_retries,
        )

    async def upload_files(
        self,
        items: Iterable[UploadItemT] | AsyncIterable[UploadItemT],
        **options: Unpack[BulkOptions],
    ) -> BulkResult[UploadItemT, File]:
        """Upload many files concurrently; every item ends up succeeded, failed or not run.

        The job adapts to rate limits (fewer uploads in flight after a 429 or 503, a pause
        for ``Retry-After``), and reads each item's content only when its upload starts.

        Args:
            items: mappings of `upload_file` keyword arguments (``{"key": ..., "content":
                ...}``), or ``(key, content)`` pairs, from any iterable or async iterable.
            options: the job's options, described in `BulkOptions` (``concurrency=8``,
                ``fail_fast``, ``keep_results`` to keep each `File`, ``max_retries=6``...).

        Raises:
            ConfigurationError: a bad option, or a client that can upload nothing (no bot id,
                no token, a token the files API refuses); no item is read then.
        """
        settings = job_settings(options, BulkOptions, caller="upload_files", concurrency=8)
        max_retries = settings.max_retries
        # Once, before any item or content is read: a client that can send no upload (no bot
        # id, no token, a token without the files scope) fails the job at once.
        self._client._check_reach("files", ("x-bot-id",))

        async def one(item: UploadItemT) -> File:
            given: object = item
            if isinstance(given, Mapping):
                return await self.upload_file(**{"max_retries": max_retries, **given})
            if isinstance(given, tuple) and len(given) == 2:
                return await self.upload_file(given[0], given[1], max_retries=max_retries)
            raise ConfigurationError(
                f"an upload item is a mapping of upload_file arguments or a (key, content) "
                f"pair, not {type(item).__name__}"
            )

        return await run_job(one, items, settings)

    @overload
    async def download(
        self,
        file_or_id: str | FileRecord,
        *,
        path: None = None,
        chunk_size: int = ...,
        timeout: NotGivenOr[Timeout | float | None] = ...,
        max_retries: NotGivenOr[int] = ...,
    ) -> bytes: ...

    @overload
    async def download(
        self,
        file_or_id: str | FileRecord,
        *,
        path: str | os.PathLike[str],
        chunk_size: int = ...,
        timeout: NotGivenOr[Timeout | float | None] = ...,
        max_retries: NotGivenOr[int] = ...,
    ) -> Path: ...

    @overload
    async def download(
        self,
        file_or_id: str | FileRecord,
        *,
        path: str | os.PathLike[str] | None = None,
        chunk_size: int = ...,
        timeout: NotGivenOr[Timeout | float | None] = ...,
        max_retries: NotGivenOr[int] = ...,
    ) -> bytes | Path: ...

    async def download(
        self,
        file_or_id: str | FileRecord,
        *,
        path: str | os.PathLike[str] | None = None,
        chunk_size: int = 256 * 1024,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
    ) -> bytes | Path:
        """Fetch a file's bytes: into memory, or streamed to ``path``.

        The file's ``url`` (from ``getFile`` when given an id or key) is fetched with a plain
        GET; the token is sent only when that URL is on the API's own origin.

        Args:
            file_or_id: a file id or key, or a file record (its ``url`` is used; an
                expired one is refreshed once).
            path: write the bytes here instead (into a temporary file beside it, renamed
                when complete); a directory receives the key's last segment as the name.
            chunk_size: bytes per read when streaming to ``path``.
            timeout: overrides the client's timeout for each request.
            max_retries: overrides the client's retry count for each request.

        Returns:
            The bytes (capped at the client's ``max_response_size``), or the written path.

        Raises:
            DownloadError: the bytes could not be fetched.
            ResponseTooLargeError: in memory, the file is over ``max_response_size``.
        """
        return await _download.download(
            self,
            file_or_id,
            path=path,
            chunk_size=chunk_size,
            timeout=timeout,
            max_retries=max_retries,
        )
