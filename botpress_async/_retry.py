"""When to retry, how long to wait, the budget that stops retry storms, and the retry loop.

The decisions are pure (no I/O, no clock reads except where a ``now`` is passed in) so they
test without a server. `run_attempts` is the one loop that repeats a failed attempt, for API
calls and storage transfers alike: one classifier (`should_retry`), one clock (the event
loop's), one budget (the client's `RetryBudget`) and one backoff (`backoff_delay`).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import math
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Final, TypeVar

import attrs

from ._errors import ConfigurationError
from ._throttle import current_limiter

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "RetryBudget",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "retry_after_of",
    "run_attempts",
    "should_retry",
]

T = TypeVar("T")
_logger: Final = logging.getLogger("botpress")

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How the client retries failed attempts.

    Args:
        max_retries: retries after the first attempt (0 turns retrying off).
        initial_delay: the first backoff, in seconds, before jitter.
        max_delay: the longest backoff between two attempts, in seconds.
        max_retry_after: the longest ``Retry-After`` the client sleeps for; a longer one raises
            `RateLimitedError` at once, carrying ``retry_after``.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        """This policy with another retry count (a per-call override)."""
        if type(max_retries) is not int:
            return attrs.evolve(self, max_retries=max_retries)  # refused by the validation
        if max_retries == self.max_retries:
            return self
        return _evolved(self, max_retries)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ConfigurationError(
                f"max_retries must be an int, not {type(self.max_retries).__name__}"
            )
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be 0 or more, got {self.max_retries}")
        delays = (self.initial_delay, self.max_delay, self.max_retry_after)
        if any(isinstance(d, bool) or not isinstance(d, (int, float)) for d in delays):
            raise ConfigurationError("retry delays must be numbers of seconds")
        if not all(d >= 0 for d in delays):  # NaN fails this too
            raise ConfigurationError("retry delays must be 0 or more seconds")


@functools.lru_cache(maxsize=64)
def _evolved(policy: RetryPolicy, max_retries: int) -> RetryPolicy:
    # A bulk job overrides the retry count of every call: building and validating a new
    # policy each time was a measurable part of its per-item cost.
    return attrs.evolve(policy, max_retries=max_retries)


def should_retry(
    *,
    method_idempotent: bool,
    status: int | None,
    sent: bool,
) -> str | None:
    """Decide whether a failed attempt may be repeated; return the reason, or ``None`` not to.

    Args:
        method_idempotent: whether repeating the request cannot do the work twice.
        status: the response status, or ``None`` when no response arrived.
        sent: for a failure without response, whether the request may have reached the server.
    """
    if status is None:
        if not sent:
            # The connection failed before a byte of the request left: nothing can have happened.
            return "connection failed before sending"
        if method_idempotent:
            # Reset or timeout after sending: the server may have acted, which is harmless only
            # when doing the work again changes nothing.
            return "connection lost after sending"
        return None
    if status == 429:
        # Rate limited requests were refused, not processed, so any method may be repeated.
        return "rate limited (429)"
    if status in RETRYABLE_STATUSES and method_idempotent:
        # A 5xx may come after the work was done; repeat only what is safe to repeat.
        return f"server error ({status})"
    return None


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter before retry number ``attempt`` (1-based)."""
    base = min(policy.max_delay, policy.initial_delay * (2 ** (attempt - 1)))
    # Full jitter spreads a crowd of clients that failed together over the whole window.
    return (rng or random).uniform(base / 2, base)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Args:
        value: the header's value, if sent.
        now: the current Unix time, to turn a date into a delay.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def retry_after_of(status: int, headers: Mapping[str, str]) -> float | None:
    """The wait a 429 or 503 answer asks for (``Retry-After``); ``None`` for other answers.

    Args:
        status: the response status.
        headers: the response headers.
    """
    if status not in (429, 503):
        return None
    # Both mean "come back later"; the wait the server asks for applies to either.
    return parse_retry_after(headers.get("Retry-After"), now=time.time())


class RetryBudget:
    """A token bucket shared by every request of a client, so retries cannot multiply load.

    Each retry spends tokens (more after a timeout, which is costlier to the server); each
    success refunds a little. When the bucket is empty, failures are raised instead of retried
    until successes refill it, so a bulk job against a failing server backs off to one attempt
    per call instead of ``1 + max_retries``.

    Args:
        capacity: tokens when full; ``0`` disables retries entirely, ``None`` means unlimited.
        retry_cost: tokens a retry spends.
        timeout_cost: tokens a retry after a timeout or lost connection spends.
        success_refund: tokens a success gives back.
    """

    def __init__(
        self,
        capacity: float | None = 500.0,
        *,
        retry_cost: float = 5.0,
        timeout_cost: float = 10.0,
        success_refund: float = 1.0,
    ) -> None:
        given: object = capacity
        if given is not None and (
            isinstance(given, bool) or not isinstance(given, (int, float)) or not given >= 0
        ):  # `not >=` is also true for NaN
            raise ConfigurationError(
                f"retry_budget must be a number of tokens (0 or more) or None for no budget, "
                f"got {given!r:.40}",
                argument="retry_budget",
            )
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self.success_refund = success_refund
        self._tokens = capacity if capacity is not None else math.inf
        self._exhausted_noted = False
        # Sync facades call from many threads; the bucket is tiny, a lock is cheapest.
        self._lock = threading.Lock()

    @property
    def tokens(self) -> float:
        """Tokens left now."""
        return self._tokens

    def try_spend(self, *, connection_failure: bool) -> bool:
        """Take the cost of one retry; return false (and take nothing) when it cannot be paid."""
        if self.capacity is None:
            return True
        cost = self.timeout_cost if connection_failure else self.retry_cost
        with self._lock:
            if self._tokens < cost:
                return False
            self._tokens -= cost
            return True

    def refund(self) -> None:
        """Give back tokens after a successful request."""
        if self.capacity is None or self._tokens >= self.capacity:
            return
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + self.success_refund)
            if self._tokens >= self.capacity / 2:
                self._exhausted_noted = False

    def note_exhausted(self) -> bool:
        """True the first time a retry is refused since the bucket was last half full.

        Lets the client warn once when retries stop, not once per refused retry.
        """
        with self._lock:
            first, self._exhausted_noted = not self._exhausted_noted, True
            return first

    def __repr__(self) -> str:
        return f"RetryBudget(tokens={self._tokens:g}, capacity={self.capacity})"


async def run_attempts(
    attempt: Callable[[float | None], Awaitable[T]],
    *,
    retry_on: tuple[type[Exception], ...],
    budget: RetryBudget,
    policy: RetryPolicy,
    total: float | None,
    idempotent: bool,
    what: str,
    late: Callable[[int], Exception],
) -> T:
    """Run ``attempt`` until it succeeds, or the policy, budget or deadline says stop.

    The one retry loop of the SDK. A failure of a type in ``retry_on`` is judged by its
    ``status`` (``None`` when no response arrived), ``sent`` (whether the request may have
    reached the server), ``retry_after`` and ``retryable`` attributes; any other exception
    propagates at once. The failure that ends the loop is raised with ``attempts``,
    ``elapsed`` and ``not_retried`` set.

    Args:
        attempt: makes one attempt; it takes the seconds left before ``total`` runs out.
        retry_on: the exception types that describe a failed attempt.
        budget: the client's retry budget.
        policy: the call's retry policy.
        total: the seconds all attempts together may take, or ``None``.
        idempotent: whether repeating a request that reached the server is safe.
        what: the request, for the log (``"GET /v1/chat/users"``).
        late: builds the error raised when the deadline passes before attempt ``n`` (given).
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = None if total is None else started + total
    number = 0
    while True:
        number += 1
        remaining = None
        if deadline is not None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                error: Exception = late(number)
                _note(error, number - 1, loop.time() - started, None)
                raise error
        try:
            result = await attempt(remaining)
        except retry_on as exc:
            error = exc
        else:
            budget.refund()
            return result
        status: int | None = getattr(error, "status", None)
        retry_after: float | None = getattr(error, "retry_after", None)
        if status in (429, 503):
            limiter = current_limiter.get()
            if limiter is not None:
                # A bulk job slows down as a whole when the server asks one of its calls to.
                limiter.on_throttle(retry_after)
        reason = None
        if getattr(error, "retryable", True):
            reason = should_retry(
                method_idempotent=idempotent, status=status, sent=getattr(error, "sent", True)
            )
        refusal = None
        if reason is not None and number <= policy.max_retries:
            refusal = await _pause(
                budget=budget,
                policy=policy,
                attempt=number,
                reason=reason,
                retry_after=retry_after,
                deadline=deadline,
                connection_failure=status is None,
                what=what,
            )
            if refusal is None:
                continue
        # Raised here, outside the handler, so the failure keeps the context it was raised with.
        _note(error, number, loop.time() - started, refusal)
        raise error


def _note(error: Exception, attempts: int, elapsed: float, refusal: str | None) -> None:
    """Record on the failure how many attempts it ends, over how long, and why no more."""
    error.attempts = attempts  # type: ignore[attr-defined]
    error.elapsed = elapsed  # type: ignore[attr-defined]
    error.not_retried = refusal  # type: ignore[attr-defined]


async def _pause(
    *,
    budget: RetryBudget,
    policy: RetryPolicy,
    attempt: int,
    reason: str,
    retry_after: float | None,
    deadline: float | None,
    connection_failure: bool,
    what: str,
) -> str | None:
    """Wait before the next attempt and return ``None``, or return why it must not happen."""
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            # Sleeping for minutes inside a call surprises more than it helps.
            return (
                f"the server asked to wait {retry_after:g} s (Retry-After), longer than the "
                f"client's max_retry_after of {policy.max_retry_after:g} s; wait and call again, "
                "or raise max_retry_after"
            )
        delay = retry_after
    else:
        delay = backoff_delay(attempt, policy)
    limiter = current_limiter.get()
    if limiter is not None:
        # A bulk job's shared pause applies to its retries too.
        delay = max(delay, limiter.pause_remaining())
    if deadline is not None and asyncio.get_running_loop().time() + delay >= deadline:
        return "the next attempt would start after the total time limit (Timeout.total)"
    if not budget.try_spend(connection_failure=connection_failure):
        # One warning when the budget runs dry, not one per refused retry.
        log = _logger.warning if budget.note_exhausted() else _logger.debug
        log(
            "not retrying %s after %s: the client's retry budget is spent; retries resume "
            "as requests succeed",
            what,
            reason,
        )
        return "the client's retry budget is spent (too many failures lately)"
    _logger.info(
        "retrying %s (attempt %d of %d) after %s; waiting %.2fs",
        what,
        attempt + 1,
        policy.max_retries + 1,
        reason,
        delay,
    )
    await asyncio.sleep(delay)
    return None
