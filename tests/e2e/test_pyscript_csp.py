"""A page written in Python (PyScript) under the Content-Security-Policy the README documents.

The page (``pages/pyscript-csp.html``) has no inline JavaScript and is built as
the README shows: the snippet, PyScript's ``core.js``, and a ``<script type="py">``
with the build's ``pyscript.json`` (our Pyodide, our wheel installed offline by
micropip). The policies are read from the README, so what it shows is what
passed.
"""

from __future__ import annotations

import json

from playwright.sync_api import BrowserContext, Page

from tests.conftest import config
from tests.documented import policy
from tests.e2e.helpers import cookie, local
from tests.e2e.test_delivery import wait_collected
from tests.e2e.test_loading import Errors, Requests, serve_with_csp

PAGE = "/test-pages/pyscript-csp.html"

#: The README's policy for PyScript pages, as it stands. 'unsafe-eval' because
#: PyScript 0.7.31 builds its worker hooks with `Function(...)` whenever it starts
#: an interpreter, even on the main thread; it also allows WebAssembly.
PYSCRIPT_POLICY = policy("csp:pyscript")

#: The README's policy for the JavaScript loader: too narrow for PyScript.
LOADER_POLICY = policy("csp:loader")


def test_the_documented_policy_runs_python_identify_and_track(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    requests = Requests(page)
    errors = Errors(page)
    serve_with_csp(page, base_url, PYSCRIPT_POLICY, PAGE)
    page.goto(base_url + PAGE)
    seen_by_python = python_result(page)
    anonymous_id = seen_by_python["anonymousId"]
    assert seen_by_python == {"anonymousId": anonymous_id, "userId": "csp-user", "traits": {"plan": "pro"}}

    # Python's instance is window.analytics, and it wrote the identity where analytics.js does.
    assert page.evaluate("() => [analytics.initialized, analytics.user().id(), analytics.user().anonymousId()]") == [
        True, "csp-user", anonymous_id]
    assert cookie(context, "ajs_anonymous_id") == anonymous_id
    assert cookie(context, "ajs_user_id") == "csp-user"
    assert json.loads(local(page, "ajs_user_traits") or "") == {"plan": "pro"}

    # Both events reached the collector (connect-src 'self' covers the apiHost here).
    events = wait_collected(base_url, 2, anonymousId=anonymous_id)
    assert sorted((e["type"], e["userId"], e.get("event")) for e in events) == [
        ("identify", "csp-user", None), ("track", "csp-user", "Booted Under CSP")]

    assert requests.named("analytics_identity-0.1.0-py3-none-any.whl")  # installed by micropip, allowed

    # A warm visit takes PyScript's other path (its package cache in IndexedDB): the same policy holds.
    page.reload()
    assert python_result(page) == seen_by_python
    requests.assert_all_local(base_url)
    # No violation reports (Chromium logs each as a console error) and no uncaught errors.
    assert not errors.console and not errors.page


def python_result(page: Page) -> dict[str, object]:
    """What the page's Python wrote once it ran (a function predicate: no string eval needed)."""
    page.wait_for_function("() => document.getElementById('python').textContent !== 'waiting'",
                           timeout=config.BOOT_TIMEOUT_MS)
    return json.loads(page.text_content("#python") or "")


def test_without_unsafe_eval_pyscript_stops_and_the_page_keeps_the_buffer(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    errors = Errors(page)
    serve_with_csp(page, base_url, LOADER_POLICY, PAGE)
    with page.expect_event("pageerror", timeout=config.BOOT_TIMEOUT_MS) as refused:
        page.goto(base_url + PAGE)
    # PyScript's own `Function(...)` is refused, after the interpreter started and before Python runs.
    assert "'unsafe-eval' is not an allowed source of script" in str(refused.value)
    assert errors.page == [str(refused.value)]
    assert page.text_content("#python") == "waiting"

    # window.analytics stays the snippet's buffer: page JavaScript can still call it, nothing is written.
    assert page.evaluate("() => Array.isArray(window.analytics) && !analytics.initialized")
    before = page.evaluate("() => analytics.length")
    assert page.evaluate("() => analytics.track('Still buffered') === analytics")
    assert page.evaluate("() => analytics.length") == before + 1
    assert not [c["name"] for c in context.cookies() if c["name"].startswith("ajs_")]
    assert page.evaluate("() => (document.body.dataset.still = 'working')") == "working"
    assert not errors.ours
