"""What the collector's answer means for the events a request carried: done, retry, split or drop.

Failures (network error, 408, 425, 429, 5xx) are retried with exponential
backoff and jitter, and ``Retry-After`` is honoured; other 4xx are dropped,
since resending a request the collector refuses never helps. A refused batch
(400, 413) is first split into single events, so one bad event does not take
the others with it.
"""

from __future__ import annotations

import random
from datetime import timezone

from .transport import Reply

__all__ = ["DONE", "DROP", "RETRY", "SPLIT", "backoff_delay", "classify", "parse_retry_after", "retry_delay"]

DONE, RETRY, SPLIT, DROP = "done", "retry", "split", "drop"
#: Statuses worth retrying below 500 (0: no answer at all).
RETRYABLE = frozenset({0, 408, 425, 429})
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0


def classify(reply: Reply, count: int) -> str:
    """The outcome for a request that carried ``count`` events."""
    status = reply.status
    if 200 <= status < 300:
        return DONE
    if status in (400, 413) and count > 1:
        return SPLIT
    if status in RETRYABLE or status >= 500 or status < 400:
        return RETRY
    return DROP


def backoff_delay(attempts: int, rng: random.Random) -> float:
    """Seconds before retry number ``attempts``: 1 s doubling to 5 min, jittered to 50–100 %."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return ceiling * (0.5 + rng.random() / 2)


def retry_delay(reply: Reply, attempts: int, rng: random.Random) -> float:
    """Seconds before the next try: the backoff, or what ``Retry-After`` says on a 429 or 503."""
    wait = backoff_delay(attempts, rng)
    if reply.retry_after is not None and reply.status in (429, 503):
        wait = max(reply.retry_after, 0.0)
    return wait


def parse_retry_after(value: object, now: float) -> float | None:
    """``Retry-After`` in seconds, from either of its forms (seconds, or an HTTP date
    compared with ``now``, wall-clock seconds); ``None`` when absent or unreadable.

    The one parser for every transport (``fetch`` in the browser, urllib in CPython).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime  # only for the rare date form

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC, source unknown
        moment = moment.replace(tzinfo=timezone.utc)
    return max(moment.timestamp() - now, 0.0)
