"""Events reach the real collector with the right identity, and none are lost."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from playwright.sync_api import BrowserContext, Page

from tests.e2e.helpers import boot, load_options


def collected(base_url: str, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"limit": "1000", **filters}.items())
    with urllib.request.urlopen(f"{base_url}/api/events?{query}", timeout=5) as response:
        return json.loads(response.read())


def wait_collected(base_url: str, count: int, timeout: float = 30, **filters: str) -> list[dict[str, Any]]:
    """Poll the collector until ``count`` matching events arrived (newest first)."""
    deadline = time.monotonic() + timeout
    while True:
        events = collected(base_url, **filters)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def test_track_arrives_with_identity(page: Page, base_url: str) -> None:
    boot(page, base_url)
    anonymous = page.evaluate("analytics.user().anonymousId()")
    page.evaluate("analytics.track('Email Clicked', {callToAction: 'Signup'})")
    events = wait_collected(base_url, 1, anonymousId=anonymous, type="track")
    assert [e["event"] for e in events] == ["Email Clicked"]
