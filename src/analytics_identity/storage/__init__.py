"""Where identity values live: the :class:`Store` interface, memory, localStorage and
cookie stores, the cookie codec, and the priority lists that compose them.
"""

from .composition import EntityStorage, PageStores
from .cookie_header import CookieHeader
from .cookie_store import CookieStore
from .priority import PriorityStorage, StoreFailures
from .stores import LocalStorageStore, MemoryStore, Store, StoreError, StoreUnavailable

__all__ = ["CookieHeader", "CookieStore", "EntityStorage", "LocalStorageStore", "MemoryStore", "PageStores", "PriorityStorage", "Store", "StoreError", "StoreFailures", "StoreUnavailable"]
