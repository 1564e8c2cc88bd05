"""Getting events to the collector without losing any: the queue of one tab.

Pure Python: the network and the clock come in through two small protocols
(:class:`~.transport.Transport`, :class:`~analytics_identity.host.Timers`), so the browser
plugs in ``fetch`` and ``setTimeout`` (see :mod:`analytics_identity.browser.network`)
and tests plug in a fake clock. The parts, each in its own module:

* :mod:`.item`: a queued event, with its JSON encoded once;
* :mod:`.store`: every event is written to localStorage (one key per event)
  before it is sent, and removed only once the collector answers 2xx;
* :mod:`.tabs`: tabs share the stored queue; each sends its own items and
  adopts those of tabs that are gone;
* :mod:`.batching`: which requests carry which events;
* :mod:`.policy`: what an answer means (done, retry with backoff, split, drop);
* :class:`Wakeup`, here: one timer for the next thing to do.

The queue is bounded by what it takes in localStorage (:data:`MAX_BYTES`),
not by a count: a burst of hundreds of events is held while the deliveries
catch up, and a collector unreachable for hours cannot fill the origin's
quota. When full, the oldest events are dropped with a warning. On ``pagehide`` whatever is left is sent with
``keepalive`` and the items are released, so the next page load resends what
did not make it; ``messageId`` makes every resend idempotent at the collector.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ..host import KeyValueStorage, Timers
from ..ids import uuid4
from ..instants import iso_timestamp
from .batching import Strategy, ready, requests_for, wake_at
from .item import QueueItem
from .policy import DONE, RETRY, SPLIT, classify, retry_delay
from .store import QueueStore
from .tabs import LEASE_S, TabQueue
from .transport import KEEPALIVE_BYTES, Endpoint, Network, Reply, Request

__all__ = ["MAX_BYTES", "MAX_IN_FLIGHT", "Delivery"]

#: Characters of localStorage the queue may take, every tab's items together:
#: ~3,000 events of ~650 characters, two fifths of the smallest browser quota
#: (5 million characters per origin), leaving the rest to the page.
MAX_BYTES = 2_000_000
#: Requests in flight at once (a browser opens six connections per host).
MAX_IN_FLIGHT = 6


class Wakeup:
    """One pending ``call_later`` at a time.

    A burst of events asks for a wake-up on every call; keeping a timer that
    is already due earlier saves a ``setTimeout``/``clearTimeout`` pair (two
    calls into JavaScript) per event.
    """

    def __init__(self, timers: Timers, fn: Callable[[], None]) -> None:
        self._timers = timers
        self._fn = fn
        self._cancel: Callable[[], None] | None = None
        self._at: float | None = None

    def arm(self, moments: list[float], now: float) -> None:
        """Wake at the earliest of ``moments`` (not before ``now``); none: no timer."""
        if not moments:
            self.cancel()
            return
        wake = max(min(moments), now)
        if self._at is not None and self._at <= wake and self._cancel is not None:
            return
        self.cancel()
        self._at = wake
        self._cancel = self._timers.call_later(wake - now, self._fire)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel()
        self._cancel, self._at = None, None

    def _fire(self) -> None:
        self._cancel, self._at = None, None
        self._fn()


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
        max_bytes: int = MAX_BYTES,
        dropped: Callable[[list[dict[str, Any]], str], None] | None = None,
    ) -> None:
        """``dropped(events, reason)`` hears of the events given up on (refused, or pushed out of a full queue)."""
        self.endpoint = endpoint
        self.strategy = strategy
        self.network = network
        self._warn = warn
        self._dropped = dropped or (lambda events, reason: None)
        self._store = QueueStore(storage, warn)
        self._tabs = TabQueue(self._store, warn, max_bytes, self._drop)
        self._in_flight: set[str] = set()
        self._requests = 0
        #: No item waiting to be sent needs attention before this moment (``-inf``: not known).
        #: While it lies ahead, a call or an answer does not walk the queue: with thousands
        #: held while offline, each would otherwise look at every one of them.
        self._quiet_until = -math.inf
        self._wakeup = Wakeup(network.timers, self._wake)

    @property
    def tab(self) -> str:
        """This tab's id in the shared queue."""
        return self._tabs.tab

    # -- public -------------------------------------------------------------

    def start(self) -> None:
        """Adopt what earlier pages left in the queue, and send it."""
        self._store.import_legacy()
        self._tabs.adopt(self.network.timers.now(), self._in_flight)
        self._quiet_until = -math.inf
        self._pump()

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue one finished event (persisted first, then sent)."""
        now = self.network.timers.now()  # one clock read for the whole call
        item = QueueItem.new(event, str(event.get("messageId") or uuid4()), self._tabs.tab, now)
        self._tabs.add(item, now)
        if self.strategy.batching or self._quiet_until <= now:
            self._waiting(item)
            self._pump(now=now)
            return
        self._pump(now=now, only=item)  # nothing else is due: only the new event can go
        if item.id in self._tabs.mine and item.id not in self._in_flight:
            self._waiting(item)  # six requests in flight already (or refused and waiting to retry)

    def flush(self) -> None:
        """Send everything now: batch timers and backoff waits are skipped."""
        now = self.network.timers.now()
        for item in self._tabs.mine.values():
            item.due = min(item.due, now)
        self._quiet_until = -math.inf
        self._pump(force=True, now=now)

    def page_hide(self) -> None:
        """The page is going away: send what is left with keepalive, then release it.

        The answers will not be seen, so the items stay queued and the tab's
        lease is cut short: the next page (or another tab) resends them, and
        the collector keeps each messageId once.
        """
        waiting = [item for key, item in self._tabs.mine.items() if key not in self._in_flight]
        for request, _ in self._requests_for(waiting, KEEPALIVE_BYTES):
            self.network.transport.send_final(request)
        self._tabs.release(self.network.timers.now())

    def stop(self) -> None:
        """Consent was withdrawn: forget this tab's events and cancel its timer.

        The stored queue (every tab's items and leases) is removed by the
        caller with the rest of the library's keys; an answer still in
        flight then finds nothing left to do.
        """
        self._wakeup.cancel()
        self._tabs.clear()

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Events this tab has not had acknowledged yet, oldest first."""
        return [item.event for item in self._tabs.mine.values()]

    # -- sending --------------------------------------------------------------

    def _requests_for(self, items: Iterable[QueueItem], max_bytes: int,
                      now: float | None = None) -> Iterable[tuple[Request, list[str]]]:
        moment = self.network.timers.now() if now is None else now
        sent_at = iso_timestamp(datetime.fromtimestamp(moment, timezone.utc))
        return requests_for(items, self.strategy, self.endpoint, sent_at, max_bytes)

    def _waiting(self, item: QueueItem) -> None:
        """``item`` waits to be sent (new, or back from an answer)."""
        self._quiet_until = min(self._quiet_until, wake_at(item, self.strategy))

    def _pump(self, force: bool = False, now: float | None = None, only: QueueItem | None = None) -> None:
        """Send what is due (``only`` that item, when nothing else is), then sleep until the next thing to do.

        The items due are walked lazily: with hundreds queued and six
        requests in flight, only the first few are looked at, so a burst
        costs each call (and each answer) the same whatever the queue holds;
        and while nothing is due (all waiting out a backoff) none is looked at.
        """
        now = self.network.timers.now() if now is None else now
        walk = only is None and (force or self.strategy.batching or self._quiet_until <= now)
        if self._requests < MAX_IN_FLIGHT and (walk or only is not None):
            mine = self._tabs.mine
            if walk:
                due: Iterable[QueueItem] = (item for key, item in list(mine.items())
                                            if key not in self._in_flight and item.due <= now)
            else:
                due = [only] if only is not None and only.due <= now else []
            capped = False
            for request, keys in self._requests_for(self._tabs.still_mine(due, now), self.strategy.max_bytes, now):
                if self._requests >= MAX_IN_FLIGHT:
                    capped = True
                    break
                if any(key not in mine or key in self._in_flight for key in keys):
                    continue  # a transport that answers at once has already sent or finished it
                if not ready([mine[key] for key in keys], self.strategy, now, force):
                    continue
                self._in_flight.update(keys)
                self._requests += 1
                self.network.transport.send(request, lambda reply, keys=keys: self._answered(keys, reply))
            if walk:  # every item waiting was looked at, unless six requests were reached first
                self._quiet_until = -math.inf if capped else min(
                    (wake_at(item, self.strategy) for key, item in mine.items() if key not in self._in_flight),
                    default=math.inf)
        self._schedule(now)

    def _answered(self, keys: list[str], reply: Reply) -> None:
        self._requests -= 1
        self._in_flight.difference_update(keys)
        items = [self._tabs.mine[key] for key in keys if key in self._tabs.mine]
        outcome = classify(reply, len(items))
        if outcome == DONE:
            for item in items:
                self._tabs.finish(item.id)
        elif outcome == SPLIT:  # find the one event refused
            for item in items:
                item.solo = True
                self._waiting(item)
        elif outcome == RETRY:
            now = self.network.timers.now()
            for item in items:
                item.attempts += 1
                item.due = now + retry_delay(reply, item.attempts, self.network.rng)
                self._store.save(item)
                self._waiting(item)
        else:
            for item in items:
                self._tabs.finish(item.id)
            kinds = ", ".join(sorted({str(item.event.get("type")) for item in items}))
            detail = f": {reply.error}" if reply.error else ""
            self._warn(f"the collector refused {len(items)} event(s) ({kinds}) with {reply.status}{detail}; dropped")
            self._drop(items, f"the collector refused it with {reply.status}{detail}")
        self._pump()

    def _drop(self, items: list[QueueItem], reason: str) -> None:
        try:
            self._dropped([item.event for item in items], reason)
        except Exception as error:  # noqa: BLE001 - a listener must not stop the queue
            self._warn(f"delivery failed: {type(error).__name__}: {error}")

    def _schedule(self, now: float) -> None:
        """One timer: the next due item, batch deadline, lease renewal or adoption."""
        moments = []
        if self._requests < MAX_IN_FLIGHT and self._quiet_until < math.inf:  # else an answer will pump
            moments = [self._quiet_until]
        if self._tabs.mine and self._store.storage is not None:  # renew while half the lease is left
            moments.append(self._tabs.lease - LEASE_S / 2)
        adoption = self._tabs.next_adoption(now)
        if adoption is not None:
            moments.append(adoption)
        self._wakeup.arm(moments, now)

    def _wake(self) -> None:
        self._tabs.adopt(self.network.timers.now(), self._in_flight)
        self._quiet_until = -math.inf
        self._pump()
