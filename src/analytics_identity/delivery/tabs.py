"""This tab's share of the queue: its items, its lease, and the items it adopts from tabs that are gone.

Several tabs share the stored queue. Each item names its ``owner`` (a per-tab
id), and each tab keeps a lease alive while it holds items. A tab sends only
its own items; an item whose owner's lease ran out belongs to a tab that is
gone, and another tab adopts it, re-reading the item just before sending so
two tabs that adopted at once do not both send it. Leases are written before
items throughout: localStorage reaches other tabs in write order, and an item
seen without its owner's lease is adopted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

from ..ids import uuid4
from .item import QueueItem
from .store import QueueStore

__all__ = ["ADOPT_SETTLE_S", "LEASE_S", "RELEASE_GRACE_S", "TabQueue"]

#: How long a tab's claim on its items lasts without renewal (seconds).
LEASE_S = 15.0
#: A lease is renewed only once it has run this long, so a burst of events
#: writes the lease once instead of on every call.
RENEW_AFTER_S = 2.5
#: After ``pagehide``, how long the next page waits before resending what was
#: just sent with keepalive (the answer to those requests is never seen).
RELEASE_GRACE_S = 1.0
#: Pause between adopting items and sending them, to let a racing tab's claim show.
ADOPT_SETTLE_S = 0.05


class TabQueue:
    """This tab's items (by messageId, oldest first) and what it last saw of the others'."""

    def __init__(self, store: QueueStore, warn: Callable[[str], None], max_bytes: int,
                 dropped: Callable[[list[QueueItem], str], None]) -> None:
        self.store = store
        self.tab = uuid4().replace("-", "")[:12]
        self.mine: dict[str, QueueItem] = {}
        #: Other tabs' items and every tab's lease deadline, as last scanned.
        self.others: dict[str, QueueItem] = {}
        self.leases: dict[str, float] = {}
        #: This tab's lease deadline as last written (0: none yet).
        self.lease = 0.0
        self._warn = warn
        self._max_bytes = max_bytes
        #: What :attr:`mine` takes in storage (the sum of its footprints), kept as items come and go.
        self._mine_bytes = 0
        self._dropped = dropped

    def clear(self) -> None:
        """Forget every item and lease this tab knows of (storage is left to the caller)."""
        for kept in (self.mine, self.others, self.leases):
            kept.clear()
        self._mine_bytes = 0
        self.lease = 0.0
        self.store.forget_parsed()

    def add(self, item: QueueItem, now: float) -> None:
        """Hold one new item, persisted at once."""
        self.forget(item.id)
        if not self._make_room(item):
            return
        self._hold(item)
        self.renew(now)  # before the item: a tab that sees the item must see its owner's lease
        self.store.save(item)

    def _hold(self, item: QueueItem) -> None:
        self.forget(item.id)
        self.mine[item.id] = item
        self._mine_bytes += item.footprint

    def forget(self, message_id: str) -> None:
        """This tab no longer holds the item (taken by another tab, or finished)."""
        item = self.mine.pop(message_id, None)
        if item is not None:
            self._mine_bytes -= item.footprint

    def finish(self, message_id: str) -> None:
        """Sent or dropped: gone from this tab and from storage."""
        self.forget(message_id)
        self.store.remove(message_id)

    def renew(self, now: float) -> None:
        """Keep this tab's lease alive while it holds items; written at most every :data:`RENEW_AFTER_S`."""
        if self.mine and self.lease < now + LEASE_S - RENEW_AFTER_S:
            self._write_lease(now + LEASE_S)

    def release(self, now: float) -> None:
        """The page is going away: cut the lease short so the next page resends what is left."""
        if self.mine:
            self._write_lease(now + RELEASE_GRACE_S)

    def _write_lease(self, deadline: float) -> None:
        self.lease = deadline
        self.store.write_lease(self.tab, deadline)

    def _scan(self) -> dict[str, QueueItem]:
        """Read the whole stored queue: keeps other tabs' items and the leases; returns this tab's."""
        scanned = self.store.scan()
        if scanned is None:
            return {}
        items, self.leases = scanned
        self.others = {item.id: item for item in items if item.owner != self.tab}
        return {item.id: item for item in items if item.owner == self.tab}

    def held_bytes(self) -> int:
        """What every tab's queued items take in storage, as last seen (characters)."""
        return self._mine_bytes + sum(item.footprint for item in self.others.values())

    def _make_room(self, item: QueueItem) -> bool:
        """Drop the oldest events, this tab's or others', so ``item`` fits under the bound.

        The bound counts what the items take in localStorage, not how many
        they are: a burst of small events all fit while deliveries catch up,
        and a collector unreachable for hours cannot fill the origin's quota
        (which the page and its other scripts share). An event bigger than the
        whole bound is the one dropped. Returns whether ``item`` fits.
        """
        need = item.footprint
        if self.held_bytes() + need <= self._max_bytes:
            return True
        reason = f"the event queue is full ({self._max_bytes:,} characters of localStorage)"
        if need > self._max_bytes:
            self._warn(f"a {item.event.get('type')} event of {need:,} characters is bigger than the whole event "
                       f"queue ({self._max_bytes:,} characters of localStorage); dropped it")
            self._dropped([item], reason)
            return False
        if self.others:
            self._scan()  # other tabs may have sent theirs since the last look
        excess = self.held_bytes() + need - self._max_bytes
        if excess <= 0:
            return True
        dropped = []
        for old in sorted([*self.mine.values(), *self.others.values()], key=lambda queued: queued.queued):
            if excess <= 0:
                break
            dropped.append(old)
            excess -= old.footprint
        for old in dropped:
            self.others.pop(old.id, None)
            self.finish(old.id)
        self._warn(f"the event queue is full ({self._max_bytes:,} characters of localStorage); "
                   f"dropped the {len(dropped)} oldest event(s): "
                   + ", ".join(str(old.event.get("type")) for old in dropped))
        self._dropped(dropped, reason)
        return True

    def adopt(self, now: float, in_flight: set[str]) -> None:
        """Scan the queue: claim items whose owner's lease ran out, and check on this tab's own."""
        stored_mine = self._scan()
        self.renew(now)
        for key, item in list(self.mine.items()):
            theirs = self.others.pop(key, None)
            if theirs is not None and self.leases.get(theirs.owner, 0.0) > now and key not in in_flight:
                self.forget(key)  # a live tab adopted it while this one was asleep
            elif theirs is not None or key not in stored_mine:
                self.store.save(item)  # taken by a tab now gone, or lost from storage: put it back
        for key in stored_mine.keys() - self.mine.keys():
            self.store.remove(key)  # finished here, but its removal did not happen
        orphans = [key for key, item in self.others.items() if self.leases.get(item.owner, 0.0) <= now]
        for key in orphans:
            self._hold(dataclasses.replace(self.others.pop(key), owner=self.tab, due=now + ADOPT_SETTLE_S,
                                           adopted=True))
        self.renew(now)
        for key in orphans:
            self.store.save(self.mine[key])
        owners = {item.owner for item in self.others.values()}
        for tab, deadline in self.leases.items():
            if tab != self.tab and deadline <= now and tab not in owners:
                self.store.remove_lease(tab)

    def still_mine(self, items: Iterable[QueueItem], now: float) -> Iterator[QueueItem]:
        """Adopted items whose claim a live tab overwrote (or that it already sent) are left to it.

        Lazy, as the caller reads only as many items as it can send.
        """
        for item in items:
            if item.adopted and self.store.storage is not None:
                try:
                    stored = self.store.load(item.id)
                    taken = stored is None or (stored.owner != self.tab and self.store.read_lease(stored.owner) > now)
                except Exception as error:  # noqa: BLE001 - storage may throw; then send it
                    self.store.trouble(error)
                    taken = False
                if taken:
                    self.forget(item.id)
                    continue
                item.adopted = False
            yield item

    def next_adoption(self, now: float) -> float | None:
        """When to look again for items to adopt: once their owner's lease runs out, at most once a second."""
        if not self.others:
            return None
        expiry = min(self.leases.get(item.owner, 0.0) for item in self.others.values())
        return max(expiry + ADOPT_SETTLE_S, now + 1.0)
