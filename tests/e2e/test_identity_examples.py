"""Every code example of "Managing identity in Analytics.js", run in Chromium.

Each example is checked through the browser's real cookies
(``context.cookies()``), real ``localStorage`` and the events as the
collector received them. Ids carry a per-test suffix because the collector
is shared by the whole session.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.engines.fixtures import SAME_PYTHON_IN_EVERY_ENGINE
from tests.e2e.helpers import QUEUED, boot, cookie, load_options, local, wait_ready

#: The page the seed document's examples run on (test_own_pyodide.py runs them on another).
PAGE = "/blank.html"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
IDENTITY_KEYS = ["ajs_anonymous_id", "ajs_user_id", "ajs_user_traits", "ajs_group_id", "ajs_group_properties"]


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def events(base_url: str, count: int, **filters: str) -> list[dict[str, Any]]:
    """Events the collector stored for these filters, oldest first (by the page's ``timestamp``:
    events sent in separate requests can reach the collector in either order), once ``count`` arrived."""
    query = urllib.parse.urlencode({"limit": "1000", **filters})
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(f"{base_url}/api/events?{query}", timeout=5) as response:
            found = json.loads(response.read())
        if len(found) >= count or time.monotonic() > deadline:
            return sorted(reversed(found), key=lambda event: event["timestamp"])
        time.sleep(0.2)


def anonymous_id(page: Page) -> str:
    return page.evaluate("analytics.user().anonymousId()")


def local_json(page: Page, key: str) -> Any:
    raw = local(page, key)
    return None if raw is None else json.loads(raw)


def sent(page: Page, call: str) -> dict[str, Any]:
    """Run an event call and return the event it resolved with (analytics-next's ``ctx.event``)."""
    return page.evaluate(f"async () => (await {call}).event")


# -- Anonymous IDs -------------------------------------------------------------------------


def test_classic_cookie_example_reads_back_and_is_rewritten_in_analytics_next_format(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    # ajs_anonymous_id=%2239ee7ea5-b6d8-4174-b612-04e1ef3fa952 (the document drops the closing %22)
    example = "39ee7ea5-b6d8-4174-b612-04e1ef3fa952"
    context.add_cookies([{"name": "ajs_anonymous_id", "value": f"%22{example}%22", "url": base_url}])
    boot(page, base_url, path=PAGE)
    assert anonymous_id(page) == example
    assert cookie(context, "ajs_anonymous_id") == example
    assert local_json(page, "ajs_anonymous_id") == example


def test_anonymous_id_is_minted_during_initialization(page: Page, context: BrowserContext, base_url: str) -> None:
    page.goto(base_url + PAGE)
    page.evaluate(f"""() => {{
        window.seen = [];
        analytics.load("test-key", {json.dumps(load_options(base_url))});
        analytics.ready(() => seen.push(document.cookie));
    }}""")
    wait_ready(page)
    page.wait_for_function("seen.length === 1")
    minted = cookie(context, "ajs_anonymous_id")
    assert minted and UUID4.match(minted)
    assert f"ajs_anonymous_id={minted}" in page.evaluate("seen[0]")  # before any call asked for it


def test_retrieve_the_anonymous_id_and_a_null_one_is_minted_again(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url, path=PAGE)
    current = anonymous_id(page)
    assert current == cookie(context, "ajs_anonymous_id") == local_json(page, "ajs_anonymous_id")
    assert page.evaluate("analytics.user().anonymousId(null)") is None
    assert cookie(context, "ajs_anonymous_id") is None and local(page, "ajs_anonymous_id") is None
    fresh = anonymous_id(page)
    assert fresh != current and UUID4.match(fresh)
    assert cookie(context, "ajs_anonymous_id") == fresh == local_json(page, "ajs_anonymous_id")


def test_refreshing_reset_gives_a_new_anonymous_id_and_clears_every_key(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    boot(page, base_url, path=PAGE)
    user = unique("user")
    before = sent(page, f"analytics.identify('{user}', {{name: 'Jane'}})")["anonymousId"]
    page.evaluate("analytics.group('g1', {plan: 'pro'})")
    assert all(local(page, key) is not None for key in IDENTITY_KEYS)
    page.evaluate("analytics.reset()")
    for key in IDENTITY_KEYS:
        assert local(page, key) is None, key
    assert cookie(context, "ajs_user_id") is None and cookie(context, "ajs_group_id") is None
    after = sent(page, "analytics.track('After reset')")
    assert after["userId"] is None and after["anonymousId"] != before and UUID4.match(after["anonymousId"])
    assert cookie(context, "ajs_anonymous_id") == after["anonymousId"]


@SAME_PYTHON_IN_EVERY_ENGINE
def test_refreshing_identify_with_a_different_user_id(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url, path=PAGE)
    first = sent(page, f"analytics.identify('{unique('first')}')")["anonymousId"]
    second_user = unique("second")
    second = sent(page, f"analytics.identify('{second_user}')")
    assert second["anonymousId"] != first and second["userId"] == second_user
    assert cookie(context, "ajs_anonymous_id") == second["anonymousId"]


def test_override_the_anonymous_id_from_the_snippet(page: Page, context: BrowserContext, base_url: str) -> None:
    anonymous = unique("ABC-123-XYZ")
    page.goto(base_url + PAGE)
    page.evaluate(f"""() => {{
        analytics.load("test-key", {json.dumps(load_options(base_url))});
        analytics.page();
        analytics.setAnonymousId('{anonymous}');
    }}""")
    wait_ready(page)
    # setAnonymousId ran before the buffered page call, so the page event carries it
    [event] = events(base_url, 1, anonymousId=anonymous, type="page")
    assert event["anonymousId"] == anonymous
    assert cookie(context, "ajs_anonymous_id") == anonymous and local_json(page, "ajs_anonymous_id") == anonymous


@pytest.mark.parametrize("call", ["analytics.user().anonymousId('{id}')", "analytics.setAnonymousId('{id}')"])
def test_override_the_anonymous_id_with_a_call(page: Page, context: BrowserContext, base_url: str, call: str) -> None:
    boot(page, base_url, path=PAGE)
    anonymous = unique("ABC-123-XYZ")
    assert page.evaluate(call.format(id=anonymous)) == anonymous
    assert cookie(context, "ajs_anonymous_id") == anonymous and local_json(page, "ajs_anonymous_id") == anonymous
    assert sent(page, "analytics.track('Later')")["anonymousId"] == anonymous
    page.reload()
    assert anonymous_id(boot(page, base_url, path=PAGE)) == anonymous


@pytest.mark.parametrize(
    "call",
    [
        "analytics.identify('user_123', {name: 'Jane Kim'}, {anonymousId: '{id}'})",
        "analytics.page({}, {anonymousId: '{id}'})",
        "analytics.track('Email Clicked', {callToAction: 'Signup'}, {anonymousId: '{id}'})",
    ],
    ids=["identify", "page", "track"],
)
@SAME_PYTHON_IN_EVERY_ENGINE
def test_override_the_anonymous_id_using_the_options_object(
    page: Page, context: BrowserContext, base_url: str, call: str
) -> None:
    boot(page, base_url, path=PAGE)
    anonymous = unique("ABC-123-XYZ")
    page.evaluate(call.replace("{id}", anonymous))
    page.evaluate("analytics.track('Later, without the option')")
    delivered = events(base_url, 2, anonymousId=anonymous)
    # Each event goes in a request of its own: they may arrive in either order.
    assert len(delivered) == 2 and "Later, without the option" in [e.get("event") for e in delivered]
    assert cookie(context, "ajs_anonymous_id") == anonymous and local_json(page, "ajs_anonymous_id") == anonymous


# -- Saving traits to the context object --------------------------------------------------------


@SAME_PYTHON_IN_EVERY_ENGINE
def test_identify_and_context_traits_on_one_track_only(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url, path=PAGE)
    user = unique("12091906-01011992")
    page.evaluate(f"""() => analytics.identify('{user}', {{
        plan_id: 'Paid, Tier 2',
        email: 'grace@usnavy.gov'
    }})""")
    page.evaluate("""() => analytics.track('Clicked Email', {
        emailCampaign: 'First Touch'
      },
      {
        traits: {
          plan_id: 'Paid, Tier 2'
        }
      }
    )""")
    page.evaluate("analytics.track('Next Event')")
    identify, clicked, following = events(base_url, 3, userId=user)
    assert identify["traits"] == {"plan_id": "Paid, Tier 2", "email": "grace@usnavy.gov"}
    assert clicked["properties"] == {"emailCampaign": "First Touch"}
    assert clicked["context"]["traits"] == {"plan_id": "Paid, Tier 2"}  # not the name or email
    assert "traits" not in following["context"]
    assert cookie(context, "ajs_user_id") == user
    assert local_json(page, "ajs_user_traits") == {"plan_id": "Paid, Tier 2", "email": "grace@usnavy.gov"}
    assert clicked["anonymousId"] == following["anonymousId"] == anonymous_id(page)


# -- Clearing traits ----------------------------------------------------------------------------


@SAME_PYTHON_IN_EVERY_ENGINE
def test_clearing_user_and_group_traits(page: Page, base_url: str) -> None:
    boot(page, base_url, path=PAGE)
    page.evaluate("analytics.identify('u', {a: 1}); analytics.group('g', {b: 2})")
    assert local_json(page, "ajs_user_traits") == {"a": 1} and local_json(page, "ajs_group_properties") == {"b": 2}
    assert page.evaluate("analytics.user().traits({})") == {}
    assert page.evaluate("analytics.group().traits({})") == {}
    assert local_json(page, "ajs_user_traits") == {} and local_json(page, "ajs_group_properties") == {}
    assert page.evaluate("[analytics.user().traits(), analytics.group().traits()]") == [{}, {}]
    assert page.evaluate("[analytics.user().id(), analytics.group().id()]") == ["u", "g"]


# -- User and group information -----------------------------------------------------------------


def test_user_and_group_information_in_a_ready_block(page: Page, base_url: str) -> None:
    boot(page, base_url, path=PAGE)
    page.evaluate("analytics.identify('u-1', {name: 'Jane'}); analytics.group('g-1', {plan: 'pro'})")
    page.reload()
    page.evaluate(f"""() => {{
        window.info = null;
        analytics.load("test-key", {json.dumps(load_options(base_url))});
        analytics.ready(function() {{
          var user = analytics.user();
          var id = user.id();
          var traits = user.traits();
          var group = analytics.group();
          info = {{id: id, traits: traits, groupId: group.id(), groupTraits: group.traits()}};
        }});
    }}""")
    page.wait_for_function("window.info !== null", timeout=60_000)
    assert page.evaluate("info") == {"id": "u-1", "traits": {"name": "Jane"}, "groupId": "g-1",
                                     "groupTraits": {"plan": "pro"}}


# -- Anonymizing IP -----------------------------------------------------------------------------


@SAME_PYTHON_IN_EVERY_ENGINE
def test_anonymizing_ip_applies_to_that_call_only(page: Page, base_url: str) -> None:
    boot(page, base_url, path=PAGE)
    anonymous = unique("ip")
    page.evaluate(f"analytics.setAnonymousId('{anonymous}')")
    page.evaluate('analytics.track("Order Completed", {}, { context: { ip: "0.0.0.0" }})')
    page.evaluate('analytics.track("Order Shipped")')
    completed, shipped = events(base_url, 2, anonymousId=anonymous)
    assert completed["event"] == "Order Completed" and completed["context"]["ip"] == "0.0.0.0"
    assert shipped["context"]["ip"] == "127.0.0.1"  # not anonymized: the collector records the request's address


# -- Segment ID persistence and storage rules --------------------------------------------------


def test_the_cookie_wins_over_local_storage_and_local_storage_is_rewritten(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate("localStorage.setItem('ajs_anonymous_id', JSON.stringify('from-other-subdomain'))")
    context.add_cookies([{"name": "ajs_anonymous_id", "value": "shared-cookie", "url": base_url}])
    boot(page, base_url)
    assert anonymous_id(page) == "shared-cookie"
    assert local_json(page, "ajs_anonymous_id") == "shared-cookie"


def test_numeric_ids_are_strings_in_cookie_local_storage_and_the_wire(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url)
    number = int(uuid.uuid4().int % 10**12)
    event = sent(page, f"analytics.identify({number})")
    assert event["userId"] == str(number)
    assert page.evaluate("analytics.user().id()") == str(number)
    assert local_json(page, "ajs_user_id") == str(number)
    raw = cookie(context, "ajs_user_id")
    assert urllib.parse.unquote(raw) == f'"{number}"'  # JSON-quoted: every reader gets a string
    [delivered] = events(base_url, 1, userId=str(number))
    assert delivered["userId"] == str(number)


COUNT_COOKIE_WRITES = """() => {
    const descriptor = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
    window.cookieWrites = [];
    Object.defineProperty(document, 'cookie', {
        get() { return descriptor.get.call(document); },
        set(value) { cookieWrites.push(value); descriptor.set.call(document, value); },
        configurable: true,
    });
}"""


def test_cookies_are_written_only_on_change_and_renewed_once_per_page(page: Page, base_url: str) -> None:
    boot(page, base_url)
    page.evaluate("analytics.identify('steady-user'); analytics.group('steady-group')")
    page.reload()
    page.evaluate(COUNT_COOKIE_WRITES)
    boot_script = f"analytics.load('test-key', {json.dumps(load_options(base_url))})"
    page.evaluate(boot_script)
    wait_ready(page)
    page.evaluate("""() => {
        for (let i = 0; i < 20; i++) {
            analytics.track('Steady', {i});
            analytics.identify('steady-user', {i: 1});
            analytics.group('steady-group');
            analytics.user().anonymousId();
        }
    }""")
    names = [w.split("=")[0] for w in page.evaluate("cookieWrites")]
    # one renewal per cookie on this page, nothing else
    assert sorted(names) == ["ajs_anonymous_id", "ajs_group_id", "ajs_user_id"]


# -- Query string -------------------------------------------------------------------------------


def test_query_string_sets_ids_identifies_and_tracks_before_buffered_calls(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    aid, uid = unique("qs-anon"), unique("qs-user")
    page.goto(base_url + f"/blank.html?ajs_aid={aid}&ajs_uid={uid}&ajs_trait_name=Karl+Jr."
                         "&ajs_event=Clicked%20Email&ajs_prop_emailCampaign=First+Touch")
    page.evaluate(f"""() => {{
        analytics.load("test-key", {json.dumps(load_options(base_url))});
        analytics.track('Buffered');
    }}""")
    wait_ready(page)
    delivered = events(base_url, 3, anonymousId=aid)
    # One request each, which an engine may deliver in another order; the buffered track carrying
    # the query's userId shows the query ran first.
    assert sorted(e["type"] for e in delivered) == ["identify", "track", "track"]
    [identify] = [e for e in delivered if e["type"] == "identify"]
    [clicked] = [e for e in delivered if e.get("event") == "Clicked Email"]
    [buffered] = [e for e in delivered if e.get("event") == "Buffered"]
    assert identify["userId"] == uid and identify["traits"] == {"name": "Karl Jr."}
    assert clicked["event"] == "Clicked Email" and clicked["properties"] == {"emailCampaign": "First Touch"}
    assert buffered["event"] == "Buffered" and buffered["userId"] == uid
    assert cookie(context, "ajs_anonymous_id") == aid and cookie(context, "ajs_user_id") == uid
    assert local_json(page, "ajs_user_traits") == {"name": "Karl Jr."}


@SAME_PYTHON_IN_EVERY_ENGINE
def test_query_string_in_the_hash(page: Page, context: BrowserContext, base_url: str) -> None:
    aid = unique("hash-anon")
    page.goto(base_url + f"/blank.html#/route?ajs_aid={aid}")
    boot_in_place(page, base_url, {})
    assert anonymous_id(page) == aid and cookie(context, "ajs_anonymous_id") == aid


@SAME_PYTHON_IN_EVERY_ENGINE
def test_use_query_string_patterns_are_javascript_regexps(page: Page, context: BrowserContext, base_url: str) -> None:
    page.goto(base_url + "/blank.html?ajs_aid=not%20allowed!&ajs_uid=12345")
    boot_in_place(page, base_url, None, extra="useQueryString: {aid: /^[a-z0-9-]+$/, uid: /^\\d+$/}")
    assert anonymous_id(page) != "not allowed!" and UUID4.match(anonymous_id(page))
    assert page.evaluate("analytics.user().id()") == "12345"


@SAME_PYTHON_IN_EVERY_ENGINE
def test_use_query_string_false_ignores_the_query(page: Page, base_url: str) -> None:
    page.goto(base_url + "/blank.html?ajs_aid=ignored&ajs_uid=ignored")
    boot_in_place(page, base_url, {"useQueryString": False})
    assert anonymous_id(page) != "ignored" and page.evaluate("analytics.user().id()") is None


def boot_in_place(page: Page, base_url: str, options: dict[str, Any] | None, extra: str = "") -> None:
    """Load on the page already open (its URL carries the query), with JSON options or raw JS ones."""
    js_options = json.dumps(load_options(base_url, **(options or {})))
    if extra:
        js_options = js_options[:-1] + ", " + extra + "}"
    page.evaluate(f"() => analytics.load('test-key', {js_options})")
    wait_ready(page)


# -- Cookie domain --------------------------------------------------------------------------------


def test_cookie_domain_is_the_widest_that_accepts_cookies(page: Page, context: BrowserContext, base_url: str) -> None:
    port = base_url.rsplit(":", 1)[1]
    page.goto(f"http://a.b.example.test:{port}/blank.html")
    page.evaluate("() => analytics.load('test-key', {})")
    wait_ready(page)
    minted = anonymous_id(page)
    [stored] = [c for c in context.cookies() if c["name"] == "ajs_anonymous_id"]
    assert stored["value"] == minted and stored["domain"] == ".example.test"
    assert not [c for c in context.cookies() if c["name"] == "__tld__"]  # the probe is removed


def test_two_subdomains_share_one_visitor_through_the_cookie(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    """shop. and blog.example.test are two origins (two localStorages) under one ``.example.test`` cookie."""
    port = base_url.rsplit(":", 1)[1]
    shop, blog = (f"http://{name}.example.test:{port}" for name in ("shop", "blog"))
    user, from_blog = unique("subdomain-user"), unique("from-blog")
    # Events go to 127.0.0.1, another origin: the queue empties only if the collector's CORS reply is readable.
    options = load_options(base_url)
    delivered = f"{QUEUED}.length === 0"

    boot(page, shop, options=options)
    minted = anonymous_id(page)
    page.evaluate("async (user) => { await analytics.identify(user, {plan: 'pro'}); }", user)
    page.evaluate("async () => { await analytics.track('Shop visited'); }")
    page.wait_for_function(delivered)

    boot(page, blog, options=options)  # a new origin: its localStorage starts empty
    assert local_json(page, "ajs_anonymous_id") == minted  # read from the cookie at load, copied as the backup
    assert local(page, "ajs_user_traits") is None  # traits never ride in a cookie
    assert page.evaluate("[analytics.user().anonymousId(), analytics.user().id()]") == [minted, user]
    assert local_json(page, "ajs_user_id") == user  # the read copied the cookie's user id too
    assert page.evaluate("analytics.user().traits()") == {}
    page.evaluate("async () => { await analytics.track('Blog visited'); }")

    page.evaluate("id => analytics.setAnonymousId(id)", from_blog)
    page.evaluate("async () => { await analytics.track('Blog renamed'); }")
    assert local_json(page, "ajs_anonymous_id") == from_blog
    page.wait_for_function(delivered)

    page.goto(shop + "/blank.html")
    assert local_json(page, "ajs_anonymous_id") == minted  # shop's own copy is still the old id
    boot_in_place(page, base_url, None)
    assert anonymous_id(page) == from_blog and page.evaluate("analytics.user().id()") == user
    assert local_json(page, "ajs_anonymous_id") == from_blog  # the cookie won and was written back
    assert local_json(page, "ajs_user_traits") == {"plan": "pro"}  # shop's traits stayed on shop
    page.evaluate("async () => { await analytics.track('Shop revisited'); }")
    page.wait_for_function(delivered)

    ids = [c for c in context.cookies() if c["name"] in ("ajs_anonymous_id", "ajs_user_id")]
    assert sorted((c["name"], c["value"], c["domain"]) for c in ids) == [
        ("ajs_anonymous_id", from_blog, ".example.test"),
        ("ajs_user_id", user, ".example.test"),
    ]  # one cookie each, on the shared domain: no host-only copy on either subdomain

    seen = sorted((urllib.parse.urlsplit(e["context"]["page"]["url"]).hostname, e.get("event", e["type"]),
                   e["anonymousId"]) for e in events(base_url, 5, userId=user))
    assert seen == sorted([
        ("shop.example.test", "identify", minted),
        ("shop.example.test", "Shop visited", minted),
        ("blog.example.test", "Blog visited", minted),
        ("blog.example.test", "Blog renamed", from_blog),
        ("shop.example.test", "Shop revisited", from_blog),
    ])


# -- Load options ---------------------------------------------------------------------------------


def test_cookie_options_and_custom_keys_reach_the_browser(page: Page, context: BrowserContext, base_url: str) -> None:
    options = load_options(base_url, cookie={"maxage": 7, "sameSite": "Strict", "path": "/"},
                           user={"cookie": {"key": "my_uid"}, "localStorage": {"key": "my_traits"}})
    boot(page, base_url, options=options)
    page.evaluate("analytics.identify('custom-key-user', {plan: 'pro'})")
    stored = {c["name"]: c for c in context.cookies()}
    assert stored["my_uid"]["value"] == "custom-key-user" and "ajs_user_id" not in stored
    assert local_json(page, "my_traits") == {"plan": "pro"} and local(page, "ajs_user_traits") is None
    for name in ("my_uid", "ajs_anonymous_id"):
        assert stored[name]["sameSite"] == "Strict" and stored[name]["path"] == "/"
        days = (stored[name]["expires"] - page.evaluate("Date.now() / 1000")) / 86400
        assert 6 < days <= 7


def test_disable_client_persistence_writes_nothing(page: Page, context: BrowserContext, base_url: str) -> None:
    boot(page, base_url, options=load_options(base_url, disableClientPersistence=True))
    page.evaluate("analytics.identify('memory-user', {a: 1}); analytics.group('memory-group')")
    assert page.evaluate("[analytics.user().id(), analytics.group().id()]") == ["memory-user", "memory-group"]
    assert UUID4.match(anonymous_id(page))
    assert not [c for c in context.cookies() if c["name"].startswith("ajs_")]
    assert all(local(page, key) is None for key in IDENTITY_KEYS)


def test_a_python_page_without_the_snippet_applies_the_query_string_too(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    aid = unique("python-page")
    page.goto(base_url + f"/test-pages/index.html?ajs_aid={aid}")  # no snippet on this page
    build = json.loads(urllib.request.urlopen(base_url + "/static/analytics/build.json").read())
    root = base_url + "/static/analytics/"
    seen = page.evaluate(
        """async ([runtime, wheel]) => {
            const { loadPyodide } = await import(runtime + "pyodide.mjs");
            const pyodide = await loadPyodide({ indexURL: runtime, packages: [wheel] });
            return pyodide.runPython(
                "from analytics_identity import analytics\\nanalytics.user().anonymousId()");
        }""",
        [root + build["runtime"] + "/", root + build["wheel"]],
    )
    assert seen == aid and cookie(context, "ajs_anonymous_id") == aid
    assert page.evaluate("window.analytics.user().anonymousId()") == aid  # the same instance for page JS
