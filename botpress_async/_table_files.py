"""The file layouts of table imports and exports: the one place that says how rows sit in a file.

The API's documents say that ``importTable`` reads a file of the Files API in CSV or JSON,
gzipped or not, and that ``exportTable`` writes one in the same formats, but not how the rows
are laid out. The SDK (and its emulator) use:

- JSON: one array of row objects, ``[{"sku": "a", "qty": 1}, ...]``, the same objects as the
  ``rows`` of ``findTableRows`` and ``createTableRows``; the system fields (``id``,
  ``createdAt`` ...) may be present in an export and are not written in an import. It is
  written one row per line, and read with a streaming parser that takes any whitespace.
- CSV: a header line of column names, then one line per row (RFC 4180 quoting); an export
  starts with the system fields ``id``, ``createdAt`` and ``updatedAt``. Numbers and
  booleans (``true`` / ``false``) are written as text, an empty field is a missing value,
  object and array columns hold their JSON text; reading converts each field back by the
  column's type in the table's schema.
- gzip: recognised by its first two bytes when reading, whatever the file's name.

Should the real API turn out to expect another layout, this module is what changes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import gzip
import io
import json
from collections.abc import Iterator, Mapping
from typing import IO, Any, Final, Literal

from ._encoding import _iso

__all__ = [
    "FORMATS",
    "MalformedFileError",
    "RowFileWriter",
    "encode_csv_value",
    "read_rows",
    "sniff_format",
]

FORMATS: Final = ("json", "csv")
Format = Literal["json", "csv"]

_GZIP_MAGIC: Final = b"\x1f\x8b"
_READ_SIZE: Final = 64 * 1024


class MalformedFileError(ValueError):
    """The file does not hold rows in the expected layout (the message says where)."""


def _text(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        text: str = value.isoformat()
        return text
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def encode_csv_value(value: Any) -> str:
    """The CSV field of one column value."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return _text(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_text)


def _decode_csv_value(text: str, kind: str | None, where: str) -> Any:
    if text == "":
        return None
    try:
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        if kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise ValueError(f"expected true or false, got {text!r}")
        if kind in ("object", "array"):
            return json.loads(text)
    except ValueError as exc:
        raise MalformedFileError(f"{where}: {exc}") from None
    return text


class RowFileWriter:
    """Writes rows into an open binary file in one of the layouts, gzipped or not.

    Args:
        target: the binary file to write to (left open).
        format: ``"json"`` or ``"csv"``.
        compress: gzip the output.
        columns: the CSV header (every column of the table, in order).
    """

    def __init__(
        self, target: IO[bytes], format: Format, *, compress: bool, columns: list[str]
    ) -> None:
        self._gzip = gzip.GzipFile(fileobj=target, mode="wb", compresslevel=6) if compress else None
        raw: Any = self._gzip if self._gzip is not None else target
        self._out = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
        self._format = format
        self._columns = columns
        self.rows = 0
        if format == "csv":
            self._csv = csv.writer(self._out, lineterminator="\n")
            self._csv.writerow(columns)
        else:
            self._out.write("[")

    def write(self, row: Mapping[str, Any]) -> None:
        """Add one row (a mapping of column name to value)."""
        if self._format == "csv":
            get = row.get
            self._csv.writerow([encode_csv_value(get(c)) for c in self._columns])
        else:
            text = json.dumps(row, separators=(",", ":"), ensure_ascii=False, default=_text)
            self._out.write(("\n" if self.rows == 0 else ",\n") + text)
        self.rows += 1

    def close(self) -> None:
        """Finish the layout (and the gzip stream); the target file stays open."""
        if self._format == "json":
            self._out.write("\n]\n")
        self._out.flush()
        self._out.detach()
        if self._gzip is not None:
            self._gzip.close()


def _maybe_gunzip(source: IO[bytes]) -> IO[bytes]:
    raw: Any = source
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def sniff_format(data: bytes) -> Format | None:
    """Whether decompressed file bytes look like JSON or CSV (None: neither)."""
    head = data[:4096].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head[:1] in (b"[", b"{"):
        return "json"
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "csv" if first.strip() and first.isprintable() else None


def read_rows(
    source: IO[bytes], format: Format, *, column_types: Mapping[str, str | None] | None = None
) -> Iterator[dict[str, Any]]:
    """The rows of a file, one at a time, in constant memory; gzip is detected.

    Args:
        source: the file, opened in binary mode.
        format: ``"json"`` or ``"csv"``.
        column_types: for CSV, each column's schema type (``number``, ``boolean`` ...),
            used to turn the text fields back into values; a column not listed stays text.

    Raises:
        MalformedFileError: the bytes do not hold rows in that layout.
    """
    stream = _maybe_gunzip(source)
    if format == "csv":
        return _csv_rows(stream, column_types or {})
    return _json_rows(stream)


def _decoded(stream: IO[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    while True:
        try:
            block = stream.read(_READ_SIZE)
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
            raise MalformedFileError(f"the file cannot be read: {exc}") from None
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise MalformedFileError(f"the file is not UTF-8 text: {exc}") from None
        if text:
            yield text
        if not block:
            return


def _json_rows(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    decoder = json.JSONDecoder()
    chunks = _decoded(stream)
    buf, pos, eof = "", 0, False
    index = 0

    def more() -> bool:
        nonlocal buf, pos, eof
        block = next(chunks, None)
        if block is None:
            eof = True
            return False
        buf, pos = buf[pos:] + block, 0
        return True

    def skip_space() -> bool:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return True
            if not more():
                return False

    if not skip_space() or buf[pos] != "[":
        raise MalformedFileError("the file is not a JSON array of row objects")
    pos += 1
    expect_comma = False
    while True:
        if not skip_space():
            raise MalformedFileError("the JSON array is not closed: the file is cut short")
        char = buf[pos]
        if char == "]":
            pos += 1
            if skip_space():
                raise MalformedFileError("the file holds more than one JSON array")
            return
        if expect_comma:
            if char != ",":
                raise MalformedFileError(f"row {index}: expected ',' or ']' in the JSON array")
            pos += 1
            expect_comma = False
            continue
        if char != "{":
            raise MalformedFileError(f"row {index}: each element must be a JSON object")
        while True:
            try:
                row, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if eof or not more():
                    raise MalformedFileError(f"row {index}: invalid JSON: {exc.msg}") from None
        pos = end
        yield row
        index += 1
        expect_comma = True


def _csv_rows(
    stream: IO[bytes], column_types: Mapping[str, str | None]
) -> Iterator[dict[str, Any]]:
    lines = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_records(csv.reader(lines), column_types)
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
        raise MalformedFileError(f"the CSV file cannot be read: {exc}") from None
    finally:
        # The caller owns the file: leave it open for them to close.
        lines.detach()


def _csv_records(
    reader: Iterator[list[str]], column_types: Mapping[str, str | None]
) -> Iterator[dict[str, Any]]:
    header = next(reader, None)
    if not header or not all(name.strip() for name in header):
        raise MalformedFileError("the CSV file has no header line of column names")
    kinds = [column_types.get(name) for name in header]
    for number, fields in enumerate(reader, start=2):
        if not fields:
            continue
        if len(fields) != len(header):
            raise MalformedFileError(
                f"CSV line {number}: {len(fields)} fields, the header has {len(header)}"
            )
        yield {
            name: _decode_csv_value(text, kind, f"CSV line {number}, column {name!r}")
            for name, kind, text in zip(header, kinds, fields, strict=True)
        }
