"""When to retry, how long to wait, and the budget that stops retry storms.

Everything here is pure (no I/O, no clock reads except where a ``now`` is passed in) so it
tests without a server.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
from typing import Final

import attrs

from ._errors import ConfigurationError

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "RetryBudget",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "should_retry",
]

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
        return attrs.evolve(self, max_retries=max_retries)

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
