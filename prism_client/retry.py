"""When to retry and how long to wait: pure functions, so every branch is testable.

Modelled on stripe-python's ``_should_retry``: the server's ``x-should-retry``
header is read before the status, backoff is exponential and capped, and the
jitter is a separate input so tests can pin it.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Methods whose repetition cannot do a second, different thing.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry and how long to wait.

    ``jitter`` returns a fraction in [0, 1); tests pass ``lambda: 0.0``.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    # A Retry-After longer than this is not waited for: the error goes to the
    # caller, who can tell a person "try again in N seconds".
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")


def is_replayable(method: str, *, has_idempotency_key: bool) -> bool:
    """Whether sending the request twice is safe: idempotent method or keyed write."""
    return method.upper() in IDEMPOTENT_METHODS or has_idempotency_key


def should_retry(
    *,
    replayable: bool,
    retries_done: int,
    max_retries: int,
    status: int | None,
    should_retry_header: str | None = None,
    retry_after: float | None = None,
    max_retry_after: float = 60.0,
) -> bool:
    """Whether to send the request again.

    ``status`` is None when no response arrived (connection error or timeout).
    """
    if retries_done >= max_retries:
        return False
    if not replayable:
        return False
    if status is None:
        return True
    if retry_after is not None and retry_after > max_retry_after:
        return False
    header = (should_retry_header or "").strip().lower()
    if header == "true":
        return True
    if header == "false":
        return False
    return status in RETRYABLE_STATUSES or status >= 500


def add_jitter(delay: float, fraction: float) -> float:
    """``delay`` scaled into [delay/2, delay]: spreads clients that failed together."""
    return delay * (0.5 + 0.5 * min(max(fraction, 0.0), 1.0))


def backoff_delay(
    retries_done: int,
    policy: RetryPolicy,
    *,
    retry_after: float | None = None,
    jitter: float | None = None,
) -> float:
    """Seconds to sleep before retry number ``retries_done + 1``.

    A server-given ``Retry-After`` within the policy's cap is used as is.
    """
    if retry_after is not None and 0 <= retry_after <= policy.max_retry_after:
        return retry_after
    delay = min(policy.initial_delay * 2 ** min(retries_done, 32), policy.max_delay)
    return add_jitter(delay, policy.jitter() if jitter is None else jitter)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds from ``Retry-After-Ms`` or ``Retry-After`` (seconds or HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        return float(lowered["retry-after-ms"]) / 1000
    except (KeyError, ValueError):
        pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    current = time.time() if now is None else now
    return max(email.utils.mktime_tz(parsed) - current, 0.0)
