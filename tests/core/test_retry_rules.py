"""The pure retry decisions: which failures repeat, how long to wait, and the budget."""

from __future__ import annotations

import random

import pytest

from botpress_async import ConfigurationError
from botpress_async._retry import (
    RetryBudget,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    should_retry,
)


@pytest.mark.parametrize(
    ("idempotent", "status", "sent", "retry"),
    [
        (False, None, False, True),  # connect failure: nothing sent
        (True, None, False, True),
        (True, None, True, True),  # read failure on GET/PUT/DELETE
        (False, None, True, False),  # read failure on POST: may have been processed
        (False, 429, True, True),  # rate limited: not processed
        (True, 429, True, True),
        (True, 500, True, True),
        (True, 502, True, True),
        (True, 503, True, True),
        (True, 504, True, True),
        (False, 500, True, False),
        (False, 503, True, False),
        (True, 400, True, False),
        (True, 401, True, False),
        (True, 404, True, False),
        (True, 501, True, False),
    ],
)
def test_should_retry(idempotent: bool, status: int | None, sent: bool, retry: bool) -> None:
    """Each rule of the retry decision."""
    reason = should_retry(method_idempotent=idempotent, status=status, sent=sent)
    assert (reason is not None) is retry


def test_backoff_grows_with_jitter_and_caps() -> None:
    """Delays double per attempt within [base/2, base] and stop at max_delay."""
    policy = RetryPolicy(initial_delay=1.0, max_delay=4.0)
    rng = random.Random(1)
    for attempt, base in ((1, 1.0), (2, 2.0), (3, 4.0), (8, 4.0)):
        for _ in range(50):
            assert base / 2 <= backoff_delay(attempt, policy, rng) <= base


def test_parse_retry_after() -> None:
    """Seconds and HTTP dates are understood; garbage is ignored; the past is zero."""
    assert parse_retry_after("3", now=0) == 3.0
    assert parse_retry_after("1.5", now=0) == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 10) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 + 10) == 0.0
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after(None, now=0) is None
    assert parse_retry_after("-5", now=0) == 0.0


def test_budget_spends_refunds_and_refuses() -> None:
    """Retries spend tokens, successes refund them, an empty budget refuses."""
    budget = RetryBudget(12, retry_cost=5, timeout_cost=10, success_refund=1)
    assert budget.try_spend(connection_failure=False)
    assert not budget.try_spend(connection_failure=True)
    assert budget.try_spend(connection_failure=False)
    assert not budget.try_spend(connection_failure=False)
    for _ in range(20):
        budget.refund()
    assert budget.tokens == 12
    unlimited = RetryBudget(None)
    assert all(unlimited.try_spend(connection_failure=True) for _ in range(1000))


def test_policy_validation() -> None:
    """Negative or non-integer retry counts are refused."""
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ConfigurationError):
        RetryPolicy(max_retries=1.5)  # type: ignore[arg-type]
