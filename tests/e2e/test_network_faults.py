"""Network faults between the page and the real collector (injected with Playwright routing).

The collector down, answering 500/503, 429 with ``Retry-After``, 413, very
slow or closing the connection, and the page reloaded or closed mid-send:
every event is retried until it arrives, the collector stores each one once,
the queue stays bounded, and nothing reaches the page.
"""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

from analytics_identity.delivery import ITEM_PREFIX
from analytics_identity.delivery.queue import MAX_BYTES, MAX_IN_FLIGHT
from tests.e2e.engines.fixtures import WEBKIT_CANNOT_ROUTE
from tests.e2e.faults import Faults, stored
from tests.e2e.helpers import QUEUED, boot
from tests.e2e.watch import errors, warnings, watch
from tests.figures import record

TRACK_MANY = """async (n, padding = 0) => {
  const ids = [], pad = "x".repeat(padding);
  for (let i = 0; i < n; i++) {
    ids.push((await analytics.track("Fault " + i, padding ? { i, pad } : { i })).event.messageId);
  }
  return ids;
}"""
pytestmark = WEBKIT_CANNOT_ROUTE

#: Characters of padding in each event of the bounded-queue test: 130 of them overflow the bound.
PADDING = MAX_BYTES // 100
#: What the queue takes in localStorage, keys and values (characters).
STORED_CHARACTERS = (f"Object.keys(localStorage).filter((key) => key.startsWith('{ITEM_PREFIX}'))"
                     ".reduce((sum, key) => sum + key.length + localStorage.getItem(key).length, 0)")


def fresh_identity(page: Page, label: str) -> str:
    return page.evaluate(f"analytics.setAnonymousId('{label}-' + crypto.randomUUID())")


def drained(page: Page) -> None:
    """Wait until the persisted queue is empty: every answer has been handled, every route has logged."""
    page.wait_for_function(f"({QUEUED}).length === 0")


def queue_length(page: Page) -> int:
    return page.evaluate(f"({QUEUED}).length")


def check_once_each(faults: Faults, sent: list[str], events: list[dict]) -> dict[str, int]:
    """Every sent event stored exactly once; returns the figures."""
    ids = [e["messageId"] for e in events]
    assert sorted(ids) == sorted(sent), "lost or foreign events"
    assert len(ids) == len(set(ids)), "an event was stored twice"
    delivered = faults.delivered()
    return {"sent": len(sent), "received": len(set(ids)), "stored twice": len(ids) - len(set(ids)),
            "accepted twice": sum(count - 1 for i, count in delivered.items() if i in sent and count > 1)}


def test_every_fault_kind_is_retried_until_each_event_arrives_once(page: Page, context: BrowserContext,
                                                                   base_url: str) -> None:
    watch(context)
    faults = Faults(["down", "500", "429", "close", "503", "slow", "down", "500"]).install(context)
    boot(page, base_url)
    anonymous_id = fresh_identity(page, "faults")
    sent = page.evaluate(TRACK_MANY, 8)
    stored(page, base_url, anonymous_id, len(sent))
    drained(page)
    figures = check_once_each(faults, sent, stored(page, base_url, anonymous_id, len(sent)))
    assert figures["accepted twice"] == 0
    assert faults.faults_injected == 8
    assert len(faults.log) >= len(sent) + 7  # every failed attempt was retried (the slow one succeeds)
    assert errors(page) == []
    record("network_faults", "faults injected (down, 500, 503, 429, close, slow)", faults.faults_injected)
    for name, value in figures.items():
        record("network_faults", f"events {name} (mixed faults)", value)


def test_413_drops_only_the_refused_event_with_one_warning(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    faults = Faults().install(context)
    boot(page, base_url)
    anonymous_id = fresh_identity(page, "too-big")
    big = page.evaluate("async () => (await analytics.track('Too Big', {blob: 'x'.repeat(40000)})).event.messageId")
    small = page.evaluate(TRACK_MANY, 2)
    stored(page, base_url, anonymous_id, 2)
    drained(page)
    events = stored(page, base_url, anonymous_id, 2)
    assert sorted(e["messageId"] for e in events) == sorted(small)
    assert [status for _, ids, status in faults.log if big in ids] == [413]  # refused once, never retried
    assert len([w for w in warnings(page) if "413" in w]) == 1
    assert errors(page) == []
    record("network_faults", "events over 32 KB refused with 413 (dropped with a warning, not retried)", 1)


def test_reload_mid_send_loses_nothing_and_stores_nothing_twice(page: Page, context: BrowserContext,
                                                                base_url: str) -> None:
    watch(context)
    faults = Faults(always="close").install(context)
    boot(page, base_url)
    anonymous_id = fresh_identity(page, "reload")
    sent = page.evaluate(TRACK_MANY, 5)
    assert queue_length(page) == 5
    page.reload()
    faults.always = None
    boot(page, base_url)
    stored(page, base_url, anonymous_id, len(sent))
    drained(page)
    figures = check_once_each(faults, sent, stored(page, base_url, anonymous_id, len(sent)))
    assert errors(page) == []
    for name, value in figures.items():
        record("network_faults", f"events {name} (reload mid-send)", value)


def test_tab_closed_mid_send_is_delivered_by_the_next_tab(context: BrowserContext, base_url: str) -> None:
    watch(context)
    faults = Faults(always="down").install(context)
    first = boot(context.new_page(), base_url)
    anonymous_id = fresh_identity(first, "closed")
    sent = first.evaluate(TRACK_MANY, 5)
    first.close()
    faults.always = None
    second = boot(context.new_page(), base_url)
    stored(second, base_url, anonymous_id, len(sent))
    drained(second)
    figures = check_once_each(faults, sent, stored(second, base_url, anonymous_id, len(sent)))
    assert errors(second) == []
    for name, value in figures.items():
        record("network_faults", f"events {name} (tab closed mid-send)", value)


def test_the_queue_stays_bounded_while_the_collector_is_down(page: Page, context: BrowserContext,
                                                             base_url: str) -> None:
    watch(context)
    faults = Faults(always="down").install(context)
    boot(page, base_url)
    anonymous_id = fresh_identity(page, "bounded")
    sent = page.evaluate(f"({TRACK_MANY})(130, {PADDING})")
    longest = queue_length(page)
    assert longest <= MAX_BYTES // PADDING
    assert page.evaluate(STORED_CHARACTERS) <= MAX_BYTES
    dropped = [w for w in warnings(page) if "dropped" in w or "full" in w]
    assert dropped, warnings(page)
    faults.always = None
    stored(page, base_url, anonymous_id, longest)
    drained(page)
    events = stored(page, base_url, anonymous_id, longest)
    ids = [e["messageId"] for e in events]
    assert len(ids) == len(set(ids)), "an event was stored twice"
    assert set(sent[-longest:]) <= set(ids) <= set(sent)  # the newest are kept, the oldest dropped with a warning
    assert len(ids) <= longest + MAX_IN_FLIGHT  # at most the bound, plus requests already in flight
    assert errors(page) == []
    record("network_faults", "events tracked while the collector was down (bounded queue)", len(sent))
    record("network_faults", f"of those ({PADDING:,} characters each), kept and delivered once "
                             f"(queue bound {MAX_BYTES:,} characters + in flight)", len(ids))
    record("network_faults", "events stored twice (bounded queue)", len(ids) - len(set(ids)))
