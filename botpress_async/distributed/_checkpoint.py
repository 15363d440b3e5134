"""`Checkpoint`: a local record of finished chunks, so a re-run partition does not redo them.

Engines run a partition again when a worker dies or a task is retried (at-least-once). Plain
inserts are not idempotent: without a record, a re-run inserts its rows twice. A checkpoint
is one SQLite file (safe for several processes of one machine, or a shared disk that locks);
each chunk of a partition is recorded as ``done`` once its request succeeded and ``unknown``
when it may have been carried out, and a re-run skips both (unknown ones are reported, not
re-sent: check them before sending them again).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Final, Literal

from botpress_async._encoding import dumps
from botpress_async._errors import ConfigurationError

__all__ = ["Checkpoint", "ChunkState", "chunk_key"]

ChunkState = Literal["done", "unknown"]

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS chunks (key TEXT PRIMARY KEY, state TEXT NOT NULL, items INTEGER)"
)


def chunk_key(job: str, partition: str | int | None, index: int, items: list[Any]) -> str:
    """The name of one chunk of one partition: the job, the partition, its position and content.

    The content is part of it, so a partition that is re-cut differently on a re-run does not
    match chunks it no longer holds.

    Args:
        job: what the chunk is for (operation and table).
        partition: the partition's label, if the caller gave one.
        index: the chunk's position in its partition.
        items: the chunk's items (JSON-encodable).
    """
    digest = hashlib.sha256()
    digest.update(f"{job}\0{partition}\0{index}\0".encode())
    try:
        digest.update(dumps(items))
    except (TypeError, ValueError):
        digest.update(repr(items).encode("utf-8", "replace"))
    return digest.hexdigest()


class Checkpoint:
    """A record of finished chunks, kept in one SQLite file at ``path``; picklable (the path).

    Args:
        path: the file to keep it in; its directory must exist. Workers of one machine may
            share one file.
    """

    __slots__ = ("_conn", "_lock", "_pid", "path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        given: object = path
        if not isinstance(given, (str, os.PathLike)) or not str(given):
            raise ConfigurationError(f"checkpoint needs a file path, got {path!r}")
        if "\0" in os.fspath(path):  # sqlite would refuse it at the first partition
            raise ConfigurationError(f"checkpoint path {os.fspath(path)!r} holds a NUL character")
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise ConfigurationError(
                f"checkpoint {str(self.path)!r}: the directory {str(self.path.parent)!r} does "
                "not exist; create it first"
            )
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def __reduce__(self) -> Any:
        return (Checkpoint, (str(self.path),))

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is None or self._pid != os.getpid():
            conn = self._open()
            self._conn, self._pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        # Workers starting together race to create the file and switch it to WAL; the switch
        # does not wait for the others' locks, so a busy answer is retried (for 10 s at most).
        for attempt in range(100):
            conn = None
            try:
                conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
                # Several worker processes append at once: readers never block the writer.
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(_SCHEMA)
                conn.commit()
                return conn
            except sqlite3.OperationalError as exc:
                if conn is not None:
                    conn.close()
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or attempt == 99:
                    raise self._unusable(exc) from None
                time.sleep(0.1)
            except sqlite3.Error as exc:
                if conn is not None:
                    conn.close()
                raise self._unusable(exc) from None
        raise AssertionError("unreachable")

    def _unusable(self, exc: BaseException) -> ConfigurationError:
        return ConfigurationError(
            f"checkpoint {str(self.path)!r} cannot be opened: {exc} (a leftover '-wal' or "
            "'-shm' file of a deleted checkpoint causes I/O errors: delete those as well)"
        )

    def state(self, key: str) -> ChunkState | None:
        """What is recorded for a chunk: ``"done"``, ``"unknown"`` or nothing.

        Args:
            key: the chunk's name (see `chunk_key`).
        """
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT state FROM chunks WHERE key = ?", (key,))
                .fetchone()
            )
        if row is None:
            return None
        state: ChunkState = "done" if row[0] == "done" else "unknown"
        return state

    def record(self, key: str, state: ChunkState, items: int) -> None:
        """Record a chunk's outcome; ``done`` wins over an earlier ``unknown``.

        Args:
            key: the chunk's name.
            state: ``"done"`` or ``"unknown"``.
            items: how many items the chunk holds.
        """
        with self._lock:
            conn = self._connection()
            conn.execute(
                "INSERT INTO chunks (key, state, items) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET state = CASE WHEN chunks.state = 'done' "
                "THEN 'done' ELSE excluded.state END",
                (key, state, items),
            )
            conn.commit()

    def counts(self) -> dict[str, int]:
        """Items recorded per state, e.g. ``{"done": 9000, "unknown": 1000}``."""
        with self._lock:
            rows = (
                self._connection()
                .execute("SELECT state, SUM(items) FROM chunks GROUP BY state")
                .fetchall()
            )
        return {state: int(total or 0) for state, total in rows}

    def close(self) -> None:
        """Close this process's connection to the file; it reopens on next use."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None and self._pid == os.getpid():
                conn.close()
