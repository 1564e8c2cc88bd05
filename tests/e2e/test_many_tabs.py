"""Several tabs of one visitor, in one Chromium profile.

Five tabs of a first visit that start the library at the same instant hold
one anonymousId (analytics-next 1.84.3 was measured with up to 4 distinct ids
across 5 tabs), every event they send carries it, and a setAnonymousId,
identify or reset in one tab is what the others see on their next call.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import Any

from playwright.sync_api import BrowserContext

from tests.conftest import config
from tests.e2e.faults import Faults, stored
from tests.e2e.helpers import QUEUED, boot, load_options
from tests.e2e.watch import errors, watch
from tests.figures import record

TABS = 5


def events_with_tag(base_url: str, tag: str, count: int) -> list[dict[str, Any]]:
    """Collected page events whose properties carry ``tag`` (polling until ``count`` arrived)."""
    deadline = time.monotonic() + 60
    while True:
        events = json.loads(urllib.request.urlopen(f"{base_url}/api/events?type=page&limit=1000").read())
        mine = [e for e in events if e.get("properties", {}).get("tag") == tag]
        if len(mine) >= count or time.monotonic() > deadline:
            return mine
        time.sleep(0.2)


def test_five_tabs_of_a_first_visit_mint_one_id(context: BrowserContext, base_url: str) -> None:
    watch(context)
    tabs = [context.new_page() for _ in range(TABS)]
    for tab in tabs:
        tab.goto(base_url + "/blank.html")
    tag = f"tabs-{time.time()}"
    options = json.dumps(load_options(base_url, loadMode="immediate"))
    start_at = tabs[0].evaluate("Date.now() + 1500")
    for tab in tabs:  # every tab starts the library at the same wall-clock instant
        tab.evaluate(f"""() => setTimeout(() => {{
            analytics.load("test-key", {options});
            analytics.page({{ tag: {json.dumps(tag)} }});
        }}, {start_at} - Date.now())""")
    for tab in tabs:  # five runtimes booting at once on a small machine: allow them the time
        tab.wait_for_function("window.analytics && window.analytics.initialized === true",
                              timeout=config.BOOT_TIMEOUT_MS * 4)
    ids = {tab.evaluate("analytics.user().anonymousId()") for tab in tabs}
    assert len(ids) == 1, ids
    sent = events_with_tag(base_url, tag, TABS)
    assert len(sent) == TABS
    assert {e["anonymousId"] for e in sent} == ids
    assert {c["value"] for c in context.cookies() if c["name"] == "ajs_anonymous_id"} == ids
    for tab in tabs:
        assert errors(tab) == []
    record("many_tabs", "tabs opened together on a first visit", TABS)
    record("many_tabs", "anonymousIds minted across those tabs", len(ids))
    record("many_tabs", "distinct anonymousIds on their first events", len({e["anonymousId"] for e in sent}))


def test_identity_changes_in_one_tab_are_seen_by_the_others_on_their_next_call(context: BrowserContext,
                                                                               base_url: str) -> None:
    watch(context)
    tabs = [boot(context.new_page(), base_url) for _ in range(3)]
    first, *others = tabs
    read = "[analytics.user().anonymousId(), analytics.user().id(), analytics.user().traits(), analytics.group().id()]"

    first.evaluate("analytics.setAnonymousId('shared-anon')")
    assert all(tab.evaluate("analytics.user().anonymousId()") == "shared-anon" for tab in others)

    first.evaluate("analytics.identify('shared-user', {plan: 'pro'}); analytics.group('shared-group')")
    for tab in others:
        assert tab.evaluate(read) == ["shared-anon", "shared-user", {"plan": "pro"}, "shared-group"]
        event = tab.evaluate("async () => (await analytics.track('Seen')).event")
        assert (event["anonymousId"], event["userId"]) == ("shared-anon", "shared-user")

    first.evaluate("analytics.reset()")
    fresh = first.evaluate("analytics.user().anonymousId()")
    assert fresh != "shared-anon"
    for tab in others:
        assert tab.evaluate(read) == [fresh, None, {}, None]
        event = tab.evaluate("async () => (await analytics.track('After Reset')).event")
        assert (event["anonymousId"], event["userId"]) == (fresh, None)
    for tab in tabs:
        assert errors(tab) == []
    record("many_tabs", "identity changes seen by the other tabs on their next call", "3 of 3")


def test_two_tabs_flushing_the_shared_queue_never_send_an_event_twice(context: BrowserContext, base_url: str) -> None:
    watch(context)
    faults = Faults(always="down").install(context)
    tabs = [boot(context.new_page(), base_url) for _ in range(2)]
    anonymous_id = tabs[0].evaluate("analytics.setAnonymousId('queue-tabs-' + crypto.randomUUID())")
    sent = [i for tab in tabs for i in tab.evaluate(
        "async () => { const ids = []; for (let i = 0; i < 10; i++) ids.push((await analytics.track('Queued ' + i)).event.messageId); return ids; }")]
    # Every event has been tried and refused once (fetch starts after the call returns, so wait for it).
    tabs[0].wait_for_function(f"({QUEUED}).filter((item) => item.attempts > 0).length === {len(sent)}")
    assert {a for a, _, _ in faults.log} == {"down"}  # nothing got through yet
    faults.always = None  # the collector is back: both tabs flush the one persisted queue
    stored(tabs[1], base_url, anonymous_id, len(sent))
    tabs[0].wait_for_function(f"({QUEUED}).length === 0")
    events = stored(tabs[1], base_url, anonymous_id, len(sent))
    ids = [e["messageId"] for e in events]
    assert sorted(ids) == sorted(sent) and len(set(ids)) == len(ids)
    accepted = faults.delivered()
    twice = sum(count - 1 for i, count in accepted.items() if i in sent and count > 1)
    assert twice == 0
    for tab in tabs:
        assert errors(tab) == []
    record("many_tabs", "events queued by 2 tabs while the collector was down", len(sent))
    record("many_tabs", "of those, delivered", len(set(ids)))
    record("many_tabs", "of those, sent twice by the two tabs", twice)
