"""The README's page, as written, under the README's Content-Security-Policy, sending to Segment.

The page's two tags and the init file come from README.md verbatim (the
write key is the README's placeholder); the site answers them with the
policy the README shows. Segment's API is answered by the test (the tests
have no internet), which also records what the page sent there.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route

from tests.conftest import config
from tests.documented import fenced, policy
from tests.e2e.test_loading import Errors

pytestmark = pytest.mark.e2e


def test_the_readme_page_runs_as_written_under_the_readme_policy(page: Page, base_url: str) -> None:
    errors = Errors(page)
    csp = policy("csp:loader")
    html = f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>a page</title>\n{fenced("page:readme")}</head><body></body></html>\n'

    def respond(body: str, content_type: str):  # type: ignore[no-untyped-def]
        return lambda route: route.fulfill(body=body, content_type=content_type,
                                           headers={"content-security-policy": csp})

    page.route(base_url + "/readme-page.html", respond(html, "text/html"))
    page.route(base_url + "/analytics-init.js", respond(fenced("example:init"), "text/javascript"))
    sent: list[dict] = []

    def segment(route: Route) -> None:
        sent.append({"url": route.request.url, **json.loads(route.request.post_data or "{}")})
        route.fulfill(status=200, body='{"success": true}', headers={"access-control-allow-origin": "*"})

    page.context.route("https://api.segment.io/**", segment)
    page.goto(base_url + "/readme-page.html")
    # A function, not a string: the policy forbids eval, which string predicates use.
    page.wait_for_function("() => window.analytics.initialized === true", timeout=config.BOOT_TIMEOUT_MS)
    deadline = 200
    while not sent and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    anonymous_id = page.evaluate("() => analytics.user().anonymousId()")
    assert [(e["url"], e["type"], e["writeKey"], e["anonymousId"]) for e in sent] == [
        ("https://api.segment.io/v1/p", "page", "YOUR_WRITE_KEY", anonymous_id)]
    assert not errors.console and not errors.page  # no policy violation, nothing thrown
