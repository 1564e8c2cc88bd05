"""Getting events to the collector without losing any: queue, batching, retries.

Pure Python: the network and the clock come in through two small protocols
(:class:`Transport`, :class:`Timers`), so the browser plugs in ``fetch`` and
``setTimeout`` (see :mod:`analytics_identity.browser.network`) and tests plug in a
fake clock.

How nothing gets lost:

* every event is written to localStorage (one key per event,
  ``ajs_identity_queue:<messageId>``) before it is sent, and removed only
  once the collector answers 2xx;
* failures (network error, 408, 429, 5xx) are retried with exponential
  backoff and jitter; ``Retry-After`` is honoured; other 4xx are dropped with
  a warning, since resending a request the collector refuses never helps
  (a refused batch is first split into single events, so one bad event does
  not take the others with it);
* the queue is bounded (:data:`MAX_ITEMS`); when full, the oldest event is
  dropped with a warning;
* on ``pagehide`` whatever is left is sent with ``keepalive`` and the items
  are released, so the next page load resends what did not make it;
* ``messageId`` makes every resend idempotent at the collector.

One key per event keeps the cost of an event flat: queuing writes that one
small item, where a single queue key had to be read, merged and rewritten
whole on every call (the whole string crossing into JavaScript and back).

Several tabs share the queue. Each item names its ``owner`` (a per-tab id),
and each tab keeps a lease (``ajs_identity_lease:<tab>``, a wall-clock
deadline) alive while it holds items. A tab sends only its own items; an
item whose owner's lease ran out belongs to a tab that is gone, and another
tab adopts it, re-reading the item just before sending so two tabs that
adopted at once do not both send it.

"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ..events.build import iso_timestamp
from ..host import KeyValueStorage
from ..identity.ids import uuid4
from .strategy import Strategy, backoff_delay
from .transport import ENDPOINTS, KEEPALIVE_BYTES, Endpoint, Network, Reply, Request

__all__ = ["ITEM_PREFIX", "LEASE_PREFIX", "LEGACY_QUEUE_KEY", "MAX_ITEMS", "Delivery"]


#: Each queued event is kept under this prefix plus its messageId.
ITEM_PREFIX = "ajs_identity_queue:"
#: Each tab holding items keeps its lease deadline under this prefix plus its id.
LEASE_PREFIX = "ajs_identity_lease:"
#: The one key the whole queue lived under in earlier versions; imported once by the next page.
LEGACY_QUEUE_KEY = "ajs_identity_queue"
#: The fields of a stored item (``adopted`` and ``solo`` live in memory only).
STORED_FIELDS = ("id", "event", "attempts", "queued", "due", "owner")
MAX_ITEMS = 100
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
#: Requests in flight at once (a browser opens six connections per host).
MAX_IN_FLIGHT = 6
#: ``fetch(..., {keepalive: true})`` allows 64 KiB of bodies in flight.
RETRYABLE = frozenset({0, 408, 425, 429})


def _is_item(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("event"), dict)
        and isinstance(value.get("owner"), str)
        and all(isinstance(value.get(k), (int, float)) for k in ("due", "queued", "attempts"))
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _extended(text: str, event: dict[str, Any], extra: dict[str, str]) -> str:
    """``{**event, **extra}`` as JSON, built from the event's JSON without encoding it again."""
    if not event or any(key in event for key in extra):
        return _compact({**event, **extra})
    return text[:-1] + "".join(f",{_compact(key)}:{_compact(value)}" for key, value in extra.items()) + "}"


class Delivery:
    """The queue of one tab, persisted to storage it shares with other tabs."""

    def __init__(
        self,
        endpoint: Endpoint,
        strategy: Strategy,
        storage: KeyValueStorage | None,
        network: Network,
        warn: Callable[[str], None],
        *,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self.endpoint = endpoint
        self.strategy = strategy
        self.network = network
        self._storage = storage
        self._warn = warn
        self._max_items = max_items
        self.tab = uuid4().replace("-", "")[:12]
        #: This tab's items by messageId, oldest first.
        self._mine: dict[str, dict[str, Any]] = {}
        #: This tab's events as JSON by messageId: encoded once, when queued or adopted.
        self._texts: dict[str, str] = {}
        #: Other tabs' items and every tab's lease deadline, as last scanned.
        self._others: dict[str, dict[str, Any]] = {}
        self._leases: dict[str, float] = {}
        #: This tab's lease deadline as last written (0: none yet).
        self._lease = 0.0
        #: Stored items by key with the text they were parsed from: a scan parses only what changed.
        self._parsed: dict[str, tuple[str, dict[str, Any] | None]] = {}
        self._in_flight: set[str] = set()
        self._requests = 0
        self._cancel: Callable[[], None] | None = None
        self._wake_at: float | None = None
        self._storage_failed = False

    # -- public -------------------------------------------------------------

    def start(self) -> None:
        """Adopt what earlier pages left in the queue, and send it."""
        self._import_legacy()
        self._adopt()
        self._pump()

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue one finished event (persisted first, then sent)."""
        now = self.network.timers.now()
        message_id = str(event.get("messageId") or uuid4())
        # A JSON round trip: the queued copy is plain data, safe from later mutation.
        text = _compact({**event, "messageId": message_id})
        self._forget(message_id)
        self._make_room(now)
        item = {"id": message_id, "event": json.loads(text), "attempts": 0, "queued": now, "due": now,
                "owner": self.tab}
        self._mine[message_id] = item
        self._texts[message_id] = text
        self._renew(now)  # before the item: a tab that sees the item must see its owner's lease
        self._save(item)
        self._pump()

    def flush(self) -> None:
        """Send everything now: batch timers and backoff waits are skipped."""
        now = self.network.timers.now()
        for item in self._mine.values():
            item["due"] = min(item["due"], now)
        self._pump(force=True)

    def page_hide(self) -> None:
        """The page is going away: send what is left with keepalive, then release it.

        The answers will not be seen, so the items stay queued and the tab's
        lease is cut short: the next page (or another tab) resends them, and
        the collector keeps each messageId once.
        """
        waiting = [item for key, item in self._mine.items() if key not in self._in_flight]
        for request, _ in self._requests_for(waiting, KEEPALIVE_BYTES):
            self.network.transport.send_final(request)
        if self._mine:
            self._write_lease(self.network.timers.now() + RELEASE_GRACE_S)

    def stop(self) -> None:
        """Consent was withdrawn: forget this tab's events and cancel its timer.

        The stored queue (every tab's items and leases) is removed by the
        caller with the rest of the library's keys; an answer still in
        flight then finds nothing left to do.
        """
        self._cancel_timer()
        for kept in (self._mine, self._texts, self._others, self._leases, self._parsed):
            kept.clear()
        self._lease = 0.0

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Events this tab has not had acknowledged yet, oldest first."""
        return [item["event"] for item in self._mine.values()]

    # -- storage --------------------------------------------------------------

    def _storage_trouble(self, error: Exception) -> None:
        if not self._storage_failed:
            self._storage_failed = True
            self._warn(f"the event queue cannot use localStorage ({error}); events are kept in memory only")

    def _save(self, item: dict[str, Any]) -> None:
        """Write one of this tab's items; its event's JSON is reused, not encoded again."""
        if self._storage is None:
            return
        stored = {key: item[key] for key in STORED_FIELDS}
        raw = _compact({key: value for key, value in stored.items() if key != "event"})[:-1]
        raw += ',"event":' + self._event_text(item) + "}"
        key = ITEM_PREFIX + item["id"]
        try:
            self._storage.set_item(key, raw)
        except Exception as error:  # noqa: BLE001 - quota or SecurityError: keep going in memory
            self._storage_trouble(error)
            return
        self._parsed[key] = (raw, stored)

    def _remove(self, message_id: str) -> None:
        key = ITEM_PREFIX + message_id
        self._parsed.pop(key, None)
        if self._storage is None:
            return
        try:
            self._storage.remove_item(key)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self._storage_trouble(error)

    def _forget(self, message_id: str) -> None:
        """This tab no longer holds the item (sent, dropped or taken by another tab)."""
        self._mine.pop(message_id, None)
        self._texts.pop(message_id, None)

    def _event_text(self, item: dict[str, Any]) -> str:
        text = self._texts.get(item["id"])
        if text is None:
            text = self._texts[item["id"]] = _compact(item["event"])
        return text

    def _renew(self, now: float) -> None:
        """Keep this tab's lease alive while it holds items; written at most every :data:`RENEW_AFTER_S`."""
        if self._mine and self._lease < now + LEASE_S - RENEW_AFTER_S:
            self._write_lease(now + LEASE_S)

    def _write_lease(self, deadline: float) -> None:
        self._lease = deadline
        if self._storage is None:
            return
        try:
            self._storage.set_item(LEASE_PREFIX + self.tab, repr(deadline))
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self._storage_trouble(error)

    def _read_lease(self, tab: str) -> float:
        """A tab's lease deadline as stored now (0 when it has none)."""
        assert self._storage is not None
        try:
            return float(self._storage.get_item(LEASE_PREFIX + tab) or 0.0)
        except ValueError:
            return 0.0

    def _load(self, key: str) -> dict[str, Any] | None:
        """The stored item under ``key`` (``None`` when missing); garbage is removed with a warning."""
        assert self._storage is not None
        raw = self._storage.get_item(key)
        if raw is None:
            return None
        cached = self._parsed.get(key)
        if cached is not None and cached[0] == raw:
            return cached[1]
        try:
            item = json.loads(raw)
        except ValueError:
            item = None
        if not _is_item(item) or ITEM_PREFIX + item["id"] != key:
            self._warn(f"{key} in localStorage is not a queued event; removed it")
            self._storage.remove_item(key)
            self._parsed.pop(key, None)
            return None
        self._parsed[key] = (raw, item)
        return item

    def _scan(self) -> dict[str, dict[str, Any]]:
        """Read the whole stored queue: keeps other tabs' items and the leases; returns this tab's."""
        if self._storage is None:
            return {}
        try:
            keys = self._storage.keys()
            items = [item for key in keys if key.startswith(ITEM_PREFIX) and (item := self._load(key)) is not None]
            tabs = [key[len(LEASE_PREFIX):] for key in keys if key.startswith(LEASE_PREFIX)]
            leases = {tab: self._read_lease(tab) for tab in tabs}
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self._storage_trouble(error)
            return {}
        present = set(keys)
        self._parsed = {key: value for key, value in self._parsed.items() if key in present}
        self._others = {item["id"]: item for item in items if item["owner"] != self.tab}
        self._leases = leases
        return {item["id"]: item for item in items if item["owner"] == self.tab}

    def _import_legacy(self) -> None:
        """Move a queue left under the single key of earlier versions to one key per event."""
        if self._storage is None:
            return
        try:
            raw = self._storage.get_item(LEGACY_QUEUE_KEY)
            if raw is None:
                return
            try:
                items = json.loads(raw)
            except ValueError:
                items = None
            for item in items if isinstance(items, list) else []:
                if _is_item(item):
                    self._storage.set_item(ITEM_PREFIX + item["id"], _compact({k: item[k] for k in STORED_FIELDS}))
            self._storage.remove_item(LEGACY_QUEUE_KEY)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self._storage_trouble(error)

    def _make_room(self, now: float) -> None:
        """Drop the oldest events, this tab's or others', so one more fits under the bound."""
        if len(self._mine) + len(self._others) < self._max_items:
            return
        if self._others:
            self._scan()  # other tabs may have sent theirs since the last look
        overflow = len(self._mine) + len(self._others) + 1 - self._max_items
        if overflow <= 0:
            return
        dropped = sorted([*self._mine.values(), *self._others.values()], key=lambda item: item["queued"])[:overflow]
        for item in dropped:
            self._forget(item["id"])
            self._others.pop(item["id"], None)
            self._remove(item["id"])
        self._warn(f"the event queue is full ({self._max_items}); dropped the {overflow} oldest event(s): "
                   + ", ".join(str(item["event"].get("type")) for item in dropped))

    def _adopt(self) -> None:
        """Scan the queue: claim items whose owner's lease ran out, and check on this tab's own."""
        now = self.network.timers.now()
        stored_mine = self._scan()
        # Leases before items throughout: localStorage reaches other tabs in
        # write order, and an item seen without its owner's lease is adopted.
        self._renew(now)
        for key, item in list(self._mine.items()):
            theirs = self._others.pop(key, None)
            if theirs is not None and self._leases.get(theirs["owner"], 0.0) > now and key not in self._in_flight:
                self._forget(key)  # a live tab adopted it while this one was asleep
            elif theirs is not None or key not in stored_mine:
                self._save(item)  # taken by a tab now gone, or lost from storage: put it back
        for key in stored_mine.keys() - self._mine.keys():
            self._remove(key)  # finished here, but its removal did not happen
        orphans = [key for key, item in self._others.items() if self._leases.get(item["owner"], 0.0) <= now]
        for key in orphans:
            self._mine[key] = {**self._others.pop(key), "owner": self.tab, "due": now + ADOPT_SETTLE_S,
                               "adopted": True}
        self._renew(now)
        for key in orphans:
            self._save(self._mine[key])
        owners = {item["owner"] for item in self._others.values()}
        for tab, deadline in self._leases.items():
            if tab != self.tab and deadline <= now and tab not in owners:
                self._remove_lease(tab)

    def _remove_lease(self, tab: str) -> None:
        """A lease left by a tab that is gone and holds nothing."""
        assert self._storage is not None
        try:
            self._storage.remove_item(LEASE_PREFIX + tab)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self._storage_trouble(error)

    def _still_mine(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Adopted items whose claim a live tab overwrote (or that it already sent) are left to it."""
        if self._storage is None or not any(item.get("adopted") for item in items):
            return items
        now = self.network.timers.now()
        kept = []
        for item in items:
            if item.get("adopted"):
                try:
                    stored = self._load(ITEM_PREFIX + item["id"])
                    taken = stored is None or (stored["owner"] != self.tab and self._read_lease(stored["owner"]) > now)
                except Exception as error:  # noqa: BLE001 - storage may throw; then send it
                    self._storage_trouble(error)
                    taken = False
                if taken:
                    self._forget(item["id"])
                    continue
                del item["adopted"]
            kept.append(item)
        return kept

    # -- sending --------------------------------------------------------------

    def _requests_for(self, items: list[dict[str, Any]], max_bytes: int) -> Iterable[tuple[Request, list[str]]]:
        sent_at = iso_timestamp(datetime.fromtimestamp(self.network.timers.now(), timezone.utc))
        extra = {"writeKey": self.endpoint.write_key, "sentAt": sent_at}
        if not self.strategy.batching:
            for item in items:
                event = item["event"]
                code = ENDPOINTS.get(str(event.get("type")), "t")
                body = _extended(self._event_text(item), event, extra)
                yield Request(f"{self.endpoint.base}/{code}", body, self.endpoint.headers), [item["id"]]
            return
        for group in self._batches(items, max_bytes):
            body = '{"batch":[' + ",".join(self._event_text(item) for item in group) + "]," + _compact(extra)[1:]
            yield Request(f"{self.endpoint.base}/b", body, self.endpoint.headers), [i["id"] for i in group]

    def _event_bytes(self, item: dict[str, Any]) -> int:
        """Size of an event in a batch body (its JSON plus a comma)."""
        return len(self._event_text(item).encode()) + 1

    def _batches(self, items: list[dict[str, Any]], max_bytes: int) -> Iterable[list[dict[str, Any]]]:
        group: list[dict[str, Any]] = []
        size = 0
        for item in items:
            length = self._event_bytes(item)
            full = group and (len(group) >= self.strategy.size or size + length > max_bytes or item.get("solo"))
            if full or (group and group[0].get("solo")):
                yield group
                group, size = [], 0
            group.append(item)
            size += length
        if group:
            yield group

    def _ready_batch(self, items: list[dict[str, Any]], now: float, force: bool) -> bool:
        """A batch goes when full, when its oldest event waited ``timeout``, or on retry."""
        if force or not self.strategy.batching:
            return True
        if len(items) >= self.strategy.size or any(item["attempts"] or item.get("solo") for item in items):
            return True
        size = sum(self._event_bytes(item) for item in items)
        return size >= self.strategy.max_bytes * 0.9 or now - items[0]["queued"] >= self.strategy.timeout

    def _pump(self, force: bool = False) -> None:
        """Send what is due, then sleep until the next thing to do."""
        if self._requests < MAX_IN_FLIGHT:
            now = self.network.timers.now()
            due = [item for key, item in self._mine.items() if key not in self._in_flight and item["due"] <= now]
            for request, keys in self._requests_for(self._still_mine(due), self.strategy.max_bytes):
                if self._requests >= MAX_IN_FLIGHT:
                    break
                if any(key not in self._mine or key in self._in_flight for key in keys):
                    continue  # a transport that answers at once has already sent or finished it
                if not self._ready_batch([self._mine[key] for key in keys], now, force):
                    continue
                self._in_flight.update(keys)
                self._requests += 1
                self.network.transport.send(request, lambda reply, keys=keys: self._answered(keys, reply))
        self._schedule()

    def _answered(self, keys: list[str], reply: Reply) -> None:
        self._requests -= 1
        self._in_flight.difference_update(keys)
        items = [self._mine[key] for key in keys if key in self._mine]
        now = self.network.timers.now()
        if 200 <= reply.status < 300:
            for item in items:
                self._forget(item["id"])
                self._remove(item["id"])
        elif reply.status in (400, 413) and len(items) > 1:  # find the one event refused
            for item in items:
                item["solo"] = True
        elif reply.status in RETRYABLE or reply.status >= 500 or reply.status < 400:
            for item in items:
                item["attempts"] += 1
                wait = backoff_delay(item["attempts"], self.network.rng)
                if reply.retry_after is not None and reply.status in (429, 503):
                    wait = max(reply.retry_after, 0.0)
                item["due"] = now + wait
                self._save(item)
        else:
            for item in items:
                self._forget(item["id"])
                self._remove(item["id"])
            kinds = ", ".join(sorted({str(item["event"].get("type")) for item in items}))
            detail = f": {reply.error}" if reply.error else ""
            self._warn(f"the collector refused {len(items)} event(s) ({kinds}) with {reply.status}{detail}; dropped")
        self._pump()

    def _schedule(self) -> None:
        """One timer: the next due item, batch deadline, lease renewal or adoption."""
        now = self.network.timers.now()
        moments = []
        if self._requests < MAX_IN_FLIGHT:  # else an answer will pump
            for key, item in self._mine.items():
                if key in self._in_flight:
                    continue
                if self.strategy.batching and not item["attempts"] and not item.get("solo"):
                    moments.append(max(item["due"], item["queued"] + self.strategy.timeout))
                else:
                    moments.append(item["due"])
        if self._mine and self._storage is not None:  # renew while half the lease is left
            moments.append(self._lease - LEASE_S / 2)
        if self._others:  # adopt once their owner's lease runs out; at most once a second
            expiry = min(self._leases.get(item["owner"], 0.0) for item in self._others.values())
            moments.append(max(expiry + ADOPT_SETTLE_S, now + 1.0))
        if not moments:
            self._cancel_timer()
            return
        wake = max(min(moments), now)
        if self._wake_at is not None and self._wake_at <= wake and self._cancel is not None:
            return
        self._cancel_timer()
        self._wake_at = wake
        self._cancel = self.network.timers.call_later(wake - now, self._wake)

    def _cancel_timer(self) -> None:
        if self._cancel is not None:
            self._cancel()
        self._cancel, self._wake_at = None, None

    def _wake(self) -> None:
        self._cancel, self._wake_at = None, None
        self._adopt()
        self._pump()
