"""Consent in Chromium: what cookies, localStorage and the network see in each state, across reloads.

Each test looks at ``context.cookies()``, every localStorage key and every
request to the collector (``page.on("request")``), and at what the collector
stored. "Nothing sent" is checked against a later event that is sent: the
delivery sends in call order, so a wrongly sent event would have reached the
collector before it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from analytics_identity.bridge.handover import PREFIX
from tests.e2e.engines.fixtures import WEBKIT_CANNOT_ADD_HEADERS, WEBKIT_CANNOT_ROUTE, WEBKIT_SEES_NO_REQUEST_DETAILS
from tests.e2e.helpers import HIDE, QUEUED, boot, cookie, events, load_options

#: Makes the page's browser send Global Privacy Control, as Brave or Firefox with the setting on do.
GPC = "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})"
ANALYTICS_ONLY = {"categoryPreferences": {"Analytics": True}}


def required(base_url: str, **consent: Any) -> dict[str, Any]:
    return load_options(base_url, consent={"required": True, **consent})


class CollectorRequests:
    """Every request to the collector the page makes from now on."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self.seen: list[str] = []
        page.on("request", lambda request: self.seen.append(f"{request.url} {request.post_data}") if "/v1/" in request.url else None)

    def __len__(self) -> int:
        self._page.evaluate("0")  # a round trip: the browser's request events so far have been handled
        return len(self.seen)


def stored(page: Page) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every cookie of the context (with its expiry) and every localStorage key and value."""
    return page.context.cookies(), page.evaluate("() => ({...localStorage})")


def ours(page: Page) -> tuple[list[str], list[str]]:
    """Names of the ``ajs_*`` cookies and localStorage keys."""
    cookies, local = stored(page)
    return [c["name"] for c in cookies if c["name"].startswith("ajs_")], [k for k in local if k.startswith("ajs_")]


def anonymous_id(page: Page) -> str:
    return page.evaluate("analytics.user().anonymousId()")


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_pending_writes_and_sends_nothing_and_a_grant_persists_the_same_id_and_sends_held_events_once(
        page: Page, base_url: str) -> None:
    sent = CollectorRequests(page)
    boot(page, base_url, options=required(base_url),
         before="analytics.page(); analytics.identify('consent-user', {plan: 'pro'});")
    anonymous = anonymous_id(page)
    page.evaluate("analytics.track('While pending')")
    page.evaluate(HIDE)  # a hidden page flushes its delivery: there must be nothing to flush
    assert stored(page) == ([], {}) and len(sent) == 0
    assert page.evaluate("analytics.consent()") == {"state": "pending", "categoryPreferences": {}, "gpc": False}

    assert page.evaluate("analytics.consent(true)")["state"] == "granted"
    assert cookie(page.context, "ajs_anonymous_id") == anonymous and cookie(page.context, "ajs_user_id") == "consent-user"
    local = stored(page)[1]
    assert json.loads(local["ajs_anonymous_id"]) == anonymous and json.loads(local["ajs_user_traits"]) == {"plan": "pro"}
    delivered = events(base_url, page, 3, anonymousId=anonymous)
    # Each event goes in a request of its own: an engine may deliver them in another order.
    assert sorted((e["type"], e.get("event") or "") for e in delivered) == [("identify", ""), ("page", ""),
                                                                          ("track", "While pending")]
    assert all(e["context"]["consent"] == ANALYTICS_ONLY for e in delivered)
    assert len(sent) == 3  # each held event sent once

    # A reload: pending again until the site's consent tool answers; the stored id is read, nothing is written.
    # (The collector has the events before the page has read its answers and removed them from its queue.)
    page.wait_for_function("() => !Object.keys(localStorage).some((key) => key.startsWith('ajs_identity_queue:'))")
    before = stored(page)
    boot(page, base_url, options=required(base_url), before="analytics.track('After reload')")
    assert anonymous_id(page) == anonymous
    assert stored(page) == before and len(sent) == 3
    page.evaluate("analytics.consent({Analytics: true})")
    delivered = events(base_url, page, 4, anonymousId=anonymous)
    assert delivered[-1]["event"] == "After reload" and delivered[-1]["context"]["consent"] == ANALYTICS_ONLY
    assert len(sent) == 4


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_revoke_removes_every_key_and_sends_nothing_across_a_reload(page: Page, base_url: str) -> None:
    sent = CollectorRequests(page)
    boot(page, base_url, options=required(base_url),
         before="analytics.consent(true); analytics.identify('revoking-user', {plan: 'pro'});")
    anonymous = anonymous_id(page)
    events(base_url, page, 1, anonymousId=anonymous)
    page.evaluate("localStorage.setItem('site-setting', '1')")  # the site's own key stays

    page.evaluate("analytics.consent(false)")
    assert ours(page) == ([], []) and stored(page)[1] == {"site-setting": "1"}
    page.evaluate("analytics.track('After revoke'); analytics.identify('revoking-user', {plan: 'team'})")
    assert anonymous_id(page) == anonymous and page.evaluate("analytics.user().id()") == "revoking-user"
    assert ours(page) == ([], [])

    boot(page, base_url, options=required(base_url), before="analytics.track('Reloaded after revoke')")
    fresh = anonymous_id(page)
    assert fresh != anonymous and ours(page) == ([], [])  # nothing was left to read it from
    page.evaluate("analytics.consent(false)")
    assert ours(page) == ([], [])

    page.evaluate("analytics.consent(true); analytics.track('Granted again')")  # the sync point
    assert [e["event"] for e in events(base_url, page, 1, anonymousId=fresh)] == ["Granted again"]
    assert [e["type"] for e in events(base_url, page, 1, anonymousId=anonymous)] == ["identify"]
    assert len(sent) == 2


def test_events_made_before_a_denial_are_dropped_and_a_change_after_a_grant_is_told_once(
        page: Page, base_url: str) -> None:
    boot(page, base_url, options=required(base_url), before="analytics.track('Held then dropped')")
    anonymous = anonymous_id(page)
    page.evaluate("analytics.consent({Analytics: false})")
    page.evaluate("analytics.consent({Analytics: true}); analytics.consent({Advertising: false})")
    delivered = events(base_url, page, 1, anonymousId=anonymous)
    assert [e["event"] for e in delivered] == ["Segment Consent Preference Updated"]
    assert delivered[0]["context"]["consent"]["categoryPreferences"] == {"Analytics": True, "Advertising": False}


def test_pending_drop_sends_only_what_is_made_after_the_grant(page: Page, base_url: str) -> None:
    boot(page, base_url, options=required(base_url, pending="drop"), before="analytics.track('Dropped')")
    anonymous = anonymous_id(page)
    page.evaluate("analytics.consent(true); analytics.track('Kept')")
    assert [e["event"] for e in events(base_url, page, 1, anonymousId=anonymous)] == ["Kept"]


@WEBKIT_CANNOT_ADD_HEADERS
def test_global_privacy_control_is_stamped_and_forces_its_categories_false(page: Page, base_url: str) -> None:
    page.add_init_script(GPC)
    page.context.set_extra_http_headers({"Sec-GPC": "1"})  # what such a browser sends with every request
    boot(page, base_url, options=required(base_url),
         before="analytics.consent({Analytics: true, Advertising: true}); analytics.track('With GPC')")
    anonymous = anonymous_id(page)
    assert page.evaluate("analytics.consent()")["gpc"] is True
    assert cookie(page.context, "ajs_anonymous_id") == anonymous
    delivered = events(base_url, page, 1, anonymousId=anonymous)
    assert delivered[0]["context"]["consent"] == {
        "categoryPreferences": {"Analytics": True, "Advertising": False}, "gpc": True}
    assert delivered[0]["requestHeaders"] == {"Sec-GPC": "1"}  # the collector recorded the header


def test_gpc_deny_removes_what_an_earlier_visit_stored_and_stores_and_sends_nothing(
        page: Page, base_url: str) -> None:
    boot(page, base_url, before="analytics.identify('earlier-visitor')")  # an earlier visit, before GPC
    page.wait_for_function(f"{QUEUED}.length === 0")  # its identify delivered before we count requests
    anonymous = anonymous_id(page)
    sent = CollectorRequests(page)
    page.add_init_script(GPC)
    ids = []
    for _ in range(2):  # the visit with GPC on, and a reload
        boot(page, base_url, options=load_options(base_url, consent={"gpc": "deny"}),
             before="analytics.consent(true); analytics.track('Never sent')")
        assert ours(page) == ([], []) and page.evaluate("analytics.consent()")["state"] == "denied"
        ids.append(anonymous_id(page))
        page.evaluate(HIDE)
    assert ids[0] == anonymous  # read before the keys were removed, kept in memory for the page
    assert ids[1] != anonymous  # nothing was left to read it from
    page.wait_for_timeout(1000)  # time for a wrongly sent request to show (unit tests prove it deterministically)
    assert len(sent) == 0, sent.seen


@WEBKIT_CANNOT_ROUTE
def test_the_buffer_kept_for_the_next_page_is_not_written_while_consent_is_required(
        page: Page, base_url: str) -> None:
    never: list[Route] = []
    page.route("**/pyodide.asm.wasm", lambda route: never.append(route))  # this page never gets ready
    page.goto(base_url + "/blank.html")
    page.evaluate(f"analytics.load('test-key', {json.dumps(required(base_url, loadMode='immediate'))});"
                  "analytics.consent(true); analytics.track('Before ready')")
    page.evaluate(HIDE)
    assert stored(page) == ([], {})
    page.goto(base_url + "/blank.html")  # leaving fires pagehide
    assert stored(page) == ([], {})
    # The control: without consent.required the same page keeps its calls.
    page.evaluate(f"analytics.load('test-key', {json.dumps(load_options(base_url, loadMode='immediate'))});"
                  "analytics.track('Before ready')")
    page.evaluate(HIDE)
    assert any(key.startswith(PREFIX) for key in stored(page)[1])


@pytest.mark.parametrize("disable", ["true", "(options) => options.writeKey === undefined",
                                     "async () => true"], ids=["true", "function", "promise"])
def test_disable_loads_no_runtime_stores_and_sends_nothing_and_keeps_answering(
        page: Page, base_url: str, disable: str) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for _ in range(2):  # a page and its reload
        page.goto(base_url + "/blank.html")
        page.evaluate(f"""() => {{
            window.readyRan = false;
            analytics.ready(() => {{ window.readyRan = true; }});
            analytics.track('Buffered');
            analytics.load('test-key', {{...{json.dumps(load_options(base_url))}, disable: {disable}}});
        }}""")
        page.wait_for_function("window.readyRan === true && analytics.initialized === true")
        answers = page.evaluate("""async () => [
            await analytics.track('Disabled'), await analytics.identify('u1'), analytics.user().anonymousId(),
            analytics.user().id(), analytics.group().id(), analytics.on('track', () => {}) === analytics,
            await new Promise((resolve) => analytics.ready(() => resolve('ran'))), analytics.consent().state]""")
        assert answers == [None, None, None, None, None, True, "ran", "pending"]
        page.evaluate(HIDE)
        assert stored(page) == ([], {})
    assert not [url for url in requests if "/v1/" in url or "pyodide" in url or url.endswith(".whl")]


@pytest.mark.parametrize("anonymize", [True, False], ids=["anonymizeIp", "default"])
def test_anonymize_ip_sends_a_zero_address_and_the_collector_stores_none(
        page: Page, base_url: str, anonymize: bool) -> None:
    boot(page, base_url, options=load_options(base_url, anonymizeIp=anonymize),
         before="analytics.page(); analytics.track('Address', {}, {context: {ip: '203.0.113.9'}})")
    delivered = events(base_url, page, 2, anonymousId=anonymous_id(page))
    addresses = {e["type"]: e["context"]["ip"] for e in delivered}  # two requests: in either order
    # By default the collector stores the address the request came from, as Segment's does.
    assert addresses == ({"page": "0.0.0.0", "track": "0.0.0.0"} if anonymize
                         else {"page": "127.0.0.1", "track": "203.0.113.9"})
    assert "requestHeaders" not in delivered[0]


def test_no_start_up_snapshot_is_saved_while_consent_is_pending(page: Page, base_url: str) -> None:
    boot(page, base_url, options=required(base_url))
    # The loader's idle-time save runs first (idle callbacks run in order; WebKit has none, and the loader
    # and this wait both fall back to a timer) and holds this lock while it works.
    saved = page.evaluate("""async () => {
        await new Promise((resolve) => (window.requestIdleCallback || setTimeout)(resolve, {timeout: 5000}));
        await navigator.locks.request("analytics-identity:snapshot", () => {});
        return await caches.has("analytics-identity");
    }""")
    # Not even an empty cache: looking for a saved start does not create one.
    assert saved is False and stored(page) == ([], {})
