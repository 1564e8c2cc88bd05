"""The delivery queue on a fake clock: batching, backoff, persistence, tabs."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from analytics_identity.options.settings import Settings
from analytics_identity.delivery import (
    ITEM_PREFIX,
    LEASE_PREFIX,
    LEGACY_QUEUE_KEY,
    Delivery,
    Endpoint,
    ManualTimers,
    MemoryTransport,
    Network,
    Reply,
    Request,
    Strategy,
    backoff_delay,
)
from analytics_identity.delivery.item import QueueItem
from analytics_identity.delivery.queue import LEASE_S, MAX_IN_FLIGHT
from analytics_identity.host import MemoryStorage


@dataclass
class FakeTransport:
    """Holds each request until the test answers it."""

    waiting: list[tuple[Request, Callable[[Reply], None]]] = field(default_factory=list)
    final: list[Request] = field(default_factory=list)
    log: list[Request] = field(default_factory=list)

    def send(self, request: Request, done: Callable[[Reply], None]) -> None:
        self.waiting.append((request, done))
        self.log.append(request)

    def send_final(self, request: Request) -> None:
        self.final.append(request)

    def answer(self, status: int = 200, retry_after: float | None = None) -> Request:
        request, done = self.waiting.pop(0)
        done(Reply(status, retry_after))
        return request

    def answer_all(self, status: int = 200) -> list[Request]:
        answered = []
        while self.waiting:
            answered.append(self.answer(status))
        return answered


def events_in(request: Request) -> list[dict[str, Any]]:
    body = json.loads(request.body)
    return body["batch"] if "batch" in body else [body]


def ids_in(requests: list[Request]) -> list[str]:
    return [e["messageId"] for r in requests for e in events_in(r)]


def event(n: int, kind: str = "track", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": f"m{n}", "anonymousId": "a", "userId": None, "event": "E", **extra}


class TabTimers:
    """One tab's view of the shared clock; closing the tab stops its timers."""

    def __init__(self, clock: ManualTimers) -> None:
        self._clock = clock
        self._cancels: list[Callable[[], None]] = []

    def now(self) -> float:
        return self._clock.now()

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        cancel = self._clock.call_later(delay, fn)
        self._cancels.append(cancel)
        return cancel

    def close(self) -> None:
        for cancel in self._cancels:
            cancel()


class Rig:
    """One tab: a delivery with its own transport, sharing storage and clock with other tabs."""

    def __init__(self, storage: MemoryStorage, timers: ManualTimers, strategy: Strategy | None = None,
                 max_bytes: int = 2_000_000) -> None:
        self.transport = FakeTransport()
        self.timers = TabTimers(timers)
        self.warnings: list[str] = []
        self.delivery = Delivery(
            Endpoint("http", "collector.test/v1", "KEY"), strategy or Strategy(), storage,
            Network(self.transport, self.timers, random.Random(7)), self.warnings.append, max_bytes=max_bytes,
        )


@pytest.fixture
def timers() -> ManualTimers:
    return ManualTimers(start=1_800_000_000.0)


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


def stored(storage: MemoryStorage) -> list[dict[str, Any]]:
    """The queue as kept in storage, oldest first."""
    items = [json.loads(value) for key, value in storage.items.items() if key.startswith(ITEM_PREFIX)]
    return sorted(items, key=lambda item: item["queued"])


def test_standard_posts_each_event_to_its_type_endpoint(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    for n, kind in enumerate(("track", "page", "identify", "group", "alias", "screen")):
        rig.delivery.enqueue(event(n, kind))
    urls = [r.url for r, _ in rig.transport.waiting]
    assert urls == [f"http://collector.test/v1/{c}" for c in "tpigas"][:MAX_IN_FLIGHT]
    request = rig.transport.waiting[0][0]
    assert request.headers == {"Content-Type": "text/plain", "Authorization": "Basic S0VZOg=="}
    body = json.loads(request.body)
    assert body["writeKey"] == "KEY" and body["sentAt"] == "2027-01-15T08:00:00.000Z"
    assert request.keepalive


def test_event_is_persisted_until_acknowledged(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    rig.delivery.enqueue(event(1))
    assert [i["id"] for i in stored(storage)] == ["m1"]
    rig.transport.answer(200)
    assert stored(storage) == [] and rig.delivery.pending == []


def test_failures_back_off_exponentially_with_jitter(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    rig.delivery.enqueue(event(1))
    sent_at = [timers.now()]
    for _ in range(5):
        rig.transport.answer(0)
        while not rig.transport.waiting:
            timers.advance(0.01)
        sent_at.append(timers.now())
    gaps = [b - a for a, b in zip(sent_at, sent_at[1:])]
    for attempt, gap in enumerate(gaps, start=1):
        ceiling = 2 ** (attempt - 1)
        assert ceiling * 0.5 <= gap <= ceiling + 0.02
    assert [i["attempts"] for i in stored(storage)] == [5]


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(30, rng) for _ in range(50)]
    assert all(150 <= d <= 300 for d in delays) and len(set(delays)) > 1


def test_retry_after_is_honoured_on_429(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    rig.delivery.enqueue(event(1))
    rig.transport.answer(429, retry_after=30)
    timers.advance(29.9)
    assert not rig.transport.waiting
    timers.advance(0.2)
    assert ids_in([r for r, _ in rig.transport.waiting]) == ["m1"]


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429, 0])
def test_server_errors_and_timeouts_are_retried(storage: MemoryStorage, timers: ManualTimers, status: int) -> None:
    rig = Rig(storage, timers)
    rig.delivery.enqueue(event(1))
    rig.transport.answer(status)
    assert [i["id"] for i in stored(storage)] == ["m1"]
    timers.advance(2)
    rig.transport.answer(200)
    assert stored(storage) == [] and not rig.warnings


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_refused_events_are_dropped_with_a_warning(storage: MemoryStorage, timers: ManualTimers, status: int) -> None:
    rig = Rig(storage, timers)
    rig.delivery.enqueue(event(1))
    rig.transport.answer(status)
    assert stored(storage) == []
    assert len(rig.warnings) == 1 and str(status) in rig.warnings[0] and "dropped" in rig.warnings[0]
    timers.advance(600)
    assert not rig.transport.waiting


def test_batching_by_count(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers, Strategy(batching=True, size=3, timeout=5))
    for n in range(7):
        rig.delivery.enqueue(event(n))
    requests = [r for r, _ in rig.transport.waiting]
    assert [r.url for r in requests] == ["http://collector.test/v1/b"] * 2
    assert [len(events_in(r)) for r in requests] == [3, 3]
    body = json.loads(requests[0].body)
    assert body["writeKey"] == "KEY" and "sentAt" in body
    rig.transport.answer_all()
    timers.advance(4.9)
    assert not rig.transport.waiting
    timers.advance(0.2)
    assert ids_in([r for r, _ in rig.transport.waiting]) == ["m6"]


def test_batching_by_time(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers, Strategy(batching=True, size=10, timeout=2))
    rig.delivery.enqueue(event(1))
    timers.advance(1)
    rig.delivery.enqueue(event(2))
    assert not rig.transport.waiting
    timers.advance(1.01)
    assert ids_in([r for r, _ in rig.transport.waiting]) == ["m1", "m2"]


def test_batching_by_bytes(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers, Strategy(batching=True, size=100, timeout=5, max_bytes=10_000))
    for n in range(5):
        rig.delivery.enqueue(event(n, properties={"blob": "x" * 3000}))
    rig.delivery.flush()
    sizes = [len(r.body.encode()) for r, _ in rig.transport.waiting]
    assert len(sizes) == 2 and all(s <= 10_000 + 200 for s in sizes)
    assert sorted(ids_in([r for r, _ in rig.transport.waiting])) == [f"m{n}" for n in range(5)]


def test_a_refused_batch_is_split_to_find_the_bad_event(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers, Strategy(batching=True, size=3, timeout=5))
    for n in range(3):
        rig.delivery.enqueue(event(n))
    rig.transport.answer(413)
    assert [len(events_in(r)) for r, _ in rig.transport.waiting] == [1, 1, 1]
    rig.transport.answer(200)
    rig.transport.answer(413)
    rig.transport.answer(200)
    assert stored(storage) == [] and len(rig.warnings) == 1


def footprint(n: int) -> int:
    """What event(n) takes in the queue's bound."""
    return QueueItem.new(event(n), f"m{n}", "tab", 0.0).footprint


def test_queue_is_bounded_by_what_it_stores_and_drops_the_oldest(storage: MemoryStorage,
                                                                  timers: ManualTimers) -> None:
    rig = Rig(storage, timers, max_bytes=5 * footprint(0))
    for n in range(8):
        timers.advance(0.001)
        rig.delivery.enqueue(event(n))
    assert [i["id"] for i in stored(storage)] == ["m3", "m4", "m5", "m6", "m7"]
    assert len(rig.warnings) == 3 and "full" in rig.warnings[0] and "m" not in rig.warnings[0].split(":")[-1]


def test_a_burst_far_past_a_hundred_events_is_held_whole(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    for n in range(700):
        rig.delivery.enqueue(event(n, properties={"i": n}))
    assert len(stored(storage)) == 700 and rig.warnings == []
    assert len(rig.transport.waiting) == MAX_IN_FLIGHT
    while rig.transport.waiting:
        rig.transport.answer()
    assert sorted(ids_in(rig.transport.log)) == sorted(f"m{n}" for n in range(700))
    assert stored(storage) == [] and rig.warnings == []


def test_big_events_fill_the_bound_sooner_than_small_ones(storage: MemoryStorage, timers: ManualTimers) -> None:
    bound = 20 * footprint(0)
    rig = Rig(storage, timers, max_bytes=bound)
    padding = "x" * (4 * footprint(0))
    for n in range(10):
        timers.advance(0.001)
        rig.delivery.enqueue(event(n, properties={"padding": padding}))
    big = QueueItem.new(event(0, properties={"padding": padding}), "m0", "tab", 0.0).footprint
    fit = bound // big  # 3 of these, where 20 small ones fit
    kept = stored(storage)
    assert fit == 3 and [i["id"] for i in kept] == [f"m{n}" for n in range(10 - fit, 10)]
    assert sum(len(json.dumps(i)) for i in kept) <= bound
    assert all("full" in w and "dropped the 1 oldest" in w for w in rig.warnings) and len(rig.warnings) == 10 - fit


def test_the_bound_counts_every_tab_s_items(storage: MemoryStorage, timers: ManualTimers) -> None:
    bound = 6 * footprint(0)
    first, second = Rig(storage, timers, max_bytes=bound), Rig(storage, timers, max_bytes=bound)
    for n in range(4):
        timers.advance(0.001)
        first.delivery.enqueue(event(n))
    second.delivery.start()  # sees the first tab's items (alive: it keeps them)
    for n in range(4, 8):
        timers.advance(0.001)
        second.delivery.enqueue(event(n))
    assert [i["id"] for i in stored(storage)] == [f"m{n}" for n in range(2, 8)]
    assert any("full" in w for w in second.warnings)


def test_an_event_bigger_than_the_whole_bound_is_the_one_dropped(storage: MemoryStorage,
                                                                timers: ManualTimers) -> None:
    rig = Rig(storage, timers, max_bytes=3 * footprint(0))
    rig.delivery.enqueue(event(0))
    rig.delivery.enqueue(event(1, properties={"padding": "x" * (3 * footprint(0))}))
    assert [i["id"] for i in stored(storage)] == ["m0"]
    assert len(rig.warnings) == 1 and "track event" in rig.warnings[0] and "bigger" in rig.warnings[0]


def test_without_storage_the_bound_still_holds(timers: ManualTimers) -> None:
    transport = FakeTransport()
    warnings: list[str] = []
    delivery = Delivery(Endpoint("http", "collector.test/v1", "KEY"), Strategy(), None,
                        Network(transport, timers, random.Random(7)), warnings.append,
                        max_bytes=10 * footprint(0))
    for n in range(30):
        delivery.enqueue(event(n))
    assert len(delivery.pending) <= 10 and delivery.pending[-1]["messageId"] == "m29"
    assert any("full" in w for w in warnings)


def test_a_new_page_resends_what_the_last_one_left(storage: MemoryStorage, timers: ManualTimers) -> None:
    before = Rig(storage, timers)
    before.delivery.enqueue(event(1))
    before.transport.answer(0)
    before.delivery.enqueue(event(2))  # in flight when the page goes: its answer is never seen
    before.delivery.page_hide()
    before.timers.close()
    assert ids_in(before.transport.final) == ["m1"]
    assert all(r.keepalive for r in before.transport.final)
    timers.advance(3)  # the reload
    after = Rig(storage, timers)
    after.delivery.start()
    timers.advance(0.1)
    assert sorted(ids_in([r for r, _ in after.transport.waiting])) == ["m1", "m2"]
    after.transport.answer_all()
    assert stored(storage) == []


def test_a_live_tab_keeps_its_events(storage: MemoryStorage, timers: ManualTimers) -> None:
    one, two = Rig(storage, timers), Rig(storage, timers)
    one.delivery.enqueue(event(1))
    one.transport.answer(0)
    two.delivery.start()
    two.delivery.enqueue(event(2))
    for _ in range(40):  # a minute of lease renewals and retries
        timers.advance(1.5)
        one.transport.answer_all(0)
        two.transport.answer_all(200)
    assert "m1" not in ids_in(two.transport.log)
    assert [i["id"] for i in stored(storage)] == ["m1"]


def test_two_tabs_adopting_the_same_orphans_send_each_once(storage: MemoryStorage, timers: ManualTimers) -> None:
    gone = Rig(storage, timers)
    for n in range(4):
        gone.delivery.enqueue(event(n))
    gone.transport.answer_all(0)
    gone.timers.close()
    timers.advance(LEASE_S + 1)  # the tab closed without pagehide: its lease runs out
    stale = dict(storage.items)

    @dataclass
    class StaleOnce:
        """Another process's view: each key's first read misses the first tab's claim."""

        seen: set[str] = field(default_factory=set)

        def get_item(self, key: str) -> str | None:
            behind = key not in self.seen
            self.seen.add(key)
            return stale.get(key) if behind else storage.get_item(key)

        def set_item(self, key: str, value: str) -> None:
            storage.set_item(key, value)

        def remove_item(self, key: str) -> None:
            storage.remove_item(key)

        def keys(self) -> list[str]:
            return storage.keys()

    one, two = Rig(storage, timers), Rig(StaleOnce(), timers)  # type: ignore[arg-type]
    one.delivery.start()
    two.delivery.start()  # both claim everything; the later write wins
    timers.advance(1)
    sent_one, sent_two = ids_in(one.transport.log), ids_in(two.transport.log)
    assert sorted(sent_one + sent_two) == ["m0", "m1", "m2", "m3"]
    one.transport.answer_all()
    two.transport.answer_all()
    assert stored(storage) == []


def test_events_enqueued_by_two_tabs_are_all_kept(storage: MemoryStorage, timers: ManualTimers) -> None:
    one, two = Rig(storage, timers), Rig(storage, timers)
    for n in range(3):
        one.delivery.enqueue(event(n))
        two.delivery.enqueue(event(10 + n))
    assert sorted(i["id"] for i in stored(storage)) == ["m0", "m1", "m10", "m11", "m12", "m2"]
    one.transport.answer_all()
    assert sorted(i["id"] for i in stored(storage)) == ["m10", "m11", "m12"]


def test_broken_storage_keeps_events_in_memory(timers: ManualTimers) -> None:
    class Broken:
        def get_item(self, key: str) -> str | None:
            raise PermissionError("SecurityError")

        set_item = remove_item = get_item  # type: ignore[assignment]

    rig = Rig(Broken(), timers)  # type: ignore[arg-type]
    rig.delivery.enqueue(event(1))
    rig.transport.answer(0)
    assert [e["messageId"] for e in rig.delivery.pending] == ["m1"]
    timers.advance(2)
    rig.transport.answer(200)
    assert rig.delivery.pending == [] and len(rig.warnings) == 1


def test_garbage_in_the_queue_is_removed_with_a_warning(storage: MemoryStorage, timers: ManualTimers) -> None:
    storage.set_item(ITEM_PREFIX + "x", "{not json")
    storage.set_item(ITEM_PREFIX + "y", '{"id": "y"}')
    storage.set_item(LEASE_PREFIX + "t", "soon")
    rig = Rig(storage, timers)
    rig.delivery.start()
    rig.delivery.enqueue(event(1))
    assert [i["id"] for i in stored(storage)] == ["m1"]
    assert sum("not a queued event" in w for w in rig.warnings) == 2
    assert LEASE_PREFIX + "t" not in storage.items  # a gone tab's lease with nothing left is tidied


def test_a_queue_left_under_the_single_key_of_earlier_versions_is_sent(storage: MemoryStorage,
                                                                       timers: ManualTimers) -> None:
    item = {"id": "old", "event": event(0) | {"messageId": "old"}, "attempts": 2, "queued": timers.now() - 60,
            "due": timers.now(), "owner": "gone", "lease": timers.now() - 1}
    storage.set_item(LEGACY_QUEUE_KEY, json.dumps([item, "garbage"]))
    rig = Rig(storage, timers)
    rig.delivery.start()
    assert LEGACY_QUEUE_KEY not in storage.items
    timers.advance(0.1)
    assert ids_in([r for r, _ in rig.transport.waiting]) == ["old"]
    rig.transport.answer_all()
    assert stored(storage) == []


def test_enqueue_writes_one_small_item_whatever_the_queue_holds(timers: ManualTimers) -> None:
    """The cost of an event does not grow with the queue: one item written, nothing read."""

    @dataclass
    class Counting(MemoryStorage):
        log: list[tuple[str, str]] = field(default_factory=list)

        def get_item(self, key: str) -> str | None:
            self.log.append(("get", key))
            return super().get_item(key)

        def set_item(self, key: str, value: str) -> None:
            self.log.append(("set", key))
            super().set_item(key, value)

        def keys(self) -> list[str]:
            self.log.append(("keys", ""))
            return super().keys()

    storage = Counting()
    rig = Rig(storage, timers)
    rig.delivery.start()
    for n in range(50):
        rig.delivery.enqueue(event(n))
    storage.log.clear()
    rig.delivery.enqueue(event(99))
    assert storage.log == [("set", ITEM_PREFIX + "m99")]
    assert len(stored(storage)) == 51


def test_in_flight_limit(storage: MemoryStorage, timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    for n in range(20):
        rig.delivery.enqueue(event(n))
    assert len(rig.transport.waiting) == MAX_IN_FLIGHT
    sent = []
    while rig.transport.waiting:
        sent.append(rig.transport.answer())
    assert sorted(ids_in(sent)) == sorted(f"m{n}" for n in range(20))


def test_strategy_options() -> None:
    warnings: list[str] = []

    def strategy(option: Any) -> Strategy:
        return Settings.from_options("k", {"deliveryStrategy": option}, warnings.append).delivery

    assert strategy(None) == Strategy()
    assert strategy({"strategy": "batching", "config": {"size": 3, "timeout": 100}}) == Strategy(
        batching=True, size=3, timeout=0.1)
    assert strategy({"strategy": "batching", "config": {"size": 0}}).size == 10
    assert strategy({"strategy": "pigeon"}) == Strategy()
    assert len(warnings) == 2


def test_memory_transport_is_the_default_without_a_browser() -> None:
    network = Network()
    assert isinstance(network.transport, MemoryTransport)
    delivery = Delivery(Endpoint("https", "api.test/v1", "k"), Strategy(), None, network, print)
    delivery.enqueue(event(1))
    assert [e["messageId"] for e in network.transport.sent] == ["m1"] and delivery.pending == []


def test_a_tab_writes_its_lease_before_the_items_it_holds(storage: MemoryStorage, timers: ManualTimers) -> None:
    """localStorage reaches other tabs in write order: an item seen before its owner's lease would be adopted."""
    gone = Rig(storage, timers)
    gone.delivery.enqueue(event(0))
    gone.timers.close()
    timers.advance(LEASE_S + 1)
    writes: list[str] = []
    recording = MemoryStorage(storage.items)
    recording.set_item = lambda key, value: (writes.append(key), storage.set_item(key, value))  # type: ignore[method-assign]
    tab = Rig(recording, timers)
    tab.delivery.start()  # adopts the closed tab's event
    tab.delivery.enqueue(event(1))
    assert writes == [LEASE_PREFIX + tab.delivery.tab, ITEM_PREFIX + "m0", ITEM_PREFIX + "m1"]


def test_dropped_events_are_told_with_their_reason(storage: MemoryStorage, timers: ManualTimers) -> None:
    told: list[tuple[list[str], str]] = []
    delivery = Delivery(Endpoint("http", "collector.test/v1", "KEY"), Strategy(), storage,
                        Network(FakeTransport(), timers, random.Random(7)), print,
                        max_bytes=2 * footprint(0),
                        dropped=lambda events, reason: told.append(([e["messageId"] for e in events], reason)))
    for n in range(3):
        delivery.enqueue(event(n))
    assert told == [(["m0"], f"the event queue is full ({2 * footprint(0):,} characters of localStorage)")]
    transport = delivery.network.transport
    assert isinstance(transport, FakeTransport)
    transport.answer(200)  # m0, sent before it was pushed out
    transport.answer(403)
    assert told[-1] == (["m1"], "the collector refused it with 403")


def test_while_others_wait_out_a_backoff_a_new_event_goes_at_once(storage: MemoryStorage,
                                                                   timers: ManualTimers) -> None:
    rig = Rig(storage, timers)
    for n in range(40):
        rig.delivery.enqueue(event(n))
        rig.transport.answer_all(0)  # the collector unreachable: each waits out its backoff
    assert len(rig.transport.log) == 40 and not rig.transport.waiting  # each sent once, the moment it came
    rig.delivery.enqueue(event(40))
    assert ids_in([r for r, _ in rig.transport.waiting]) == ["m40"]
    rig.transport.answer_all(200)
    timers.advance(2.0)  # every first backoff (0.5-1 s) is over: all are sent again
    assert len(rig.transport.waiting) == MAX_IN_FLIGHT  # the first due: the rest follow as they are answered
    while rig.transport.waiting:
        rig.transport.answer(200)
    assert stored(storage) == [] and len(rig.transport.log) == 81
