"""The page's stores and the priority lists each entity reads and writes.

The composition rules live here, as configuration of :class:`PriorityStorage`:
the cookie wins disagreements (it is shared across subdomains while
localStorage is per origin; analytics-next issue #706), traits never go in a
cookie, and the classic cookies are read from the cookie alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..host.protocols import KeyValueStorage
from .codec import CookieAttributes
from .cookie_header import CookieHeader
from .cookie_store import CookieStore
from .gate import StorageGate, remove_owned
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
    is reported once, and user and group share one memory. Every list writes
    through the page's one ``gate`` (closed until consent allows).
    """

    def __init__(
        self,
        cookies: CookieHeader,
        local_storage: KeyValueStorage,
        attributes: CookieAttributes,
        clock: Callable[[], float],
        warn: Callable[[str], None],
        gate: StorageGate | None = None,
    ) -> None:
        self.gate = gate if gate is not None else StorageGate()
        self.failures = StoreFailures(warn)
        self.memory = MemoryStore()
        self.cookie = CookieStore(cookies, attributes, clock, warn)
        self.local_storage = LocalStorageStore(local_storage)
        self._backend = local_storage
        self._by_name: dict[str, Store] = {"cookie": self.cookie, "localStorage": self.local_storage,
                                           "memory": self.memory}

    def priority(self, names: tuple[str, ...], *keys: str) -> PriorityStorage:
        """The stores ``names`` (``"cookie"``, ``"localStorage"``, ``"memory"``) in that order, holding ``keys``."""
        return PriorityStorage([self._by_name[n] for n in names], self.failures,
                               self.cookie if "cookie" in names else None, self.gate, keys)

    def for_entity(self, names: tuple[str, ...], id_key: str, traits_key: str) -> EntityStorage:
        """An entity's lists from its resolved store names (settings decide them) and keys."""
        return EntityStorage(
            self.priority(names, id_key),
            self.priority(tuple(n for n in names if n != "cookie"), traits_key),
            self.priority(("cookie",)) if "cookie" in names else None,
        )

    def forget(self, names: Iterable[str]) -> None:
        """Close the gate, identity kept in memory, and remove every ``ajs_*`` key and ``names`` from the browser."""
        self.gate.forbid()
        remove_owned(self.cookie, self._backend, names,
                     lambda store, error: self.failures.report(self._by_name[store], "write", error))
