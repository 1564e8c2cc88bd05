"""Getting events to the collector without losing any: the queue, batching, retries,
and the transports and timers it runs on.
"""

from .batching import Strategy
from .policy import backoff_delay
from .queue import MAX_BYTES, Delivery
from .store import ITEM_PREFIX, LEASE_PREFIX, LEGACY_QUEUE_KEY
from ..host.protocols import Timers
from .timers import ManualTimers
from .transport import (
    ENDPOINTS,
    KEEPALIVE_BYTES,
    Endpoint,
    MemoryTransport,
    Network,
    Reply,
    Request,
    Transport,
)

__all__ = ["Delivery", "ENDPOINTS", "Endpoint", "ITEM_PREFIX", "KEEPALIVE_BYTES", "LEASE_PREFIX", "LEGACY_QUEUE_KEY", "MAX_BYTES", "ManualTimers", "MemoryTransport", "Network", "Reply", "Request", "Strategy", "Timers", "Transport", "backoff_delay"]
