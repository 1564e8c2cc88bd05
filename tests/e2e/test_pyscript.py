"""The PyScript path: a page written in Python shares one instance with page JavaScript.

PyScript, its interpreter (our self-hosted Pyodide) and our wheel (installed
by micropip, offline) all come from the build folder on 127.0.0.1.
"""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

from tests.conftest import config
from tests.e2e.helpers import cookie
from tests.e2e.test_loading import Errors, Requests


def wait_for_python(page: Page, expression: str) -> None:
    page.wait_for_function(expression, timeout=config.BOOT_TIMEOUT_MS)


def test_demo_page_in_python_shows_one_identity_to_python_and_javascript(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    requests = Requests(page)
    errors = Errors(page)
    page.goto(base_url + "/pyscript.html")
    wait_for_python(page, "document.getElementById('javascript-id').textContent !== 'loading…'")
    python_id = page.text_content("#python-id")
    assert python_id and python_id != "loading…"
    assert page.text_content("#javascript-id") == python_id
    assert cookie(context, "ajs_anonymous_id") == python_id
    assert requests.named("analytics_identity-0.1.0-py3-none-any.whl")  # installed by micropip
    requests.assert_all_local(base_url)
    assert not errors.ours and not errors.page


def test_python_and_javascript_share_the_instance_both_ways(page: Page, context: BrowserContext, base_url: str) -> None:
    requests = Requests(page)
    errors = Errors(page)
    page.goto(base_url + "/test-pages/pyscript-shared.html")
    wait_for_python(page, "window.python !== undefined")
    # `load(...)` and `from analytics_identity import analytics` are one object, and window.analytics is it.
    assert page.evaluate("python.same_instance") is True
    assert page.evaluate("analytics.initialized") is True
    # Calls page JavaScript made before Python was ready were replayed into it, in order.
    assert page.evaluate("python.anonymous_id()") == "set-by-javascript-before-python"
    assert page.evaluate("seen") == ["Before Python"]
    # Python's identity listener, added before the start, heard the mint and the buffered call.
    assert page.evaluate("python.reasons()") == "minted,setAnonymousId"

    page.evaluate("analytics.setAnonymousId('set-by-javascript')")
    assert page.evaluate("python.anonymous_id()") == "set-by-javascript"
    assert cookie(context, "ajs_anonymous_id") == "set-by-javascript"

    assert page.evaluate("python.set_anonymous_id('set-by-python')") == "set-by-python"
    assert page.evaluate("analytics.user().anonymousId()") == "set-by-python"
    assert cookie(context, "ajs_anonymous_id") == "set-by-python"
    assert page.evaluate("python.reasons()").endswith(",setAnonymousId,setAnonymousId")

    # Python dicts in, Python values out; JavaScript sees plain objects.
    assert page.evaluate("python.identify('user-1', 'pro')") == "dict:pro"
    assert page.evaluate("[analytics.user().id(), analytics.user().traits()]") == ["user-1", {"plan": "pro"}]
    assert cookie(context, "ajs_user_id") == "user-1"
    requests.assert_all_local(base_url)
    assert not errors.ours and not errors.page
