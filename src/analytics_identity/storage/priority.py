"""Stores composed by a priority list: read the first that has a value, write them all.

When stores disagree the list's ``winner`` wins and every store is rewritten;
which store that is, is configuration (:mod:`.composition` makes it the cookie).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .gate import StorageGate
from .stores import RenewingStore, Store, StoreError, StoreUnavailable

__all__ = ["PriorityStorage", "StoreFailures"]

#: What :attr:`PriorityStorage._synced` holds for a key no store holds.
_ABSENT: Any = object()


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

    ``winner``, one of ``stores``, is the store whose value wins when they
    disagree; it is renewed when read.

    Every write passes the page's :class:`~analytics_identity.storage.gate.StorageGate`:
    while it is closed only memory is written, and the values set meanwhile
    (``_unsaved``) win every read until the gate opens and they are saved.
    ``keys``: what this list holds, kept in memory when the gate closes even
    if not read yet.
    """

    def __init__(self, stores: Sequence[Store], failures: StoreFailures, winner: RenewingStore | None = None,
                 gate: StorageGate | None = None, keys: Iterable[str] = ()) -> None:
        self.stores = list(stores)
        self._failures = failures
        self._gate = gate if gate is not None else StorageGate()
        self._gate.attach(self)
        self._keys = set(keys)
        #: Values set while the gate was closed (``None``: removed), by key.
        self._unsaved: dict[str, Any] = {}
        self._landed: set[str] = set()
        self._winner = winner
        #: Per key, the value every store was made to hold in this page (or
        #: :data:`_ABSENT`, found in none): while the cookie still holds it (or
        #: nothing), reading the cookie alone is enough. Most visitors have no
        #: userId: each event read localStorage for it before.
        self._synced: dict[str, Any] = {}

    def _only_in_memory(self, key: str, holders: list[Store]) -> bool:
        """True when the value was removed from the persisting stores elsewhere; memory forgets it."""
        if key in self._landed and not any(store.persistent for store in holders):
            self._landed.discard(key)
            for store in holders:
                self._write(store, key, None)
            return True
        return False

    def save_unsaved(self) -> None:
        """The gate opened: write what was set meanwhile to every store."""
        unsaved, self._unsaved = self._unsaved, {}
        for key, value in unsaved.items():
            self.set(key, value)

    def keep_in_memory(self) -> None:
        """The gate is closing: from now on this page's values are the ones read now."""
        for key in self._keys - self._unsaved.keys():
            self._unsaved[key] = self.get(key)
        self._landed.clear()
        self._synced.clear()

    def _read_all(self, key: str) -> list[tuple[Store, Any | None]]:
        self._keys.add(key)
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
        if key in self._unsaved:
            return _present(self._unsaved[key])
        holders = [(store, value) for store, value in self._read_all(key) if _present(value) is not None]
        if not holders or self._only_in_memory(key, [store for store, _ in holders]):
            return None
        return holders[0][1]

    def get_and_sync(self, key: str, clean: Callable[[Any], Any | None] = _present) -> Any | None:
        """Read every store; the winner's value wins, else the first one found.

        ``clean`` turns a raw stored value into the value (or ``None`` when
        unusable, e.g. an id that is an object). Every store holding something
        else is rewritten with the winner, and the winner is renewed.

        Once the stores agree, later reads in the page look at the winner
        only, as long as it holds that value: it wins anyway, and each store
        read is a call into the browser on every event.
        """
        if key in self._unsaved:
            unsaved = self._unsaved[key]
            return None if unsaved is None else clean(unsaved)
        synced = self._synced.pop(key, None)
        if synced is not None and self._winner_value(key, clean) == (None if synced is _ABSENT else synced):
            self._synced[key] = synced
            return None if synced is _ABSENT else synced
        values = [(store, raw, clean(raw)) for store, raw in self._read_all(key)]
        usable = [(store, value) for store, _, value in values if value is not None]
        if not usable:
            if len(values) == len(self.stores) and self._winner_works():
                self._synced[key] = _ABSENT  # no store holds it: the winner alone is read while it holds nothing
            return None
        if self._only_in_memory(key, [store for store, _ in usable]):
            return None
        winner = next((value for store, value in usable if store is self._winner), usable[0][1])
        agreed = True
        for store, raw, _ in values:
            if raw != winner:
                agreed = self._write(store, key, winner) and agreed
            elif store is self._winner:
                self._renew(self._winner, key, winner)
        if agreed and len(values) == len(self.stores):
            self._synced[key] = winner
        return winner

    def _winner_works(self) -> bool:
        return self._winner is not None and self._winner.name not in self._failures.broken

    def _winner_value(self, key: str, clean: Callable[[Any], Any | None]) -> Any | None:
        """The winner's usable value, when the list has a working one."""
        if not self._winner_works():
            return None
        try:
            return clean(self._winner.get(key))
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(self._winner, "read", error)
            return None

    def set(self, key: str, value: Any | None) -> None:
        """Write ``value`` to every store; ``None`` removes it everywhere."""
        self._synced.pop(key, None)
        self._keys.add(key)
        if not self._gate.open:
            self._unsaved[key] = value
        agreed = True
        for store in self.stores:
            if store.name not in self._failures.broken:
                agreed = self._write(store, key, value) and agreed
        if agreed and value is not None and self._winner is not None:
            self._synced[key] = value

    def _write(self, store: Store, key: str, value: Any | None) -> bool:
        """Write one store; ``False`` when it failed (reported) or the gate kept it in memory."""
        if store.persistent and not self._gate.open:
            return False
        try:
            store.set(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(store, "write", error)
            return False
        self._note_landed(store, key, value)
        return True

    def _renew(self, store: RenewingStore, key: str, value: Any) -> None:
        if not self._gate.open:
            return
        try:
            store.renew(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(store, "write", error)
            return
        self._note_landed(store, key, value)

    def _note_landed(self, store: Store, key: str, value: Any | None) -> None:
        if store.persistent:
            if value is None:
                self._landed.discard(key)
            else:
                self._landed.add(key)
