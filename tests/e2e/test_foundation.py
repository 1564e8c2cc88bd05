"""The walking skeleton: real Pyodide, real cookies and localStorage, in Chromium."""

from __future__ import annotations

import json
import re

from playwright.sync_api import BrowserContext, Page

from tests.e2e.helpers import boot, cookie, local, wait_ready

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def anonymous_id(page: Page) -> str:
    return page.evaluate("analytics.user().anonymousId()")


def test_first_visit_mints_a_v4_uuid_in_cookie_and_local_storage(page: Page, context: BrowserContext, base_url: str,
                                                                 script_cookie_days: int | None) -> None:
    boot(page, base_url)
    minted = cookie(context, "ajs_anonymous_id")
    assert minted and UUID4.match(minted)
    assert json.loads(local(page, "ajs_anonymous_id")) == minted
    assert anonymous_id(page) == minted
    attributes = next(c for c in context.cookies() if c["name"] == "ajs_anonymous_id")
    assert attributes["path"] == "/" and attributes["sameSite"] == "Lax" and not attributes["secure"]
    assert attributes["domain"] == "127.0.0.1"  # an IP address gets a host-only cookie
    days = (attributes["expires"] - page.evaluate("Date.now() / 1000")) / 86400
    lasting = min(365, script_cookie_days or 365)  # WebKit caps a cookie written from script (docs/engines.md)
    assert lasting - 1 < days <= lasting


def test_reload_keeps_the_id(page: Page, context: BrowserContext, base_url: str) -> None:
    first = anonymous_id(boot(page, base_url))
    page.reload()
    assert anonymous_id(boot(page, base_url)) == first


def test_cookie_cleared_restores_from_local_storage(page: Page, context: BrowserContext, base_url: str) -> None:
    first = anonymous_id(boot(page, base_url))
    context.clear_cookies()
    boot(page, base_url)
    assert anonymous_id(page) == first
    assert cookie(context, "ajs_anonymous_id") == first


def test_clearing_both_mints_a_new_id(page: Page, context: BrowserContext, base_url: str) -> None:
    first = anonymous_id(boot(page, base_url))
    context.clear_cookies()
    page.evaluate("localStorage.clear()")
    second = anonymous_id(boot(page, base_url))
    assert second != first and UUID4.match(second)
    assert cookie(context, "ajs_anonymous_id") == second


def test_set_anonymous_id_before_ready_is_buffered_and_survives_reload(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url, before="analytics.page(); analytics.setAnonymousId('ABC-123-XYZ');")
    assert anonymous_id(page) == "ABC-123-XYZ"
    assert cookie(context, "ajs_anonymous_id") == "ABC-123-XYZ"
    assert json.loads(local(page, "ajs_anonymous_id")) == "ABC-123-XYZ"
    page.reload()
    assert anonymous_id(boot(page, base_url)) == "ABC-123-XYZ"


def test_set_anonymous_id_after_ready_returns_it_and_survives_reload(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url)
    assert page.evaluate("analytics.setAnonymousId('ABC-123-XYZ')") == "ABC-123-XYZ"
    assert page.evaluate("analytics.user().anonymousId('DEF-456')") == "DEF-456"
    assert cookie(context, "ajs_anonymous_id") == "DEF-456"
    page.reload()
    assert anonymous_id(boot(page, base_url)) == "DEF-456"


def test_classic_cookie_format_reads_back(page: Page, context: BrowserContext, base_url: str) -> None:
    context.add_cookies([{"name": "ajs_anonymous_id", "value": "%22abc%22", "url": base_url}])
    assert anonymous_id(boot(page, base_url)) == "abc"


def test_ready_callback_runs_after_buffered_calls(page: Page, base_url: str) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate("""() => {
        window.order = [];
        analytics.load("k", {});
        analytics.ready(() => order.push("ready:" + analytics.user().anonymousId()));
        analytics.setAnonymousId("first");
        analytics.track("E", {}, () => order.push("track"));
    }""")
    wait_ready(page)
    page.wait_for_function("order.length === 2")
    assert page.evaluate("order") == ["track", "ready:first"]
