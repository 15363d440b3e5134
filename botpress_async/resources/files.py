"""`FilesAPI`: the files API as ``client.files``."""

from __future__ import annotations

from botpress_async.resources._files import FilesResource

__all__ = ["FilesAPI"]


class FilesAPI(FilesResource):
    """Every operation of the files API; helpers that span several calls are added here."""

    __slots__ = ()
