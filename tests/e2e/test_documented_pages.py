"""The pages the docs show, as written, under the Content-Security-Policy shown for them, sending to Segment.

README's page (two tags and the init file) under README's loader policy,
and docs/python.md's PyScript page under README's PyScript policy, each
verbatim (the write key is the docs' placeholder). Segment's API is
answered by the test (the tests have no internet), which also records what
each page sent there.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route

from tests.conftest import config
from tests.documented import ROOT, fenced, policy
from tests.e2e.test_loading import Errors

pytestmark = pytest.mark.e2e


def documented_page(page: Page, base_url: str, block: str, csp: str, files: dict[str, str] | None = None) -> list[dict]:
    """Serve the HTML ``block`` (and ``files``: path -> JavaScript) under ``csp``; returns what reaches Segment."""
    html = f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>a page</title>\n{block}</head><body></body></html>\n'

    def respond(body: str, content_type: str):  # type: ignore[no-untyped-def]
        return lambda route: route.fulfill(body=body, content_type=content_type,
                                           headers={"content-security-policy": csp})

    page.route(base_url + "/documented-page.html", respond(html, "text/html"))
    for path, body in (files or {}).items():
        page.route(base_url + path, respond(body, "text/javascript"))
    sent: list[dict] = []

    def segment(route: Route) -> None:
        sent.append({"url": route.request.url, **json.loads(route.request.post_data or "{}")})
        route.fulfill(status=200, body='{"success": true}', headers={"access-control-allow-origin": "*"})

    page.context.route("https://api.segment.io/**", segment)
    page.goto(base_url + "/documented-page.html")
    # A function, not a string: the policy forbids eval, which string predicates use.
    page.wait_for_function("() => window.analytics.initialized === true", timeout=config.BOOT_TIMEOUT_MS)
    for _ in range(300):
        if sent:
            break
        page.wait_for_timeout(100)
    return sent


def test_the_readme_page_runs_as_written_under_the_readme_policy(page: Page, base_url: str) -> None:
    errors = Errors(page)
    sent = documented_page(page, base_url, fenced("page:readme"), policy("csp:loader"),
                           {"/analytics-init.js": fenced("example:init")})
    anonymous_id = page.evaluate("() => analytics.user().anonymousId()")
    assert [(e["url"], e["type"], e["writeKey"], e["anonymousId"]) for e in sent] == [
        ("https://api.segment.io/v1/p", "page", "YOUR_WRITE_KEY", anonymous_id)]
    assert not errors.console and not errors.page  # no policy violation, nothing thrown


def test_the_pyscript_page_of_the_docs_runs_as_written_under_its_policy(page: Page, base_url: str) -> None:
    errors = Errors(page)
    sent = documented_page(page, base_url, fenced("page:pyscript", ROOT / "docs" / "python.md"), policy("csp:pyscript"))
    anonymous_id = page.evaluate("() => analytics.user().anonymousId()")
    assert [(e["url"], e["type"], e["writeKey"], e["anonymousId"]) for e in sent] == [
        ("https://api.segment.io/v1/p", "page", "YOUR_WRITE_KEY", anonymous_id)]
    assert not errors.page
