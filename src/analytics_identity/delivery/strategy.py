"""``deliveryStrategy`` and the retry backoff.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..host import describe

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

    @classmethod
    def from_options(cls, options: Any, warn: Callable[[str], None]) -> Strategy:
        """``{strategy: "batching", config: {size, timeout}}``; ``timeout`` in ms like analytics-next."""
        if options is None:
            return cls()
        if not isinstance(options, dict) or options.get("strategy", "standard") not in ("standard", "batching"):
            warn(f"deliveryStrategy {describe(options)} not understood; sending each event on its own")
            return cls()
        if options.get("strategy") != "batching":
            return cls()
        config = options.get("config") if isinstance(options.get("config"), dict) else {}
        size, timeout = config.get("size", 10), config.get("timeout", 5000)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            warn(f"deliveryStrategy.config.size {describe(size)} is not a positive integer; using 10")
            size = 10
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
            warn(f"deliveryStrategy.config.timeout {describe(timeout)} is not a number of ms; using 5000")
            timeout = 5000
        return cls(batching=True, size=size, timeout=timeout / 1000)


def backoff_delay(attempts: int, rng: random.Random) -> float:
    """Seconds before retry number ``attempts``: 1 s doubling to 5 min, jittered to 50–100 %."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return ceiling * (0.5 + rng.random() / 2)
