"""The bulk options: checked once per job, an unknown or ill-typed one refused before any call."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from botpress_async import AsyncClient, ConfigurationError, run_bulk
from botpress_async._bulk_options import BulkOptions, RequestJobOptions, job_settings
from tests.loopback import FAKE_PAT, Script

pytestmark = pytest.mark.anyio


async def _never(item: int) -> int:
    raise AssertionError("no call may start with a bad option")


async def test_an_unknown_option_is_named_with_the_valid_ones() -> None:
    """A misspelt option raises ConfigurationError naming it and every option the call takes."""
    options: dict[str, Any] = {"concurency": 4}
    with pytest.raises(ConfigurationError) as caught:
        await run_bulk(_never, range(3), **options)
    error = caught.value
    assert error.argument == "concurency"
    assert "'concurency'" in str(error)
    assert "concurrency, fail_fast, keep_results" in str(error)
    assert "max_retries" not in str(error)  # run_bulk sends no request of its own


async def test_helpers_refuse_options_of_other_helpers(server: Script) -> None:
    """Row jobs keep rows (``keep_rows``), not results: ``keep_results`` is refused, unsent."""
    options: dict[str, Any] = {"keep_results": False}
    async with AsyncClient(FAKE_PAT, bot_id="bot", api_url=server.url) as client:
        with pytest.raises(ConfigurationError, match=r"insert_rows\(\) has no option 'keep"):
            await client.tables.insert_rows("T", [{"a": 1}], **options)
        with pytest.raises(ConfigurationError, match=r"import_rows\(\) has no option 'conc"):
            await client.tables.import_rows("T", [{"a": 1}], concurrency=2)
    assert server.seen == []


@pytest.mark.parametrize(
    ("name", "value", "wanted"),
    [
        ("concurrency", 0, "a whole number, 1 or more"),
        ("concurrency", True, "a whole number, 1 or more"),
        ("max_retries", -1, "a whole number, 0 or more"),
        ("fail_fast", "yes", "True or False"),
        ("on_progress", 3, "a function taking a BulkProgress"),
        ("cancel", object(), "a CancelToken"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(name: str, value: object, wanted: str) -> None:
    """Each checked option says what it takes; the error's ``argument`` names the option."""
    with pytest.raises(ConfigurationError, match=wanted) as caught:
        job_settings({name: value}, BulkOptions, caller="bulk")
    assert caught.value.argument == name


def test_the_helper_defaults_fill_what_is_not_given() -> None:
    """A helper's own default (8 requests in flight for rows) gives way to a given option."""
    assert job_settings({}, RequestJobOptions, caller="x", concurrency=8).concurrency == 8
    given = job_settings({"concurrency": 3}, RequestJobOptions, caller="x", concurrency=8)
    assert given.concurrency == 3
    assert given.max_retries == 6
    assert given.max_connection_failures == 10


def test_a_configuration_error_keeps_its_fields_through_pickle() -> None:
    """The structured fields survive a trip to another process (a worker's error)."""
    error = ConfigurationError(
        "no bot id", fix="pass bot_id=", argument="bot_id", env_var="BP_BOT_ID", header="x-bot-id"
    )
    assert str(error) == "no bot id; pass bot_id="
    back = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (back.problem, back.fix, back.argument, back.env_var, back.header) == (
        "no bot id",
        "pass bot_id=",
        "bot_id",
        "BP_BOT_ID",
        "x-bot-id",
    )
    assert str(back) == str(error)


async def test_a_failing_progress_callback_stops_the_job_with_its_own_error() -> None:
    """An on_progress that raises stops the job; its error comes out as it is, not grouped."""

    async def call(n: int) -> int:
        return n

    def report(progress: object) -> None:
        raise LookupError("the dashboard is gone")

    with pytest.raises(LookupError, match="dashboard"):
        await run_bulk(call, range(50), concurrency=4, on_progress=report)
