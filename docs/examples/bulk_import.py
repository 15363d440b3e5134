"""A bulk import: thousands of table rows from a CSV file, then a folder of files.

The rows are streamed: the CSV is read one line at a time while earlier chunks are being
sent, so memory stays flat however big the file is. Upserting by a key column makes the
import safe to run again (rows are updated, not duplicated). Configuration comes from the
environment: ``BP_TOKEN``, ``BP_BOT_ID`` and, for an emulator, ``BP_API_URL``::

    python docs/examples/bulk_import.py --rows 5000 --files-dir ./attachments

Without ``--csv``, a CSV of ``--rows`` sample orders is written to a temporary folder first.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import random
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from botpress_async import AsyncClient, BotpressError

TABLE = "ordersTable"  # table names end with "Table"
KEY_COLUMN = "orderId"
SCHEMA = {
    "type": "object",
    "properties": {
        "orderId": {"type": "string"},
        "customer": {"type": "string"},
        "quantity": {"type": "number"},
        "paid": {"type": "boolean"},
    },
}
FILES_PREFIX = "imports/"


def want_progress_bars() -> bool:
    """Bars only on a terminal (not in logs or pipes), and only when tqdm is installed."""
    # tqdm comes with the `progress` extra: `python -m pip install '.[progress]'`.
    return sys.stderr.isatty() and importlib.util.find_spec("tqdm") is not None


def write_sample_csv(path: Path, count: int, seed: int = 7) -> None:
    """Write ``count`` made-up orders to ``path``, standing in for a real export."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["orderId", "customer", "quantity", "paid"])
        for n in range(count):
            customer = rng.choice(["ada", "grace", "linus", "margaret"])
            writer.writerow([f"order-{n:06d}", customer, rng.randint(1, 9), rng.random() < 0.8])


def rows_from_csv(path: Path) -> Iterator[Mapping[str, Any]]:
    """Yield the CSV's rows one at a time, typed as the table's schema wants them."""
    # A generator, not a list: upsert_rows pulls rows as it needs them.
    with path.open(newline="", encoding="utf-8") as source:
        for record in csv.DictReader(source):
            yield {
                "orderId": record["orderId"],
                "customer": record["customer"],
                "quantity": int(record["quantity"]),
                "paid": record["paid"] == "True",
            }


class CountedRows:
    """The CSV's rows, still read lazily, with a known count so that the bar shows a total."""

    def __init__(self, path: Path, count: int) -> None:
        self.path = path
        self.count = count

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return rows_from_csv(self.path)

    def __len__(self) -> int:
        # upsert_rows reads len() of a sized input as the total of its progress bar.
        return self.count


def files_to_upload(folder: Path) -> list[dict[str, Any]]:
    """One upload per file under ``folder``, keyed by its path relative to the folder."""
    # A list (its length is the bar's total) of small dicts: each Path, not its bytes, is
    # streamed from disk when its upload starts.
    return [
        {
            "key": FILES_PREFIX + path.relative_to(folder).as_posix(),
            "content": path,
            "tags": {"source": "bulk-import"},
        }
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]


async def run(csv_path: Path, row_count: int | None, files_dir: Path | None) -> bool:
    """Import the rows and the files; print a summary of each job; True when all went in.

    ``row_count`` is the number of rows in the CSV when known beforehand, for the bar's total.
    """
    progress = want_progress_bars()
    rows_in: Iterable[Mapping[str, Any]] = rows_from_csv(csv_path)
    if row_count is not None:
        rows_in = CountedRows(csv_path, row_count)
    async with AsyncClient() as client:
        # Idempotent: the table is made on the first run and found on the next ones.
        await client.tables.get_or_create_table(table=TABLE, schema=SCHEMA, key_column=KEY_COLUMN)
        rows = await client.tables.upsert_rows(
            TABLE, rows_in, key_column=KEY_COLUMN, progress_bar=progress
        )
        rate = rows.succeeded_rows / rows.elapsed if rows.elapsed else 0.0
        print(
            f"rows: {rows.inserted_count} inserted, {rows.updated_count} updated, "
            f"{len(rows.failed_rows)} failed, {len(rows.not_run)} not sent "
            f"in {rows.elapsed:.2f} s ({rate:.0f} rows/s, {rows.throttled} throttled)"
        )
        for failure in rows.failed[:5]:  # the first few are enough to see what went wrong
            print(f"  {len(failure.rows)} rows failed: {failure.error}", file=sys.stderr)
        ok = rows.ok

        if files_dir is not None:
            files = await client.files.upload_files(
                files_to_upload(files_dir), concurrency=8, progress_bar=progress
            )
            print(
                f"files: {files.succeeded_count} uploaded, {len(files.failed)} failed, "
                f"{len(files.not_run)} not run in {files.elapsed:.2f} s"
            )
            for item_failure in files.failed[:5]:
                print(f"  {item_failure.item['key']}: {item_failure.error}", file=sys.stderr)
            ok = ok and files.ok
        return ok


def main() -> int:
    """Parse the arguments, run the import, and exit non-zero if anything did not go in."""
    parser = argparse.ArgumentParser(description="Import rows and files into a bot.")
    parser.add_argument("--csv", type=Path, help="a CSV of orders (default: a generated one)")
    parser.add_argument("--rows", type=int, default=5000, help="rows of the generated CSV")
    parser.add_argument("--files-dir", type=Path, help="a folder whose files to upload")
    args = parser.parse_args()
    if args.files_dir is not None and not args.files_dir.is_dir():
        parser.error(f"--files-dir {args.files_dir} is not a folder")

    with tempfile.TemporaryDirectory() as scratch:
        csv_path = args.csv
        # A CSV given by the user is not counted beforehand (that would read it twice, and a
        # quoted field may span lines): its bar shows a count without a total.
        row_count = None
        if csv_path is None:
            csv_path = Path(scratch) / "orders.csv"
            write_sample_csv(csv_path, args.rows)
            row_count = args.rows
        try:
            ok = asyncio.run(run(csv_path, row_count, args.files_dir))
        except BotpressError as exc:
            # Raised by the calls outside the bulk jobs (the table creation, say); the jobs
            # themselves report their failures in their results instead of raising.
            print(f"import failed: {exc}", file=sys.stderr)
            return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
