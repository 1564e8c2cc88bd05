"""How events are grouped into requests (``deliveryStrategy``) and the retry backoff.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Strategy", "backoff_delay"]


BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0


@dataclass(frozen=True)
class Strategy:
    """``deliveryStrategy``: one request per event, or batches by count, time and bytes."""

    batching: bool = False
    size: int = 10
    timeout: float = 5.0
    max_bytes: int = 450_000


def backoff_delay(attempts: int, rng: random.Random) -> float:
    """Seconds before retry number ``attempts``: 1 s doubling to 5 min, jittered to 50–100 %."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return ceiling * (0.5 + rng.random() / 2)
