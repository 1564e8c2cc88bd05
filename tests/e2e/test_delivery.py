"""Events reach the real collector with the right identity, and none are lost."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Request

from tests.conftest import Server
from tests.e2e.engines.fixtures import (
    SAME_PYTHON_IN_EVERY_ENGINE,
    WEBKIT_CANNOT_ROUTE,
    WEBKIT_SEES_NO_REQUEST_DETAILS,
)
from tests.e2e.helpers import QUEUED, boot, load_options, wait_ready
from tests.e2e.watch import errors, warnings, watch


def collected(base_url: str, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"limit": "1000", **filters}.items())
    with urllib.request.urlopen(f"{base_url}/api/events?{query}", timeout=5) as response:
        return json.loads(response.read())


def wait_collected(base_url: str, count: int, timeout: float = 40, **filters: str) -> list[dict[str, Any]]:
    """Poll the collector until at least ``count`` matching events arrived; oldest first."""
    deadline = time.monotonic() + timeout
    while True:
        events = collected(base_url, **filters)
        if len(events) >= count or time.monotonic() > deadline:
            return events[::-1]
        time.sleep(0.2)


def record(page: Page) -> list[Request]:
    """Every delivery request the page makes (the list fills while Playwright is called)."""
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r) if "/v1/" in r.url and r.method == "POST" else None)
    return requests


def anonymous_id(page: Page) -> str:
    return page.evaluate("analytics.user().anonymousId()")


# -- the examples of the user's document ------------------------------------------


def test_snippet_set_anonymous_id_applies_to_the_buffered_page_call(page: Page, base_url: str) -> None:
    anonymous = f"DOC-SNIPPET-{uuid.uuid4().hex[:8]}"  # the session's collector hears every engine's run
    boot(page, base_url, before=f"analytics.page(); analytics.setAnonymousId('{anonymous}');")
    (event,) = wait_collected(base_url, 1, anonymousId=anonymous)
    assert event["type"] == "page" and event["userId"] is None


@SAME_PYTHON_IN_EVERY_ENGINE
def test_options_anonymous_id_on_identify_page_and_track_persists(page: Page, base_url: str) -> None:
    boot(page, base_url)
    page.evaluate("""() => {
        analytics.identify('user_123', {name: 'Jane Kim'}, {anonymousId: 'DOC-OPT-1'});
        analytics.page({}, {anonymousId: 'DOC-OPT-1'});
        analytics.track('Email Clicked', {callToAction: 'Signup'}, {anonymousId: 'DOC-OPT-1'});
        analytics.track('Later Click');
    }""")
    events = wait_collected(base_url, 4, anonymousId="DOC-OPT-1")
    by_type = {(e["type"], e.get("event")): e for e in events}
    assert len(events) == 4
    identify = by_type[("identify", None)]
    assert identify["userId"] == "user_123" and identify["traits"] == {"name": "Jane Kim"}
    assert by_type[("track", "Email Clicked")]["properties"] == {"callToAction": "Signup"}
    assert by_type[("track", "Later Click")]["userId"] == "user_123"
    assert anonymous_id(page) == "DOC-OPT-1"


@SAME_PYTHON_IN_EVERY_ENGINE
def test_override_with_a_call_then_context_traits_and_ip(page: Page, base_url: str) -> None:
    boot(page, base_url)
    page.evaluate("""() => {
        analytics.user().anonymousId('DOC-CALL-1');
        analytics.identify('12091906-01011992', {plan_id: 'Paid, Tier 2', email: 'grace@usnavy.gov'});
        analytics.track('Clicked Email', {emailCampaign: 'First Touch'}, {traits: {plan_id: 'Paid, Tier 2'}});
        analytics.track('Order Completed', {}, {context: {ip: '0.0.0.0'}});
        analytics.track('Plain');
    }""")
    events = {e["type"] + ":" + e.get("event", ""): e for e in wait_collected(base_url, 4, anonymousId="DOC-CALL-1")}
    assert events["identify:"]["traits"] == {"plan_id": "Paid, Tier 2", "email": "grace@usnavy.gov"}
    clicked = events["track:Clicked Email"]
    assert clicked["context"]["traits"] == {"plan_id": "Paid, Tier 2"} and clicked["userId"] == "12091906-01011992"
    assert events["track:Order Completed"]["context"]["ip"] == "0.0.0.0"
    plain = events["track:Plain"]["context"]
    assert "traits" not in plain and plain["ip"] == "127.0.0.1"  # the collector's record of the request


def test_new_user_and_reset_refresh_the_anonymous_id(page: Page, base_url: str) -> None:
    boot(page, base_url)
    first = anonymous_id(page)
    user_a, user_b = (f"doc-user-{n}-{uuid.uuid4().hex[:8]}" for n in "ab")  # every engine's run: one collector
    page.evaluate(f"analytics.identify('{user_a}'); analytics.track('A')")
    page.evaluate(f"analytics.identify('{user_b}'); analytics.track('B')")
    page.evaluate("analytics.reset(); analytics.track('C')")
    a = wait_collected(base_url, 2, userId=user_a)
    b = wait_collected(base_url, 2, userId=user_b)
    assert {e["anonymousId"] for e in a} == {first}
    assert len({e["anonymousId"] for e in b}) == 1 and b[0]["anonymousId"] != first
    after = wait_collected(base_url, 1, anonymousId=anonymous_id(page))
    assert [(e["event"], e["userId"]) for e in after] == [("C", None)]
    assert after[0]["anonymousId"] not in (first, b[0]["anonymousId"])


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_context_page_campaign_library_and_headers(page: Page, base_url: str) -> None:
    requests = record(page)
    page.goto(base_url + "/blank.html?utm_source=news&utm_campaign=spring")
    page.evaluate(f"analytics.load('header-key', {json.dumps(load_options(base_url))})")
    wait_ready(page)
    page.evaluate("analytics.track('Campaign Visit')")
    (event,) = wait_collected(base_url, 1, anonymousId=anonymous_id(page), type="track")
    context = event["context"]
    assert context["page"]["path"] == "/blank.html" and context["page"]["search"] == "?utm_source=news&utm_campaign=spring"
    assert context["page"]["url"].endswith("/blank.html?utm_source=news&utm_campaign=spring")
    assert context["page"]["title"] == page.title()
    assert context["campaign"] == {"source": "news", "name": "spring"}
    assert context["library"]["name"] == "analytics-identity"
    assert context["userAgent"] == page.evaluate("navigator.userAgent")
    assert context["locale"] == page.evaluate("navigator.language")
    assert context["timezone"] == page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert event["writeKey"] == "header-key" and event["sentAt"] >= event["timestamp"]
    track = next(r for r in requests if r.url.endswith("/v1/t"))
    headers = track.all_headers()
    assert headers["content-type"].startswith("text/plain")
    assert headers["authorization"] == "Basic " + base64.b64encode(b"header-key:").decode()


@SAME_PYTHON_IN_EVERY_ENGINE
def test_promise_callback_and_listener(page: Page, base_url: str) -> None:
    boot(page, base_url)
    result = page.evaluate("""async () => {
        const seen = [];
        analytics.on('track', (name, props) => seen.push('on:' + name));
        const ctx = await analytics.track('Promised', {a: 1}, {}, (c) => seen.push('callback:' + c.event.event));
        return {seen, id: ctx.event.messageId, type: ctx.event.type};
    }""")
    assert result["type"] == "track" and result["seen"] == ["callback:Promised", "on:Promised"]
    (event,) = wait_collected(base_url, 1, anonymousId=anonymous_id(page), type="track")
    assert event["messageId"] == result["id"]


# -- middleware and batching -----------------------------------------------------------


@SAME_PYTHON_IN_EVERY_ENGINE
def test_a_middleware_that_blanks_the_ip_takes_effect(page: Page, base_url: str) -> None:
    boot(page, base_url)
    page.evaluate("""() => {
        analytics.addSourceMiddleware(({payload, next}) => { payload.obj.context.ip = '0.0.0.0'; next(payload); });
        analytics.addSourceMiddleware(({payload, next}) => { if (payload.obj.event !== 'Dropped') next(payload); });
        analytics.track('Kept');
        analytics.track('Dropped');
        analytics.identify('mw-user');
    }""")
    events = wait_collected(base_url, 2, anonymousId=anonymous_id(page))
    time.sleep(1)
    events = collected(base_url, anonymousId=anonymous_id(page))
    assert sorted(e["type"] for e in events) == ["identify", "track"]
    assert all(e["context"]["ip"] == "0.0.0.0" for e in events)


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_batching_sends_to_b_by_count_and_by_time(page: Page, base_url: str) -> None:
    requests = record(page)
    options = load_options(base_url, deliveryStrategy={"strategy": "batching", "config": {"size": 3, "timeout": 800}})
    boot(page, base_url, options=options)
    page.evaluate("for (const n of [1, 2, 3, 4]) analytics.track('Batched ' + n)")
    events = wait_collected(base_url, 4, anonymousId=anonymous_id(page))
    assert sorted(e["event"] for e in events) == ["Batched 1", "Batched 2", "Batched 3", "Batched 4"]
    page.wait_for_timeout(100)  # let Playwright deliver the request events
    posts = [r for r in requests if "/v1/" in r.url]
    assert {r.url.rsplit("/", 1)[1] for r in posts} == {"b"}
    sizes = sorted(len(json.loads(r.post_data or "{}")["batch"]) for r in posts)
    assert sizes == [1, 3]
    body = json.loads(posts[0].post_data or "{}")
    assert body["writeKey"] == "test-key" and body["sentAt"]


def test_pagehide_sends_what_is_waiting(page: Page, base_url: str) -> None:
    options = load_options(base_url, deliveryStrategy={"strategy": "batching", "config": {"size": 50, "timeout": 600_000}})
    boot(page, base_url, options=options)
    anonymous = anonymous_id(page)
    page.evaluate("analytics.track('Before Leaving 1'); analytics.track('Before Leaving 2')")
    time.sleep(0.5)
    assert collected(base_url, anonymousId=anonymous) == []
    page.goto(base_url + "/healthz")  # leave: pagehide sends with keepalive
    events = wait_collected(base_url, 2, anonymousId=anonymous)
    assert sorted(e["event"] for e in events) == ["Before Leaving 1", "Before Leaving 2"]


# -- the collector goes away -------------------------------------------------------------


@pytest.fixture
def second(tmp_path: Path) -> Iterator[Server]:
    """A collector of its own, on another origin, that the test stops and restarts."""
    server = Server(tmp_path / "second.sqlite3", mounts={}).start()
    yield server
    server.stop()


def queued(page: Page) -> list[dict[str, Any]]:
    return json.loads(page.evaluate(f"JSON.stringify({QUEUED})"))


def restart(server: Server) -> None:
    Server(server.db, port=server.port, mounts={}).start()


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_collector_down_then_back_every_event_arrives_once(page: Page, base_url: str, second: Server) -> None:
    requests = record(page)
    boot(page, base_url, options=load_options(second.url))
    second.stop()
    page.evaluate("for (const n of [1, 2, 3]) analytics.track('Offline ' + n)")
    page.wait_for_function(f"({QUEUED})"
                           ".filter(i => i.attempts > 0).length === 3")
    restarted = Server(second.db, port=second.port, mounts={}).start()
    try:
        events = wait_collected(second.url, 3, anonymousId=anonymous_id(page))
        assert sorted(e["event"] for e in events) == ["Offline 1", "Offline 2", "Offline 3"]
        assert len({e["messageId"] for e in events}) == 3
        page.wait_for_function(f"({QUEUED}).length === 0")
        delivered = [r for r in requests if r.response() is not None and r.response().status == 200]
        ids = [json.loads(r.post_data or "{}")["messageId"] for r in delivered]
        assert sorted(ids) == sorted(e["messageId"] for e in events)  # each acknowledged once
    finally:
        restarted.stop()


def test_queued_events_survive_a_reload_while_the_collector_is_down(page: Page, base_url: str, second: Server) -> None:
    options = load_options(second.url)
    boot(page, base_url, options=options)
    anonymous = anonymous_id(page)
    second.stop()
    page.evaluate("analytics.track('Reload 1'); analytics.identify('reload-user', {plan: 'pro'})")
    page.wait_for_function(f"({QUEUED}).length === 2")
    page.reload()
    boot(page, base_url, options=options)
    assert sorted(i["event"]["type"] for i in queued(page)) == ["identify", "track"]
    restarted = Server(second.db, port=second.port, mounts={}).start()
    try:
        events = wait_collected(second.url, 2, anonymousId=anonymous)
        assert sorted(e["type"] for e in events) == ["identify", "track"]
        assert [e["userId"] for e in events if e["type"] == "identify"] == ["reload-user"]
        page.wait_for_function(f"({QUEUED}).length === 0")
        time.sleep(1)
        assert len(collected(second.url, anonymousId=anonymous)) == 2
    finally:
        restarted.stop()


@SAME_PYTHON_IN_EVERY_ENGINE
def test_a_ready_listener_added_before_load_fires_once(page: Page, base_url: str) -> None:
    boot(page, base_url, before="window.readyFired = 0; analytics.on('ready', () => window.readyFired++);")
    page.wait_for_function("window.readyFired === 1")


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_two_tabs_send_a_closed_tabs_queue_once(context: BrowserContext, base_url: str, second: Server) -> None:
    options = load_options(second.url)
    first = boot(context.new_page(), base_url, options=options)
    anonymous = anonymous_id(first)
    second.stop()
    first.evaluate("for (const n of [1, 2, 3, 4]) analytics.track('Left Behind ' + n)")
    first.wait_for_function(f"({QUEUED})"
                            ".filter(i => i.attempts > 0).length === 4")
    first.close()
    restarted = Server(second.db, port=second.port, mounts={}).start()
    try:
        tabs = [context.new_page(), context.new_page()]
        sent = [record(tab) for tab in tabs]
        for tab in tabs:
            tab.goto(base_url + "/blank.html")
        for tab in tabs:
            tab.evaluate(f"analytics.load('test-key', {json.dumps(options)})")
        for tab in tabs:
            wait_ready(tab)
        events = wait_collected(second.url, 4, anonymousId=anonymous)
        assert sorted(e["event"] for e in events) == [f"Left Behind {n}" for n in range(1, 5)]
        for tab in tabs:
            tab.wait_for_function(f"({QUEUED}).length === 0")
        ids = [json.loads(r.post_data or "{}")["messageId"] for requests in sent for r in requests]
        assert sorted(ids) == sorted(e["messageId"] for e in events)  # no event sent by both tabs
    finally:
        restarted.stop()


@WEBKIT_CANNOT_ROUTE
def test_429_retry_after_is_honoured_and_a_400_drops_with_a_warning(page: Page, base_url: str) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.route("**/v1/t", lambda route: route.fulfill(status=429, headers={"Retry-After": "3600"}, body="slow down"))
    page.route("**/v1/p", lambda route: route.fulfill(status=400, body='{"error": "nope"}'))
    boot(page, base_url)
    page.evaluate("analytics.track('Throttled'); analytics.page()")
    page.wait_for_function(f"""() => {{
        const queue = {QUEUED};
        return queue.length === 1 && queue[0].attempts === 1;
    }}""")
    (item,) = queued(page)
    assert item["event"]["event"] == "Throttled"
    assert item["due"] - page.evaluate("Date.now() / 1000") > 3500  # waits the hour it was told to
    assert any("refused 1 event(s) (page) with 400" in w for w in warnings)


@WEBKIT_CANNOT_ROUTE
def test_an_error_listener_hears_of_an_event_the_collector_refuses(page: Page, base_url: str) -> None:
    """As analytics-next's delivery_failure: the event and why it was given up on."""
    page.route("**/v1/t", lambda route: route.fulfill(status=400, body='{"error": "nope"}'))
    boot(page, base_url)
    page.evaluate("""() => {
        window.failures = [];
        analytics.on("error", (failure) => failures.push(failure));
        analytics.track("Refused", { n: 1 });
    }""")
    page.wait_for_function("failures.length === 1")
    (failure,) = page.evaluate("failures")
    assert failure["code"] == "delivery_failure" and "refused it with 400" in failure["reason"]
    assert failure["ctx"]["event"]["event"] == "Refused" and failure["ctx"]["event"]["properties"] == {"n": 1}


@SAME_PYTHON_IN_EVERY_ENGINE
def test_a_canonical_link_gives_the_page_address_as_analytics_next_does(page: Page, base_url: str) -> None:
    """The canonical href wins (plus the page's query), for buffered and live calls; a link without href does not."""
    page.goto(base_url + "/blank.html?ref=ad#section")
    anonymous = page.evaluate("""() => {
        const link = document.createElement('link');
        link.rel = 'canonical';
        link.setAttribute('href', 'https://site.test/canonical-page');
        document.head.append(link);
        const id = 'canonical-' + crypto.randomUUID();
        analytics.setAnonymousId(id);
        analytics.track('Buffered');
        return id;
    }""")
    page.evaluate(f"analytics.load('test-key', {json.dumps(load_options(base_url))})")
    wait_ready(page)
    page.evaluate("""async () => {
        await analytics.track('Live');
        document.querySelector("link[rel='canonical']").removeAttribute('href');
        await analytics.track('No Href');
    }""")
    events = {e["event"]: e["context"]["page"] for e in wait_collected(base_url, 3, anonymousId=anonymous)}
    for name in ("Buffered", "Live"):
        assert (events[name]["url"], events[name]["path"]) == ("https://site.test/canonical-page?ref=ad", "/canonical-page")
        assert events[name]["search"] == "?ref=ad"
    assert (events["No Href"]["url"], events["No Href"]["path"]) == (base_url + "/blank.html?ref=ad", "/blank.html")


#: The workload of bench/workload.py: 500 track and 200 identify calls, 50 per task.
BURST = """async () => {
  const ids = [], pause = () => new Promise((resolve) => setTimeout(resolve, 0));
  const calls = [...Array(500)].map((_, i) => () => analytics.track('Burst', { i }))
    .concat([...Array(200)].map(() => () => analytics.identify('burst-user', { a: 1 })));
  for (let done = 0; done < calls.length; done += 50) {
    await pause();
    const batch = calls.slice(done, done + 50).map((call) => call());
    for (const ctx of await Promise.all(batch)) ids.push(ctx.event.messageId);
  }
  return ids;
}"""


@SAME_PYTHON_IN_EVERY_ENGINE
def test_a_burst_of_700_events_in_batches_of_50_is_delivered_whole(page: Page, context: BrowserContext,
                                                                   base_url: str) -> None:
    """Far more events than the deliveries (six requests in flight) can send while the page
    makes them: the queue holds them all, and every one reaches the collector once."""
    watch(context)
    boot(page, base_url)
    anonymous = page.evaluate("analytics.setAnonymousId('burst-' + crypto.randomUUID())")
    sent = page.evaluate(BURST)
    assert len(set(sent)) == 700
    page.wait_for_function(f"({QUEUED}).length === 0", timeout=120_000)
    events = wait_collected(base_url, 700, timeout=60, anonymousId=anonymous)
    ids = [e["messageId"] for e in events]
    assert sorted(ids) == sorted(sent), "lost, foreign or doubled events"
    assert sorted(e["type"] for e in events).count("identify") == 200
    assert not [w for w in warnings(page) if "full" in w or "dropped" in w], warnings(page)
    assert errors(page) == []
