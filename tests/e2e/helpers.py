"""Shared steps of the end-to-end tests."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import Any

from playwright.sync_api import BrowserContext, Page

from analytics_identity.delivery import ITEM_PREFIX
from tests.conftest import config

#: A JavaScript expression: the events waiting in the persisted delivery queue (one key each).
QUEUED = (f"Object.keys(localStorage).filter((key) => key.startsWith('{ITEM_PREFIX}'))"
          ".map((key) => JSON.parse(localStorage.getItem(key)))")

#: Fakes the page being hidden (a tab switch), as the browser reports it.
HIDE = """() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    delete document.visibilityState;
}"""

#: Load options pointing the delivery at the test server.
def load_options(base_url: str, **extra: Any) -> dict[str, Any]:
    host = base_url.split("://", 1)[1]
    return {"integrations": {"Segment.io": {"apiHost": host + "/v1", "protocol": "http"}}, **extra}


def boot(page: Page, base_url: str, *, options: dict[str, Any] | None = None, before: str = "",
         path: str = "/blank.html") -> Page:
    """Open a page with the snippet, call load (plus any buffered calls) and wait for ready."""
    page.goto(base_url + path)
    page.evaluate(
        f"""() => {{
            analytics.load("test-key", {json.dumps(options if options is not None else load_options(base_url))});
            {before}
        }}"""
    )
    wait_ready(page)
    return page


def wait_ready(page: Page) -> None:
    page.wait_for_function("window.analytics && window.analytics.initialized === true",
                           timeout=config.BOOT_TIMEOUT_MS)


#: Read in each page before the browser's cookies: Chromium hands a page's
#: ``document.cookie`` write to its cookie store without waiting, and a read
#: after a write is a round trip behind it, so the store then holds it.
_FLUSH_COOKIE_WRITES = "() => { try { return document.cookie; } catch { return ''; } }"


def cookie(context: BrowserContext, name: str) -> str | None:
    """A cookie's raw value as the browser holds it, the pages' own writes included.

    Without the pages' reads first, ``context.cookies()`` once returned a
    cookie the page had just removed (Chromium, a loaded machine).
    """
    for page in context.pages:
        page.evaluate(_FLUSH_COOKIE_WRITES)
    return next((c["value"] for c in context.cookies() if c["name"] == name), None)


def local(page: Page, key: str) -> str | None:
    return page.evaluate("key => localStorage.getItem(key)", key)


def events(base_url: str, page: Page, count: int, **filters: str) -> list[dict[str, Any]]:
    """The collector's events matching ``filters``, once ``count`` are there (or after 60 s), oldest first."""
    query = urllib.parse.urlencode({"limit": "1000", **filters})
    deadline = time.monotonic() + 60
    while True:
        found = json.loads(urllib.request.urlopen(f"{base_url}/api/events?{query}", timeout=5).read())
        if len(found) >= count or time.monotonic() > deadline:
            return found[::-1]
        page.wait_for_timeout(200)
