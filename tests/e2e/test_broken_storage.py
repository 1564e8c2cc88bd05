"""Storage that fails for real in Chromium: nothing throws, identity lives on in memory, events still deliver.

- a sandboxed iframe without ``allow-same-origin``: ``document.cookie`` and
  ``localStorage`` throw ``SecurityError``;
- Chromium's setting that blocks all cookies, in a real profile: no cookie
  is kept and ``localStorage`` throws ``SecurityError`` as well;
- cookies disabled for the page (DevTools protocol
  ``Emulation.setDocumentCookieDisabled``, Chromium's own switch behind the
  cookie setting): ``document.cookie`` reads empty and drops writes;
- a localStorage filled to its quota: every write throws ``QuotaExceededError``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, BrowserType, Frame, Page

from tests.conftest import config
from tests.e2e.helpers import boot, cookie, load_options
from tests.e2e.watch import errors, warnings, watch
from tests.figures import record

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

#: A first visit's calls: identity set, read back and used in events.
SESSION = """async () => {
  const minted = analytics.user().anonymousId();
  const again = analytics.user().anonymousId();
  await analytics.identify("broken-user", { plan: "pro" });
  await analytics.track("Broken Storage", { n: 1 });
  await analytics.page();
  return { minted, again, userId: analytics.user().id(), traits: analytics.user().traits(),
           anonymousId: analytics.user().anonymousId() };
}"""


def collected(base_url: str, anonymous_id: str, count: int) -> list[dict[str, Any]]:
    """The collector's events for ``anonymous_id``, waiting until ``count`` arrived (polling)."""
    url = f"{base_url}/api/events?anonymousId={urllib.parse.quote(anonymous_id)}"
    deadline = time.monotonic() + 30
    while True:
        events = json.loads(urllib.request.urlopen(url).read())
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def check_session(target: Page | Frame, base_url: str) -> dict[str, Any]:
    result = target.evaluate(SESSION)
    assert UUID4.match(result["minted"]) and result["again"] == result["minted"] == result["anonymousId"]
    assert (result["userId"], result["traits"]) == ("broken-user", {"plan": "pro"})
    events = collected(base_url, result["minted"], 3)
    assert sorted(e["type"] for e in events) == ["identify", "page", "track"]
    assert all(e["userId"] == "broken-user" for e in events)
    return {**result, "delivered": len(events)}


def test_sandboxed_frame_where_cookie_and_local_storage_throw(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    page.goto(base_url + "/test-pages/sandboxed.html")
    frame = page.wait_for_selector("#frame").content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    assert frame.evaluate("() => { try { document.cookie; return 'read'; } catch (e) { return e.name; } }") == "SecurityError"
    assert frame.evaluate("() => { try { localStorage; return 'read'; } catch (e) { return e.name; } }") == "SecurityError"
    frame.evaluate(f"() => analytics.load('test-key', {json.dumps(load_options(base_url))})")
    frame.wait_for_function("window.analytics && window.analytics.initialized === true", timeout=config.BOOT_TIMEOUT_MS)
    result = check_session(frame, base_url)
    found = frame.evaluate("window.__watch.warnings")
    assert 1 <= len(found) == len(set(found)) <= 3, found  # one per failing store, never per call
    assert frame.evaluate("window.__watch.errors") == []
    assert errors(page) == []
    record("broken_storage", "sandboxed frame (SecurityError): events delivered", result["delivered"])


def test_cookies_disabled_for_the_page(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setDocumentCookieDisabled", {"disabled": True})
    boot(page, base_url)
    assert page.evaluate("document.cookie = 'probe=1'; document.cookie") == ""
    result = check_session(page, base_url)
    assert context.cookies() == []
    found = warnings(page)
    assert len(found) == len(set(found)) <= 1, found
    # localStorage still works, so the id survives a reload even without cookies.
    page.reload()
    boot(page, base_url)
    assert page.evaluate("analytics.user().anonymousId()") == result["minted"]
    assert errors(page) == []
    record("broken_storage", "cookies disabled: events delivered", result["delivered"])


def test_cookies_blocked_by_the_browser_setting(browser_type: BrowserType, browser_type_launch_args: dict[str, Any],
                                                base_url: str, tmp_path: Path) -> None:
    """Chromium's "block all cookies" setting, in a real profile: no cookies, and localStorage throws too."""
    (tmp_path / "Default").mkdir()
    (tmp_path / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}}))
    context = browser_type.launch_persistent_context(str(tmp_path), **browser_type_launch_args)
    try:
        watch(context)
        page = boot(context.new_page(), base_url)
        assert page.evaluate("document.cookie = 'probe=1'; document.cookie") == ""
        assert page.evaluate("() => { try { localStorage; return 'read'; } catch (e) { return e.name; } }") == "SecurityError"
        result = check_session(page, base_url)
        assert context.cookies() == []
        found = warnings(page)
        assert 1 <= len(found) == len(set(found)) <= 3, found  # one per failing store, never per call
        assert errors(page) == []
    finally:
        context.close()
    record("broken_storage", "cookies blocked by the browser setting: events delivered", result["delivered"])


FILL_LOCAL_STORAGE = """() => {
  const chunk = "x".repeat(256 * 1024);
  let i = 0;
  try { for (;;) localStorage.setItem("filler-" + i++, chunk); } catch (e) { if (e.name !== "QuotaExceededError") throw e; }
  let small = 0;
  try { for (;;) localStorage.setItem("small-" + small++, "y".repeat(64)); } catch (e) { return e.name; }
}"""


def test_local_storage_full(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    page.goto(base_url + "/blank.html")
    assert page.evaluate(FILL_LOCAL_STORAGE) == "QuotaExceededError"
    boot(page, base_url)
    result = check_session(page, base_url)
    assert cookie(context, "ajs_anonymous_id") == result["minted"]  # the cookie still works
    assert page.evaluate("localStorage.getItem('ajs_user_traits')") is None  # could not be written…
    assert page.evaluate("analytics.user().traits()") == {"plan": "pro"}  # …so memory holds them
    found = warnings(page)
    assert len(found) == len(set(found)), found
    assert errors(page) == []
    record("broken_storage", "localStorage full (QuotaExceededError): events delivered", result["delivered"])


#: Storage that accepts writes and keeps nothing, as some private modes did.
#: Chromium cannot produce this, so it is the one simulated failure here.
DROP_WRITES = """(() => {
  Storage.prototype.setItem = function () {};
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  Object.defineProperty(Document.prototype, "cookie", {
    configurable: true, get() { return cookie.get.call(this); }, set(value) {},
  });
})();"""


def test_storage_that_silently_drops_writes(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    context.add_init_script(DROP_WRITES)
    boot(page, base_url)
    result = check_session(page, base_url)
    assert page.evaluate("[document.cookie, localStorage.length]") == ["", 0]
    assert page.evaluate("analytics.user().anonymousId()") == result["minted"]  # memory keeps it for the page
    found = warnings(page)
    assert len(found) == len(set(found)) <= 3, found
    assert errors(page) == []
    record("broken_storage", "storage dropping writes (simulated): events delivered", result["delivered"])
