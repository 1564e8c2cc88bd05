"""Nothing is lost before ready: calls of a page left or hidden before the core
was ready reach the collector once, with the page and time they were made on."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from playwright.sync_api import Page, Route

from analytics_identity.bridge.handover import PREFIX
from tests.e2e.engines.fixtures import WEBKIT_CANNOT_ROUTE
from tests.e2e.helpers import HIDE, boot, events, load_options, wait_ready

#: A JavaScript expression: the keys of calls left for the next page.
LEFT = f"Object.keys(localStorage).filter((key) => key.startsWith('{PREFIX}'))"


def iso(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def made_at(page: Page) -> int:
    """When the snippet buffered the page's last call (its ``__bufferedPage.time``)."""
    return page.evaluate("analytics[analytics.length - 1].at(-1).__bufferedPage.time")


@WEBKIT_CANNOT_ROUTE
def test_a_page_left_200_ms_after_load_has_its_calls_delivered_once_by_the_next_page(
        page: Page, base_url: str) -> None:
    never: list[Route] = []
    page.route("**/pyodide.asm.wasm", lambda route: never.append(route))  # this page never gets ready
    page.goto(base_url + "/test-pages/loading.html")  # buffers a page() call, loads in the default mode
    page.evaluate("analytics.track('Bounce', {plan: 'pro'}, () => {})")
    bounce_time = made_at(page)
    page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    page.wait_for_timeout(200)
    page.unroute("**/pyodide.asm.wasm")

    boot(page, base_url)  # the next page (blank.html)
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    page.evaluate("analytics.track('Next page')")
    delivered = events(base_url, page, 3, anonymousId=anonymous_id)
    # One request each, which an engine may deliver in another order.
    assert sorted((e["type"], e.get("event") or "", e["context"]["page"]["path"]) for e in delivered) == [
        ("page", "", "/test-pages/loading.html"),
        ("track", "Bounce", "/test-pages/loading.html"),
        ("track", "Next page", "/blank.html"),
    ]
    [bounce] = [e for e in delivered if e.get("event") == "Bounce"]
    assert bounce["timestamp"] == iso(bounce_time) and bounce["properties"] == {"plan": "pro"}
    assert bounce["context"]["page"]["title"] == "loading test page"
    assert page.evaluate(LEFT) == []

    boot(page, base_url, path="/blank.html?third=1")  # a third page replays nothing again
    page.evaluate("analytics.track('Third page')")
    delivered = events(base_url, page, 4, anonymousId=anonymous_id)
    assert sorted(e.get("event") or "" for e in delivered) == ["", "Bounce", "Next page", "Third page"]


def test_a_hidden_page_that_gets_ready_replays_its_calls_itself_once(page: Page, base_url: str) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate("analytics.track('While hidden', {}, () => { window.calledBack = true; })")
    page.evaluate(HIDE)
    assert len(page.evaluate(LEFT)) == 1  # kept for the next page, should this one be closed
    page.evaluate(f"analytics.load('test-key', {json.dumps(load_options(base_url, loadMode='immediate'))})")
    wait_ready(page)
    assert page.evaluate(LEFT) == []
    assert page.evaluate("window.calledBack") is True  # replayed from the page's own buffer
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    page.evaluate("analytics.track('Later')")
    assert [e["event"] for e in events(base_url, page, 2, anonymousId=anonymous_id)] == ["While hidden", "Later"]


def test_calls_another_tab_replayed_are_not_replayed_again_by_their_own_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate("analytics.track('Hidden tab')")
    page.evaluate(HIDE)
    other = page.context.new_page()
    boot(other, base_url, path="/blank.html?tab=2")  # takes what the hidden tab left
    anonymous_id = other.evaluate("analytics.user().anonymousId()")
    assert [(e["event"], e["context"]["page"]["path"]) for e in events(base_url, other, 1, anonymousId=anonymous_id)] \
        == [("Hidden tab", "/blank.html")]

    page.evaluate(f"analytics.load('test-key', {json.dumps(load_options(base_url, loadMode='immediate'))})")
    wait_ready(page)
    page.evaluate("analytics.track('Back')")
    assert [e["event"] for e in events(base_url, page, 2, anonymousId=anonymous_id)] == ["Hidden tab", "Back"]
