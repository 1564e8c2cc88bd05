"""Shared steps of the end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import BrowserContext, Page

from analytics_identity.delivery import ITEM_PREFIX
from tests.conftest import config

#: A JavaScript expression: the events waiting in the persisted delivery queue (one key each).
QUEUED = (f"Object.keys(localStorage).filter((key) => key.startsWith('{ITEM_PREFIX}'))"
          ".map((key) => JSON.parse(localStorage.getItem(key)))")

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


def cookie(context: BrowserContext, name: str) -> str | None:
    """A cookie's raw value as the browser holds it."""
    return next((c["value"] for c in context.cookies() if c["name"] == name), None)


def local(page: Page, key: str) -> str | None:
    return page.evaluate("key => localStorage.getItem(key)", key)
