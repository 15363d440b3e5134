"""The options every bulk job takes, written once: ``upload_files(paths, concurrency=32)``.

The bulk helpers (``client.bulk``, ``files.upload_files``, the table row jobs, `run_bulk`)
take these options as keyword arguments typed by the ``TypedDict`` classes below
(``**options: Unpack[BulkOptions]``), so a type checker catches a misspelt option or a
value of the wrong type. At run time `job_settings` checks them once into a `JobSettings`,
and an unknown name raises `ConfigurationError` naming it and the valid ones.

A new option is one field in the class whose helpers take it, plus its use in `JobSettings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, TypedDict

import attrs

from ._bulk_results import BulkProgress, CancelToken
from ._errors import ConfigurationError

__all__ = [
    "BULK_MAX_RETRIES",
    "MAX_CONNECTION_FAILURES",
    "BulkOptions",
    "JobOptions",
    "JobSettings",
    "ProgressOptions",
    "RequestJobOptions",
    "RunBulkOptions",
    "job_settings",
]

#: Retries per request of every bulk helper (rows, files, ``client.bulk``): jobs meet rate
#: limits and flaky moments by design. Under 8% of attempts failing with 503 or 429, a
#: request fails for good about once in 10^8 tries, where the default 2 lose one in 2,000.
BULK_MAX_RETRIES: Final = 6

#: A job stops after this many calls in a row failed without reaching the API (each after
#: its own retries): the server is gone, and hammering it helps nobody.
MAX_CONNECTION_FAILURES: Final = 10


class ProgressOptions(TypedDict, total=False):
    """How a job reports its progress; every bulk helper and the table import take these.

    Attributes:
        on_progress: called with a `BulkProgress` about four times a second and once at
            the end (row jobs count requests; their bar counts rows).
        progress_bar: draw a progress bar on the terminal (needs tqdm, the ``progress``
            extra); ``BP_PROGRESS_BAR=always`` draws it where standard error is no terminal.
    """

    on_progress: Callable[[BulkProgress], None] | None
    progress_bar: bool


class JobOptions(ProgressOptions, total=False):
    """How a job runs its calls; every helper that runs calls concurrently takes these.

    Attributes:
        concurrency: the most calls in flight at once (16 for ``client.bulk`` and
            `run_bulk`, 8 for files and table rows).
        adaptive: lower the concurrency on 429 and 503 answers and raise it back as calls
            succeed (on by default).
        fail_fast: stop at the first failure: cancel the calls in flight, start no more, and
            raise `BulkError` (`RowsError` for row jobs) carrying the result.
        cancel: a `CancelToken` that stops the job from any thread.
        max_connection_failures: stop the job (see ``BulkResult.stop_reason``) after this
            many calls in a row could not reach the API (10 by default); ``None`` never stops.
    """

    concurrency: int
    adaptive: bool
    fail_fast: bool
    cancel: CancelToken | None
    max_connection_failures: int | None


class RunBulkOptions(JobOptions, total=False):
    """The options of `run_bulk`: those of every job, and what to keep of the answers.

    Attributes:
        keep_results: keep each ``(item, response)`` in ``result.succeeded``. Off by
            default, so that a job of any size runs in flat memory: the result then counts
            the successes (``succeeded_count``) and keeps only the failed and unrun items.
    """

    keep_results: bool


class RequestJobOptions(JobOptions, total=False):
    """The options of a helper that sends the API requests itself (files, rows, ``bulk``).

    Attributes:
        max_retries: retries of each request (6 by default, more patient than a single
            call's 2); an item's own ``max_retries`` wins.
    """

    max_retries: int


class BulkOptions(RunBulkOptions, RequestJobOptions, total=False):
    """The options of ``client.bulk`` and ``files.upload_files``: all of the above."""


@attrs.frozen(kw_only=True)
class JobSettings:
    """Checked options of one job, with the defaults of the helper that runs it filled in."""

    concurrency: int = 16
    adaptive: bool = True
    fail_fast: bool = False
    # Off: a million successes kept with their items would hold the job's whole input.
    keep_results: bool = False
    on_progress: Callable[[BulkProgress], None] | None = None
    progress_bar: bool = False
    cancel: CancelToken | None = None
    max_retries: int = BULK_MAX_RETRIES
    max_connection_failures: int | None = MAX_CONNECTION_FAILURES


_FLAGS: Final = ("adaptive", "fail_fast", "keep_results", "progress_bar")


def job_settings(
    options: Mapping[str, object],
    accepted: type[ProgressOptions],
    *,
    caller: str,
    **defaults: object,
) -> JobSettings:
    """Check the options given to ``caller`` against the ``accepted`` class, once per job.

    Args:
        options: the keyword arguments as given.
        accepted: the ``TypedDict`` class listing the options ``caller`` takes.
        caller: the helper's name, for messages (``"upload_files"``).
        defaults: the helper's own defaults (``concurrency=8``), under the given options.

    Raises:
        ConfigurationError: an option ``caller`` does not take, or a value of the wrong type
            or out of range; ``argument`` names it.
    """
    # Every key of these classes is optional (total=False), so this is the full list.
    known: frozenset[str] = accepted.__optional_keys__  # type: ignore[attr-defined]
    for name in options:
        if name not in known:
            raise ConfigurationError(
                f"{caller}() has no option {name!r}; its options are {', '.join(sorted(known))}",
                argument=name,
            )
    given = {**defaults, **options}
    for name in _FLAGS:
        if name in given and not isinstance(given[name], bool):
            raise _wrong(caller, name, "True or False", given[name])
    for name, least in (("concurrency", 1), ("max_retries", 0), ("max_connection_failures", 1)):
        value = given.get(name, least)
        if value is None and name == "max_connection_failures":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise _wrong(caller, name, f"a whole number, {least} or more", value)
    on_progress = given.get("on_progress")
    if on_progress is not None and not callable(on_progress):
        raise _wrong(caller, "on_progress", "a function taking a BulkProgress", on_progress)
    cancel = given.get("cancel")
    if cancel is not None and not isinstance(cancel, CancelToken):
        raise _wrong(caller, "cancel", "a CancelToken", cancel)
    return JobSettings(**given)  # type: ignore[arg-type]


def _wrong(caller: str, name: str, wanted: str, value: object) -> ConfigurationError:
    return ConfigurationError(
        f"{caller}() option {name} must be {wanted}, got {value!r}", argument=name
    )
