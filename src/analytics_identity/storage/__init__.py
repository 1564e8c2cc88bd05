"""Where identity values live: the :class:`Store` interface, memory, localStorage and
cookie stores, the cookie codec, and the priority list that composes them.
"""

from .cookie_store import CookieStore
from .priority import PriorityStorage, StoreFailures
from .stores import LocalStorageStore, MemoryStore, Store, StoreError, StoreUnavailable

__all__ = ["CookieStore", "LocalStorageStore", "MemoryStore", "PriorityStorage", "Store", "StoreError", "StoreFailures", "StoreUnavailable"]
