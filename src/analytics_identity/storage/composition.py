"""The page's stores and the priority lists each entity reads and writes.

The composition rules live here, as configuration of :class:`PriorityStorage`:
the cookie wins disagreements (it is shared across subdomains while
localStorage is per origin; analytics-next issue #706), traits never go in a
cookie, and the classic cookies are read from the cookie alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from ..host.protocols import CookieJar, KeyValueStorage
from .codec import CookieAttributes
from .cookie_store import CookieStore
from .priority import PriorityStorage, StoreFailures
from .stores import LocalStorageStore, MemoryStore, Store

__all__ = ["EntityStorage", "PageStores"]


class EntityStorage(NamedTuple):
    """Where one entity keeps its values."""

    ids: PriorityStorage
    #: Traits never go in a cookie.
    traits: PriorityStorage
    #: Cookie only, for the classic cookies; ``None`` when cookies are not used.
    legacy: PriorityStorage | None


class PageStores:
    """One store of each kind for the page, composed into priority lists by name.

    One of each, so that the cookie domain is probed once, each failing store
    is reported once, and user and group share one memory.
    """

    def __init__(
        self,
        jar: CookieJar,
        local_storage: KeyValueStorage,
        attributes: CookieAttributes,
        clock: Callable[[], datetime],
        warn: Callable[[str], None],
    ) -> None:
        self.failures = StoreFailures(warn)
        self.memory = MemoryStore()
        self.cookie = CookieStore(jar, attributes, clock, warn)
        self.local_storage = LocalStorageStore(local_storage)

    def priority(self, names: tuple[str, ...]) -> PriorityStorage:
        """The stores ``names`` (``"cookie"``, ``"localStorage"``, ``"memory"``) in that order."""
        by_name: dict[str, Store] = {"cookie": self.cookie, "localStorage": self.local_storage, "memory": self.memory}
        return PriorityStorage([by_name[n] for n in names], self.failures, self.cookie if "cookie" in names else None)

    def for_entity(self, names: tuple[str, ...]) -> EntityStorage:
        """An entity's lists from its resolved store names (settings decide them)."""
        return EntityStorage(
            self.priority(names),
            self.priority(tuple(n for n in names if n != "cookie")),
            self.priority(("cookie",)) if "cookie" in names else None,
        )
