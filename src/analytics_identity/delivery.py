"""Getting events to the collector without losing any: queue, batching, retries.

Pure Python: the network and the clock come in through two small protocols
(:class:`Transport`, :class:`Timers`), so the browser plugs in ``fetch`` and
``setTimeout`` (see :mod:`analytics_identity.bridge`) and tests plug in a
fake clock.

How nothing gets lost:

* every event is written to a localStorage queue (``ajs_identity_queue``)
  before it is sent, and removed only once the collector answers 2xx;
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

Several tabs share the one queue. Each item carries an ``owner`` (a per-tab
id) and a ``lease`` (a wall-clock deadline the owner keeps renewing). A tab
sends only its own items; an item whose lease ran out belongs to a tab that
is gone, and another tab adopts it, re-reading the queue just before sending
so two tabs that adopted at once do not both send it.
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from .events import iso_timestamp
from .host import KeyValueStorage, describe
from .ids import uuid4

__all__ = [
    "ENDPOINTS",
    "KEEPALIVE_BYTES",
    "MAX_ITEMS",
    "QUEUE_KEY",
    "Delivery",
    "Endpoint",
    "ManualTimers",
    "MemoryTransport",
    "Network",
    "Reply",
    "Request",
    "Strategy",
    "Timers",
    "Transport",
    "backoff_delay",
]

QUEUE_KEY = "ajs_identity_queue"
MAX_ITEMS = 100
#: Path segment of each event type under ``apiHost``.
ENDPOINTS = {"track": "t", "page": "p", "identify": "i", "group": "g", "alias": "a", "screen": "s"}
#: How long an owner's claim on its items lasts without renewal (seconds).
LEASE_S = 15.0
#: A lease is renewed only once it has run this long, so a burst of events rewrites
#: the same deadlines (and reuses their JSON) instead of new ones every call.
RENEW_AFTER_S = 2.5
#: After ``pagehide``, how long the next page waits before resending what was
#: just sent with keepalive (the answer to those requests is never seen).
RELEASE_GRACE_S = 1.0
#: Pause between adopting items and sending them, to let a racing tab's claim show.
ADOPT_SETTLE_S = 0.05
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
#: Requests in flight at once (a browser opens six connections per host).
MAX_IN_FLIGHT = 6
#: ``fetch(..., {keepalive: true})`` allows 64 KiB of bodies in flight.
KEEPALIVE_BYTES = 60_000
RETRYABLE = frozenset({0, 408, 425, 429})


@dataclass(frozen=True)
class Request:
    """One POST to the collector."""

    url: str
    body: str
    headers: dict[str, str]

    @property
    def keepalive(self) -> bool:
        """Small enough to outlive the page (the browser caps keepalive bodies)."""
        return len(self.body.encode()) <= KEEPALIVE_BYTES


@dataclass(frozen=True)
class Reply:
    """The collector's answer; ``status`` 0 means no answer (network error, timeout)."""

    status: int
    retry_after: float | None = None
    error: str = ""


class Transport(Protocol):
    """Sends requests; must never raise, and must call ``done`` exactly once."""

    def send(self, request: Request, done: Callable[[Reply], None]) -> None: ...

    def send_final(self, request: Request) -> None:
        """The page is going away: send with keepalive (or a beacon); no answer comes."""
        ...


class Timers(Protocol):
    """Wall-clock time (shared by every tab, so leases compare) and one-shot timers."""

    def now(self) -> float: ...

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        """Run ``fn`` after ``delay`` seconds; returns a function that cancels it."""
        ...


@dataclass
class MemoryTransport:
    """Acknowledges every request and keeps it: the network of a host without one.

    CPython programs get this by default; ``sent`` shows what would have gone
    out. Use :class:`analytics_identity.urllib_transport.UrllibTransport` to post for real.
    """

    requests: list[Request] = field(default_factory=list)

    def send(self, request: Request, done: Callable[[Reply], None]) -> None:
        self.requests.append(request)
        done(Reply(200))

    def send_final(self, request: Request) -> None:
        self.requests.append(request)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every event sent, in order, with ``writeKey``/``sentAt`` as delivered."""
        events: list[dict[str, Any]] = []
        for request in self.requests:
            body = json.loads(request.body)
            events.extend(body["batch"] if "batch" in body else [body])
        return events


class ManualTimers:
    """Timers that fire only when told to: the clock of tests and of CPython.

    Without an event loop nothing fires on its own; :meth:`advance` moves the
    clock and runs what came due. With no ``start`` the clock is the real
    wall clock (CPython programs call ``analytics.flush()``); tests pass a
    fixed start and move time themselves.
    """

    def __init__(self, start: float | None = None) -> None:
        self._start = start
        self._offset = 0.0
        self._pending: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0

    def now(self) -> float:
        return (time.time() if self._start is None else self._start) + self._offset

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        self._seq += 1
        entry = (self.now() + max(delay, 0.0), self._seq, fn)
        self._pending.append(entry)

        def cancel() -> None:
            if entry in self._pending:
                self._pending.remove(entry)

        return cancel

    def advance(self, seconds: float) -> None:
        """Move the clock forward, running each timer at its own time, in order."""
        end = self.now() + seconds
        while True:
            due = sorted((e for e in self._pending if e[0] <= end), key=lambda e: e[:2])
            if not due:
                break
            entry = due[0]
            self._pending.remove(entry)
            self._offset += max(entry[0] - self.now(), 0.0)
            entry[2]()
        self._offset += max(end - self.now(), 0.0)

    @property
    def pending(self) -> int:
        return len(self._pending)


@dataclass
class Network:
    """What delivery needs from the outside world."""

    transport: Transport = field(default_factory=MemoryTransport)
    timers: Timers = field(default_factory=ManualTimers)
    rng: random.Random = field(default_factory=random.Random)


@dataclass(frozen=True)
class Endpoint:
    """Where events go and with which write key."""

    protocol: str
    api_host: str
    write_key: str

    @property
    def base(self) -> str:
        return f"{self.protocol}://{self.api_host.rstrip('/')}"

    @property
    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.write_key}:".encode()).decode()
        return {"Content-Type": "text/plain", "Authorization": f"Basic {token}"}


@dataclass(frozen=True)
class Strategy:
    """``deliveryStrategy``: one request per event, or batches by count, time and bytes."""

    batching: bool = False
    size: int = 10
    timeout: float = 5.0
    max_bytes: int = 450_000

    @classmethod
    def from_options(cls, options: Any, warn: Callable[[str], None]) -> Strategy:
        """``{strategy: "batching", config: {size, timeout}}``; ``timeout`` in ms like analytics-next."""
        if options is None:
            return cls()
        if not isinstance(options, dict) or options.get("strategy", "standard") not in ("standard", "batching"):
            warn(f"deliveryStrategy {describe(options)} not understood; sending each event on its own")
            return cls()
        if options.get("strategy") != "batching":
            return cls()
        config = options.get("config") if isinstance(options.get("config"), dict) else {}
        size, timeout = config.get("size", 10), config.get("timeout", 5000)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            warn(f"deliveryStrategy.config.size {describe(size)} is not a positive integer; using 10")
            size = 10
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
            warn(f"deliveryStrategy.config.timeout {describe(timeout)} is not a number of ms; using 5000")
            timeout = 5000
        return cls(batching=True, size=size, timeout=timeout / 1000)


def backoff_delay(attempts: int, rng: random.Random) -> float:
    """Seconds before retry number ``attempts``: 1 s doubling to 5 min, jittered to 50–100 %."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return ceiling * (0.5 + rng.random() / 2)


def _is_item(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("event"), dict)
        and all(isinstance(value.get(k), (int, float)) for k in ("due", "lease", "queued", "attempts"))
    )


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
        self._in_flight: set[str] = set()
        self._done: set[str] = set()
        self._requests = 0
        self._cancel: Callable[[], None] | None = None
        self._wake_at: float | None = None
        self._storage_failed = False
        #: The queue as last read or written (raw JSON, items); items read are never mutated.
        self._cached: tuple[str | None, list[dict[str, Any]]] = (None, [])
        #: Each queued item's JSON by messageId, with the fields it was encoded from: an
        #: event never changes once queued, and a rewrite re-encodes only items whose
        #: lease, due time or attempts changed.
        self._json: dict[str, tuple[tuple[Any, ...], str]] = {}
        #: Counts queue writes, so a pump knows whether a send answered at once and rewrote it.
        self._writes = 0

    # -- public -------------------------------------------------------------

    def start(self) -> None:
        """Adopt what earlier pages left in the queue, and send it."""
        self._pump(stored=self._adopt())

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue one finished event (persisted first, then sent)."""
        now = self.network.timers.now()
        message_id = str(event.get("messageId") or uuid4())
        # A JSON round trip: the queued copy is plain data, safe from later mutation.
        event = json.loads(json.dumps({**event, "messageId": message_id}, default=str))
        self._mine.pop(message_id, None)
        self._mine[message_id] = {
            "id": message_id, "event": event, "attempts": 0, "queued": now, "due": now,
            "owner": self.tab, "lease": now + LEASE_S,
        }
        self._pump(stored=self._sync())

    def flush(self) -> None:
        """Send everything now: batch timers and backoff waits are skipped."""
        now = self.network.timers.now()
        for item in self._mine.values():
            item["due"] = min(item["due"], now)
        self._pump(force=True)

    def page_hide(self) -> None:
        """The page is going away: send what is left with keepalive, then release it.

        The answers will not be seen, so the items stay queued with a short
        lease: the next page (or another tab) resends them, and the collector
        keeps each messageId once.
        """
        now = self.network.timers.now()
        waiting = [item for key, item in self._mine.items() if key not in self._in_flight]
        for request, _ in self._requests_for(waiting, KEEPALIVE_BYTES):
            self.network.transport.send_final(request)
        for item in self._mine.values():
            item["lease"] = now + RELEASE_GRACE_S
        self._write(self._merge(self._read(), now, renew=False))

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Events this tab has not had acknowledged yet, oldest first."""
        return [item["event"] for item in self._mine.values()]

    # -- storage --------------------------------------------------------------

    def _read(self) -> list[dict[str, Any]]:
        if self._storage is None:
            return []
        try:
            raw = self._storage.get_item(QUEUE_KEY)
        except Exception as error:  # noqa: BLE001 - storage may throw; memory still works
            self._storage_trouble(error)
            return []
        if not raw:
            return []
        if raw == self._cached[0]:  # unchanged since this tab last read or wrote it
            return list(self._cached[1])
        try:
            items = json.loads(raw)
        except ValueError:
            self._warn(f"{QUEUE_KEY} in localStorage is not JSON; starting an empty queue")
            return []
        if not isinstance(items, list):
            return []
        valid = [item for item in items if _is_item(item)]
        self._cached = (raw, valid)
        return list(valid)

    def _write(self, items: list[dict[str, Any]]) -> None:
        self._writes += 1
        self._json = {item["id"]: self._json[item["id"]] for item in items if item["id"] in self._json}
        if self._storage is None:
            return
        try:
            if items:
                raw = "[" + ",".join(self._encode(item) for item in items) + "]"
                self._storage.set_item(QUEUE_KEY, raw)
                # Copies: this tab's items change in memory after the write.
                self._cached = (raw, [dict(item) for item in items])
            else:
                self._storage.remove_item(QUEUE_KEY)
        except Exception as error:  # noqa: BLE001 - quota or SecurityError: keep going in memory
            self._storage_trouble(error)

    def _encode(self, item: dict[str, Any]) -> str:
        """An item's JSON, reused while its fields other than the event stay the same."""
        fields = tuple((key, value) for key, value in item.items() if key != "event")
        cached = self._json.get(item["id"])
        if cached is not None and cached[0] == fields:
            return cached[1]
        text = json.dumps(item, separators=(",", ":"))
        self._json[item["id"]] = (fields, text)
        return text

    def _event_bytes(self, item: dict[str, Any]) -> int:
        """Size of an event in a batch body (its JSON plus a comma)."""
        return len(json.dumps(item["event"]).encode()) + 1

    def _storage_trouble(self, error: Exception) -> None:
        if not self._storage_failed:
            self._storage_failed = True
            self._warn(f"the event queue cannot use localStorage ({error}); events are kept in memory only")

    def _merge(self, stored: list[dict[str, Any]], now: float, *, renew: bool = True) -> list[dict[str, Any]]:
        """Other tabs' items as stored, plus this tab's from memory; bounded."""
        merged: dict[str, dict[str, Any]] = {}
        for item in stored:
            key = item["id"]
            # This tab is the only one that writes its items, so one of them
            # that it no longer holds is finished: another tab wrote back a
            # stale copy (localStorage reaches other tabs with a delay).
            if key in self._done or (item["owner"] == self.tab and key not in self._mine):
                continue
            mine = self._mine.get(key)
            if mine is not None:
                taken = item["owner"] != self.tab and item["lease"] > now and key not in self._in_flight
                if taken:  # another tab adopted it while this one was asleep
                    del self._mine[key]
                    merged[key] = item
                continue
            merged[key] = item
        for key, item in self._mine.items():
            if renew and item["lease"] < now + LEASE_S - RENEW_AFTER_S:
                item["lease"] = now + LEASE_S
            merged[key] = item
        self._done.clear()
        items = sorted(merged.values(), key=lambda item: item["queued"])
        overflow = len(items) - self._max_items
        if overflow > 0:
            dropped, items = items[:overflow], items[overflow:]
            for item in dropped:
                self._mine.pop(item["id"], None)
            self._warn(f"the event queue is full ({self._max_items}); dropped the {overflow} oldest event(s): "
                       + ", ".join(str(item["event"].get("type")) for item in dropped))
        return items

    def _sync(self) -> list[dict[str, Any]]:
        """Merge this tab's items into the stored queue; returns the queue as now stored."""
        items = self._merge(self._read(), self.network.timers.now())
        self._write(items)
        return items

    def _adopt(self) -> list[dict[str, Any]]:
        """Claim items whose owner stopped renewing its lease (a closed or reloaded tab)."""
        now = self.network.timers.now()
        stored = self._read()
        for item in stored:
            if item["owner"] != self.tab and item["lease"] <= now and item["id"] not in self._mine:
                self._mine[item["id"]] = {**item, "owner": self.tab, "due": now + ADOPT_SETTLE_S, "adopted": True}
        items = self._merge(stored, now)
        self._write(items)
        return items

    def _still_mine(self, items: list[dict[str, Any]], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Adopted items whose claim another tab overwrote are left to that tab."""
        if not any(item.get("adopted") for item in items):
            return items
        now = self.network.timers.now()
        owners = {item["id"]: item for item in stored}
        kept = []
        for item in items:
            theirs = owners.get(item["id"])
            if item.get("adopted") and theirs is not None and theirs["owner"] != self.tab and theirs["lease"] > now:
                self._mine.pop(item["id"], None)
                continue
            item.pop("adopted", None)
            kept.append(item)
        return kept

    # -- sending --------------------------------------------------------------

    def _requests_for(self, items: list[dict[str, Any]], max_bytes: int) -> Iterable[tuple[Request, list[str]]]:
        sent_at = iso_timestamp(datetime.fromtimestamp(self.network.timers.now(), timezone.utc))
        if not self.strategy.batching:
            for item in items:
                event = item["event"]
                code = ENDPOINTS.get(str(event.get("type")), "t")
                body = {**event, "writeKey": self.endpoint.write_key, "sentAt": sent_at}
                yield Request(f"{self.endpoint.base}/{code}", json.dumps(body), self.endpoint.headers), [item["id"]]
            return
        for group in self._batches(items, max_bytes):
            body = {"batch": [item["event"] for item in group], "writeKey": self.endpoint.write_key, "sentAt": sent_at}
            yield Request(f"{self.endpoint.base}/b", json.dumps(body), self.endpoint.headers), [i["id"] for i in group]

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

    def _pump(self, force: bool = False, stored: list[dict[str, Any]] | None = None) -> None:
        """Send what is due, then sleep until the next thing to do.

        ``stored`` is the queue just read or written in this same task (so still
        current): passing it saves reading and parsing the whole queue again.
        """
        now = self.network.timers.now()
        if stored is None:
            stored = self._read()
        due = [item for key, item in self._mine.items() if key not in self._in_flight and item["due"] <= now]
        due = self._still_mine(due, stored)
        writes = self._writes
        for request, keys in self._requests_for(due, self.strategy.max_bytes):
            if self._requests >= MAX_IN_FLIGHT:
                break
            if any(key not in self._mine or key in self._in_flight for key in keys):
                continue  # a transport that answers at once has already sent or finished it
            group = [self._mine[key] for key in keys]
            if not self._ready_batch(group, now, force):
                continue
            self._in_flight.update(keys)
            self._requests += 1
            self.network.transport.send(request, lambda reply, keys=keys: self._answered(keys, reply))
        self._schedule(stored if writes == self._writes else self._read())

    def _answered(self, keys: list[str], reply: Reply) -> None:
        self._requests -= 1
        self._in_flight.difference_update(keys)
        items = [self._mine[key] for key in keys if key in self._mine]
        now = self.network.timers.now()
        if 200 <= reply.status < 300:
            for item in items:
                del self._mine[item["id"]]
                self._done.add(item["id"])
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
        else:
            for item in items:
                del self._mine[item["id"]]
                self._done.add(item["id"])
            kinds = ", ".join(sorted({str(item["event"].get("type")) for item in items}))
            detail = f": {reply.error}" if reply.error else ""
            self._warn(f"the collector refused {len(items)} event(s) ({kinds}) with {reply.status}{detail}; dropped")
        self._pump(stored=self._sync())

    def _schedule(self, stored: list[dict[str, Any]]) -> None:
        """One timer: the next due item, batch deadline, lease renewal or adoption."""
        now = self.network.timers.now()
        moments = []
        for key, item in self._mine.items():
            if key in self._in_flight or self._requests >= MAX_IN_FLIGHT:  # an answer will pump
                continue
            if self.strategy.batching and not item["attempts"] and not item.get("solo"):
                moments.append(max(item["due"], item["queued"] + self.strategy.timeout))
            else:
                moments.append(item["due"])
        if self._mine:  # renew while half the earliest lease is left
            moments.append(min(item["lease"] for item in self._mine.values()) - LEASE_S / 2)
        # Others' items by lease; a stale copy of a finished item of ours is
        # cleared soon, long before its lease would let another tab resend it.
        others = [item["lease"] if item["owner"] != self.tab else now
                  for item in stored if item["owner"] != self.tab or item["id"] not in self._mine]
        if others:  # at most once a second, even if storage keeps failing
            moments.append(max(min(others) + ADOPT_SETTLE_S, now + 1.0))
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
        self._pump(stored=self._adopt())
