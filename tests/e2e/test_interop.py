"""Interoperability with the real @segment/analytics-next 1.84.3, on one origin, both ways.

analytics-next runs offline from this server (tests/e2e/pages/analytics-next.html).
Identity written by one library must be read unchanged by the other after a
reload, including ids with spaces, ``;``, ``=`` and non-ASCII characters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.helpers import boot

NEXT_PAGE = "/test-pages/analytics-next.html"

#: Identities that stress the cookie codec: spaces, separators, non-ASCII, JSON look-alikes.
IDENTITIES = {
    "separators-and-unicode": {
        "anonymousId": "anon id; a=b, ü 日本 😀",
        "userId": "user 1; role=admin é",
        "traits": {"name": "Zoë O'Brien; x=y", "plan": "pro", "logins": 3, "tags": ["a b", "ü"], "address": {"city": "Köln"}},
        "groupId": "group 7; tier=gold ß",
        "groupTraits": {"name": "Acme = Ünited; Ltd", "employees": 42, "flags": {"beta": True}},
    },
    "plain-ascii": {
        "anonymousId": "507f191e-810c-4c7f-a2e3-0f7a1b4b0f11",
        "userId": "user_12345",
        "traits": {"email": "jane@example.com"},
        "groupId": "acme-inc",
        "groupTraits": {"industry": "tools"},
    },
}

READ_IDENTITY = """() => ({
    anonymousId: analytics.user().anonymousId(),
    userId: analytics.user().id(),
    traits: analytics.user().traits(),
    groupId: analytics.group().id(),
    groupTraits: analytics.group().traits(),
})"""


def open_next(page: Page, base_url: str, query: str = "") -> Page:
    """Load analytics-next offline and wait until it is initialised."""
    page.goto(base_url + NEXT_PAGE + query)
    page.wait_for_function("window.ajsReady === true")
    return page


def read_identity(page: Page) -> dict[str, Any]:
    return page.evaluate(READ_IDENTITY)


def write_identity(page: Page, identity: dict[str, Any]) -> None:
    """The same calls in either library; analytics-next's return promises, awaited here."""
    page.evaluate(
        """async (who) => {
            analytics.setAnonymousId(who.anonymousId);
            await analytics.identify(who.userId, who.traits);
            await analytics.group(who.groupId, who.groupTraits);
        }""",
        identity,
    )


@pytest.fixture
def requests(context: BrowserContext) -> list[str]:
    """Every URL the browser asks for during the test."""
    seen: list[str] = []
    context.on("request", lambda request: seen.append(request.url))
    return seen


def assert_local_only(requests: list[str], base_url: str) -> None:
    origin = urlsplit(base_url).netloc
    outside = [url for url in requests if urlsplit(url).netloc != origin]
    assert requests and not outside, f"requests left {origin}: {outside}"


@pytest.mark.parametrize("name", IDENTITIES)
def test_identity_written_here_is_read_unchanged_by_analytics_next(
    name: str, page: Page, base_url: str, requests: list[str]
) -> None:
    identity = IDENTITIES[name]
    boot(page, base_url)
    write_identity(page, identity)
    assert read_identity(page) == identity
    page.reload()
    assert read_identity(boot(page, base_url)) == identity

    assert read_identity(open_next(page, base_url)) == identity
    page.reload()
    assert read_identity(open_next(page, base_url)) == identity
    assert_local_only(requests, base_url)


@pytest.mark.parametrize("name", IDENTITIES)
def test_identity_written_by_analytics_next_is_read_unchanged_here(
    name: str, page: Page, base_url: str, requests: list[str]
) -> None:
    identity = IDENTITIES[name]
    open_next(page, base_url)
    write_identity(page, identity)
    assert read_identity(page) == identity

    assert read_identity(boot(page, base_url)) == identity
    page.reload()
    assert read_identity(boot(page, base_url)) == identity
    # Our reads renew the cookies in our encoding; analytics-next still reads the same identity.
    assert read_identity(open_next(page, base_url)) == identity
    assert_local_only(requests, base_url)


def test_json_looking_string_ids_stay_strings_for_analytics_next(page: Page, base_url: str) -> None:
    """``"1234"`` is written JSON-quoted, so analytics-next reads the string back, not a number."""
    boot(page, base_url, before="analytics.identify('1234'); analytics.setAnonymousId('1e3'); analytics.group('true');")
    ids = "[analytics.user().id(), analytics.user().anonymousId(), analytics.group().id()]"
    assert page.evaluate(ids) == ["1234", "1e3", "true"]
    open_next(page, base_url)
    assert page.evaluate(ids) == ["1234", "1e3", "true"]


def classic(value: Any) -> str:
    """Classic analytics.js' cookie format: ``encodeURIComponent(JSON.stringify(value))``."""
    return quote(json.dumps(value, ensure_ascii=False, separators=(",", ":")), safe="-_.!~*'()")


@pytest.mark.parametrize("name", IDENTITIES)
def test_classic_format_identity_is_read_unchanged_here_and_by_analytics_next(
    name: str, page: Page, context: BrowserContext, base_url: str
) -> None:
    identity = IDENTITIES[name]
    context.add_cookies([
        {"name": cookie, "value": classic(identity[key]), "url": base_url}
        for cookie, key in (("ajs_anonymous_id", "anonymousId"), ("ajs_user_id", "userId"), ("ajs_group_id", "groupId"))
    ])
    page.goto(base_url + "/blank.html")
    page.evaluate(
        """(who) => {
            localStorage.setItem("ajs_user_traits", JSON.stringify(who.traits));
            localStorage.setItem("ajs_group_properties", JSON.stringify(who.groupTraits));
        }""",
        identity,
    )
    assert read_identity(boot(page, base_url)) == identity
    assert read_identity(open_next(page, base_url)) == identity


def test_analytics_next_runs_offline_and_loads_its_chunks_from_this_origin(
    page: Page, base_url: str, requests: list[str]
) -> None:
    """``ajs_aid`` in the URL makes analytics-next fetch its lazy queryString chunk: from here."""
    open_next(page, base_url, "?ajs_aid=from%20the%20query%20string")
    assert page.evaluate("analytics.user().anonymousId()") == "from the query string"
    page.evaluate("analytics.track('Offline check')")
    page.wait_for_function(
        "async () => (await (await fetch('/api/events')).json()).some(e => e.event === 'Offline check')"
    )
    assert any("/analytics-next/bundles/queryString." in url for url in requests)
    assert_local_only(requests, base_url)
