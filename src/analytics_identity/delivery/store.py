"""The queue as kept in localStorage, shared by every tab of the origin.

One key per event (``ajs_identity_queue:<messageId>``) keeps the cost of an
event flat: queuing writes that one small item, where a single queue key had
to be read, merged and rewritten whole on every call (the whole string
crossing into JavaScript and back). Each tab holding items keeps a lease
(``ajs_identity_lease:<tab>``, a wall-clock deadline) beside them.

Storage may throw at any time (``SecurityError``, a full quota): the queue
then carries on in memory, with one warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..host import KeyValueStorage
from .item import QueueItem

__all__ = ["ITEM_PREFIX", "LEASE_PREFIX", "LEGACY_QUEUE_KEY", "QueueStore"]

#: Each queued event is kept under this prefix plus its messageId.
ITEM_PREFIX = "ajs_identity_queue:"
#: Each tab holding items keeps its lease deadline under this prefix plus its id.
LEASE_PREFIX = "ajs_identity_lease:"
#: The one key the whole queue lived under in earlier versions; imported once by the next page.
LEGACY_QUEUE_KEY = "ajs_identity_queue"


class QueueStore:
    """Items and leases in shared storage; without storage (``None``) every method does nothing."""

    def __init__(self, storage: KeyValueStorage | None, warn: Callable[[str], None]) -> None:
        self.storage = storage
        self._warn = warn
        self._failed = False
        #: Stored items by key with the text they were parsed from: a scan parses only what changed.
        self._parsed: dict[str, tuple[str, QueueItem]] = {}

    def trouble(self, error: Exception) -> None:
        if not self._failed:
            self._failed = True
            self._warn(f"the event queue cannot use localStorage ({error}); events are kept in memory only")

    def forget_parsed(self) -> None:
        self._parsed.clear()

    def save(self, item: QueueItem) -> None:
        """Write one of this tab's items."""
        if self.storage is None:
            return
        key = ITEM_PREFIX + item.id
        raw = item.stored()
        try:
            self.storage.set_item(key, raw)
        except Exception as error:  # noqa: BLE001 - quota or SecurityError: keep going in memory
            self.trouble(error)
            return
        self._parsed[key] = (raw, item)

    def remove(self, message_id: str) -> None:
        key = ITEM_PREFIX + message_id
        self._parsed.pop(key, None)
        if self.storage is None:
            return
        try:
            self.storage.remove_item(key)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self.trouble(error)

    def load(self, message_id: str) -> QueueItem | None:
        """The stored item (``None`` when missing); garbage is removed with a warning. May raise."""
        assert self.storage is not None
        key = ITEM_PREFIX + message_id
        raw = self.storage.get_item(key)
        if raw is None:
            return None
        cached = self._parsed.get(key)
        if cached is not None and cached[0] == raw:
            return cached[1]
        try:
            item = QueueItem.from_stored(json.loads(raw))
        except ValueError:
            item = None
        if item is None or item.id != message_id:
            self._warn(f"{key} in localStorage is not a queued event; removed it")
            self.storage.remove_item(key)
            self._parsed.pop(key, None)
            return None
        self._parsed[key] = (raw, item)
        return item

    def scan(self) -> tuple[list[QueueItem], dict[str, float]] | None:
        """Every stored item and every tab's lease deadline; ``None`` when storage failed (or there is none)."""
        if self.storage is None:
            return None
        try:
            keys = self.storage.keys()
            ids = [key[len(ITEM_PREFIX):] for key in keys if key.startswith(ITEM_PREFIX)]
            items = [item for message_id in ids if (item := self.load(message_id)) is not None]
            tabs = [key[len(LEASE_PREFIX):] for key in keys if key.startswith(LEASE_PREFIX)]
            leases = {tab: self.read_lease(tab) for tab in tabs}
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self.trouble(error)
            return None
        present = set(keys)
        self._parsed = {key: value for key, value in self._parsed.items() if key in present}
        return items, leases

    def import_legacy(self) -> None:
        """Move a queue left under the single key of earlier versions to one key per event."""
        if self.storage is None:
            return
        try:
            raw = self.storage.get_item(LEGACY_QUEUE_KEY)
            if raw is None:
                return
            try:
                values = json.loads(raw)
            except ValueError:
                values = None
            for value in values if isinstance(values, list) else []:
                item = QueueItem.from_stored(value)
                if item is not None:
                    self.storage.set_item(ITEM_PREFIX + item.id, item.stored())
            self.storage.remove_item(LEGACY_QUEUE_KEY)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self.trouble(error)

    # -- leases ------------------------------------------------------------------

    def write_lease(self, tab: str, deadline: float) -> None:
        if self.storage is None:
            return
        try:
            self.storage.set_item(LEASE_PREFIX + tab, repr(deadline))
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self.trouble(error)

    def read_lease(self, tab: str) -> float:
        """A tab's lease deadline as stored now (0 when it has none). May raise."""
        assert self.storage is not None
        try:
            return float(self.storage.get_item(LEASE_PREFIX + tab) or 0.0)
        except ValueError:
            return 0.0

    def remove_lease(self, tab: str) -> None:
        """A lease left by a tab that is gone and holds nothing."""
        assert self.storage is not None
        try:
            self.storage.remove_item(LEASE_PREFIX + tab)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self.trouble(error)

