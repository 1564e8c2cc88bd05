"""Corrupt or foreign stored state, in Chromium with real cookies and localStorage.

Malformed JSON, bad percent-encoding, values of the wrong type, the same
cookie name on two paths, ``null``/``"undefined"`` left by other scripts: the
library recovers a sensible identity, warns at most once per problem, never
throws, and what it writes back is clean.
"""

from __future__ import annotations

import json
import re
import urllib.parse

from playwright.sync_api import BrowserContext, Page

from tests.e2e.helpers import boot, cookie, local
from tests.e2e.watch import errors, warnings, watch
from tests.figures import record

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DEEP = "/test-pages/deep/blank.html"
READ_ALL = """() => [analytics.user().anonymousId(), analytics.user().id(), analytics.user().traits(),
                     analytics.group().id(), analytics.group().traits()]"""


def seed(page: Page, base_url: str, cookies: list[str] = (), items: dict[str, str] | None = None,
         path: str = "/blank.html") -> int:
    """Store raw values the way another script would, before the library loads; returns how many."""
    page.goto(base_url + path)
    page.evaluate("""([cookies, items]) => {
        for (const c of cookies) document.cookie = c;
        for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
    }""", [list(cookies), items or {}])
    return len(cookies) + len(items or {})


def read_twice(page: Page) -> list:
    """Read everything twice: the second read must add no warning."""
    first = page.evaluate(READ_ALL)
    count = len(warnings(page))
    assert page.evaluate(READ_ALL) == first
    assert len(warnings(page)) == count, warnings(page)
    return first


def assert_warned_once_each(page: Page) -> None:
    found = warnings(page)
    assert len(found) == len(set(found)), found


def test_malformed_json_in_local_storage(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    seed(page, base_url, ["ajs_user_id=u1; path=/"], {
        "ajs_user_id": '"u1"', "ajs_user_traits": '{"plan":', "ajs_group_properties": '{"x"', "ajs_anonymous_id": '"anon-1"'})
    corrupt = 2  # the two traits keys above
    boot(page, base_url)
    anonymous_id, user_id, traits, _, group_traits = read_twice(page)
    assert (anonymous_id, user_id, traits, group_traits) == ("anon-1", "u1", {}, {})
    assert_warned_once_each(page)
    page.evaluate("analytics.identify('u1', {a: 1}); analytics.group('g1', {b: 2})")
    assert json.loads(local(page, "ajs_user_traits")) == {"a": 1}  # repaired: valid JSON again
    assert json.loads(local(page, "ajs_group_properties")) == {"b": 2}
    assert errors(page) == []
    record("stored_state", "malformed JSON values recovered", corrupt)


def test_bad_percent_encoding_yields_to_local_storage_and_is_repaired(page: Page, context: BrowserContext,
                                                                      base_url: str) -> None:
    watch(context)
    seed(page, base_url, ["ajs_anonymous_id=%E0%A4%A; path=/"], {"ajs_anonymous_id": '"good-id"'})
    boot(page, base_url)
    assert read_twice(page)[0] == "good-id"
    assert cookie(context, "ajs_anonymous_id") == "good-id"
    assert len([w for w in warnings(page) if "ajs_anonymous_id" in w]) == 1
    assert errors(page) == []
    record("stored_state", "broken percent-encoding: the localStorage id recovered", 1 if read_twice(page)[0] == "good-id" else 0)


def test_bad_percent_encoding_alone_gives_a_fresh_clean_id(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    seed(page, base_url, ["ajs_anonymous_id=%E0%A4%A; path=/"])
    boot(page, base_url)
    minted = read_twice(page)[0]
    assert UUID4.match(minted)
    assert cookie(context, "ajs_anonymous_id") == minted
    assert_warned_once_each(page)
    assert errors(page) == []


def test_values_of_the_wrong_type(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    seeded = seed(page, base_url, [
        "ajs_anonymous_id=" + urllib.parse.quote('{"a":1}') + "; path=/",
        "ajs_user_id=true; path=/",
        "ajs_group_id=" + urllib.parse.quote("[1,2]") + "; path=/",
    ], {"ajs_anonymous_id": '"kept-id"', "ajs_user_traits": "[1,2]", "ajs_group_properties": '"text"'})
    boot(page, base_url)
    assert read_twice(page) == ["kept-id", None, {}, None, {}]
    assert cookie(context, "ajs_anonymous_id") == "kept-id"  # repaired from localStorage
    assert_warned_once_each(page)
    page.evaluate("analytics.identify('u2', {a: 1}); analytics.group('g2')")
    assert (cookie(context, "ajs_user_id"), cookie(context, "ajs_group_id")) == ("u2", "g2")
    assert json.loads(local(page, "ajs_user_traits")) == {"a": 1}
    assert errors(page) == []
    record("stored_state", "wrong-type stored values recovered", seeded - 1)  # one seeded value is valid


def test_null_and_undefined_strings_left_by_other_libraries(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    seeded = seed(page, base_url, ["ajs_anonymous_id=undefined; path=/", "ajs_user_id=null; path=/",
                          "ajs_group_id=%22null%22; path=/"],
         {"ajs_user_id": "undefined", "ajs_user_traits": "null", "ajs_group_properties": "undefined"})
    boot(page, base_url)
    anonymous_id, user_id, traits, group_id, group_traits = read_twice(page)
    assert UUID4.match(anonymous_id)
    assert (user_id, traits, group_traits) == (None, {}, {})
    assert cookie(context, "ajs_anonymous_id") == anonymous_id
    assert_warned_once_each(page)
    page.evaluate("analytics.identify('u3')")
    assert cookie(context, "ajs_user_id") == "u3" and json.loads(local(page, "ajs_user_id")) == "u3"
    assert errors(page) == []
    record("stored_state", "null/undefined stored values recovered", seeded)


def test_the_same_cookie_on_two_paths(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    copies = seed(page, base_url, ["ajs_anonymous_id=root-id; path=/", "ajs_anonymous_id=deep-id; path=/test-pages/deep"],
                  path=DEEP)
    boot(page, base_url, path=DEEP)
    # The browser lists the longer path first; analytics-next reads that one too.
    assert read_twice(page)[0] == "deep-id"
    assert page.evaluate("analytics.setAnonymousId('new-id')") == "new-id"
    assert page.evaluate("analytics.user().anonymousId()") == "new-id"  # not shadowed by the deeper copy
    page.reload()
    boot(page, base_url, path=DEEP)
    assert page.evaluate("analytics.user().anonymousId()") == "new-id"
    page.evaluate("analytics.reset()")
    fresh = page.evaluate("analytics.user().anonymousId()")
    assert UUID4.match(fresh), fresh
    left = [c["value"] for c in context.cookies() if c["name"] == "ajs_anonymous_id"]
    assert left == [fresh]
    assert_warned_once_each(page)
    assert errors(page) == []
    record("stored_state", "copies of one cookie on two paths, left after reset", len(left))
    record("stored_state", "copies of one cookie on two paths, seeded", copies)
