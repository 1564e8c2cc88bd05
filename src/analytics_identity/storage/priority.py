"""Stores composed by a priority list: read the first that has a value, write them all.

When stores disagree the cookie wins (it is shared across subdomains while
localStorage is per origin; analytics-next issue #706) and every store is rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .cookie_store import CookieStore
from .stores import MemoryStore, Store, StoreError, StoreUnavailable

__all__ = ["PriorityStorage", "StoreFailures"]


class StoreFailures:
    """Store failures of the page, shared by every priority list.

    Each failing store is reported once. A store that fails to read (a
    ``SecurityError`` in a sandboxed frame, cookies refused) is skipped from
    then on, so a broken store costs one exception per page, not one per
    call; a failed write (a full quota) only skips that write.
    """

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        self._warned: set[str] = set()
        self.broken: set[str] = set()

    def report(self, store: Store, action: str, error: Exception) -> None:
        if isinstance(error, StoreError):
            message = str(error)
        else:
            if action == "read" or isinstance(error, StoreUnavailable):
                self.broken.add(store.name)
            message = f"{store.name} is unavailable ({action} failed: {error}); using the other stores"
            if store.name in self._warned:
                return
            self._warned.add(store.name)
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)


def _present(value: Any) -> Any | None:
    """A blanked-out value (``""``, as some consent scripts leave) counts as none."""
    return None if value == "" else value


class PriorityStorage:
    """Stores in priority order: read the first value, write them all.

    Memory backs up the stores that persist, for pages where they fail. Once
    a value has landed in one of them, finding it only in memory means
    another tab (a ``reset()`` there) or the visitor removed it: memory then
    forgets it too instead of writing it back.
    """

    def __init__(self, stores: Sequence[Store], failures: StoreFailures) -> None:
        self.stores = list(stores)
        self._failures = failures
        self._landed: set[str] = set()
        self._cookie = next((store for store in self.stores if isinstance(store, CookieStore)), None)
        #: Per key, the value every store was made to hold in this page: while
        #: the cookie still holds it, reading the cookie alone is enough.
        self._synced: dict[str, Any] = {}

    def _only_in_memory(self, key: str, holders: list[Store]) -> bool:
        """True when the value was removed from the persisting stores elsewhere; memory forgets it."""
        if key in self._landed and all(store.name == MemoryStore.name for store in holders):
            self._landed.discard(key)
            for store in holders:
                self._write(store, key, None)
            return True
        return False

    def _read_all(self, key: str) -> list[tuple[Store, Any | None]]:
        values = []
        for store in self.stores:
            if store.name in self._failures.broken:
                continue
            try:
                values.append((store, store.get(key)))
            except Exception as error:  # noqa: BLE001 - any storage failure is skipped
                self._failures.report(store, "read", error)
        return values

    def get(self, key: str) -> Any | None:
        """The value of the first store that has one, without repairing the others."""
        holders = [(store, value) for store, value in self._read_all(key) if _present(value) is not None]
        if not holders or self._only_in_memory(key, [store for store, _ in holders]):
            return None
        return holders[0][1]

    def get_and_sync(self, key: str, clean: Callable[[Any], Any | None] = _present) -> Any | None:
        """Read every store; the cookie's value wins, else the first one found.

        ``clean`` turns a raw stored value into the value (or ``None`` when
        unusable, e.g. an id that is an object). Every store holding something
        else is rewritten with the winner, and the cookie is renewed.

        Once the stores agree, later reads in the page look at the cookie
        only, as long as it holds that value: the cookie wins anyway, and each
        store read is a call into the browser on every event.
        """
        synced = self._synced.pop(key, None)
        if synced is not None and self._cookie_value(key, clean) == synced:
            self._synced[key] = synced
            return synced
        values = [(store, raw, clean(raw)) for store, raw in self._read_all(key)]
        usable = [(store, value) for store, _, value in values if value is not None]
        if not usable or self._only_in_memory(key, [store for store, _ in usable]):
            return None
        winner = next((value for store, value in usable if store.name == CookieStore.name), usable[0][1])
        agreed = True
        for store, raw, _ in values:
            if raw != winner:
                agreed = self._write(store, key, winner) and agreed
            elif isinstance(store, CookieStore):
                self._renew(store, key, winner)
        if agreed and len(values) == len(self.stores):
            self._synced[key] = winner
        return winner

    def _cookie_value(self, key: str, clean: Callable[[Any], Any | None]) -> Any | None:
        """The cookie's usable value, when the list has a working cookie store."""
        if self._cookie is None or self._cookie.name in self._failures.broken:
            return None
        try:
            return clean(self._cookie.get(key))
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(self._cookie, "read", error)
            return None

    def set(self, key: str, value: Any | None) -> None:
        """Write ``value`` to every store; ``None`` removes it everywhere."""
        self._synced.pop(key, None)
        agreed = True
        for store in self.stores:
            if store.name not in self._failures.broken:
                agreed = self._write(store, key, value) and agreed
        if agreed and value is not None and self._cookie is not None:
            self._synced[key] = value

    def _write(self, store: Store, key: str, value: Any | None) -> bool:
        """Write one store; ``False`` when it failed (reported)."""
        try:
            store.set(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(store, "write", error)
            return False
        if store.name != MemoryStore.name:
            if value is None:
                self._landed.discard(key)
            else:
                self._landed.add(key)
        return True

    def _renew(self, store: CookieStore, key: str, value: Any) -> None:
        try:
            store.renew(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(store, "write", error)
            return
        if store.name != MemoryStore.name:
            if value is None:
                self._landed.discard(key)
            else:
                self._landed.add(key)
