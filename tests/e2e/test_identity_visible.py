"""Identity you can see and carry (docs/identity.md), in Chromium: every reason of the ``identity``
event caused the way a real page causes it, ``explain()``, the cross-domain hand-off between two
sites, and sessions in the Amplitude session plugin's keys.

Two sites on one machine: ``a.one.test`` and ``b.two.test`` reach the test server
(``playwright.config.py`` maps ``*.test`` to 127.0.0.1).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from playwright.sync_api import BrowserContext, Page

from tests.documented import ROOT, fenced
from tests.e2e.helpers import load_options, local, wait_ready

IDENTITY_DOC = ROOT / "docs" / "identity.md"
#: Buffered before load: every identity and session change lands in window.changes / window.sessions.
LISTEN = """
    window.changes = []; window.sessions = [];
    analytics.on("identity", (change) => window.changes.push(change));
    analytics.on("session", (change) => window.sessions.push(change));
"""


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def start(page: Page, base_url: str, url: str, **options: Any) -> None:
    """Open ``url``, buffer the listeners and load (its calls buffered too), then wait for ready."""
    page.goto(url)
    page.evaluate(f"""() => {{ {LISTEN} analytics.load("test-key", {json.dumps(load_options(base_url, **options))}); }}""")
    wait_ready(page)


def changes(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("window.changes")


def reasons(page: Page) -> list[str]:
    return [change["reason"] for change in changes(page)]


def site(base_url: str, name: str) -> str:
    return f"http://{name}:{base_url.rsplit(':', 1)[1]}"


# -- the start's reasons ----------------------------------------------------------------------------


def test_a_first_visit_is_minted_and_the_buffered_listener_hears_it(page: Page, base_url: str) -> None:
    start(page, base_url, base_url + "/blank.html")
    [minted] = changes(page)
    assert minted["reason"] == "minted"
    assert minted["previous"] == {"anonymousId": None, "userId": None, "groupId": None}
    # As documented, an id the page has not is null, not left out (JSON.stringify drops undefined).
    shown = json.loads(page.evaluate("JSON.stringify({change: window.changes[0], explain: analytics.user().explain()})"))
    assert shown["change"]["userId"] is None and shown["change"]["previous"]["userId"] is None
    assert "userId" in shown["change"] and "userId" in shown["change"]["previous"]
    assert "value" in shown["explain"]["userId"] and "domain" in shown["explain"]["userId"]["cookie"]
    assert minted["anonymousId"] == page.evaluate("analytics.user().anonymousId()")
    assert page.evaluate("analytics.user().explain().anonymousId.source") == "minted"


def test_an_expired_cookie_is_restored_from_local_storage(page: Page, context: BrowserContext, base_url: str) -> None:
    kept = unique("kept")
    page.goto(base_url + "/blank.html")
    page.evaluate("id => localStorage.setItem('ajs_anonymous_id', JSON.stringify(id))", kept)
    start(page, base_url, base_url + "/blank.html")
    assert changes(page) == [{"anonymousId": kept, "userId": None, "groupId": None, "reason": "restored",
                              "previous": {"anonymousId": None, "userId": None, "groupId": None}}]
    explained = page.evaluate("analytics.user().explain().anonymousId")
    assert explained["source"] == "localStorage" and explained["found"]["cookie"] is None
    assert explained["stores"]["cookie"] == kept  # written back


def test_cookie_and_local_storage_disagree_the_cookie_wins_and_explain_says_so(
    page: Page, context: BrowserContext, base_url: str
) -> None:
    in_cookie, in_local = unique("cookie"), unique("local")
    page.goto(base_url + "/blank.html")
    page.evaluate("id => localStorage.setItem('ajs_anonymous_id', JSON.stringify(id))", in_local)
    context.add_cookies([{"name": "ajs_anonymous_id", "value": in_cookie, "url": base_url}])
    start(page, base_url, base_url + "/blank.html")
    [synced] = changes(page)
    assert synced["reason"] == "synced"
    assert (synced["previous"]["anonymousId"], synced["anonymousId"]) == (in_local, in_cookie)
    report = page.evaluate("analytics.user().explain()")
    explained = report["anonymousId"]
    assert explained["value"] == in_cookie and explained["source"] == "cookie"
    assert explained["found"] == {"cookie": in_cookie, "localStorage": in_local, "memory": None}
    assert explained["stores"] == {"cookie": in_cookie, "localStorage": in_cookie, "memory": in_cookie}
    assert explained["changed"]["reason"] == "synced"
    assert explained["cookie"]["domain"] is None and "host-only" in explained["cookie"]["why"]
    assert explained["cookie"]["expires"] > time.strftime("%Y-%m-%d")
    assert report["persistence"]["stores"] == ["cookie", "localStorage", "memory"]
    json.dumps(report)  # JSON-safe, to paste


def test_a_duplicate_cookie_at_two_domains_shows_both_values(page: Page, context: BrowserContext, base_url: str) -> None:
    here = site(base_url, "a.one.test")
    wide, narrow = unique("wide"), unique("narrow")
    context.add_cookies([{"name": "ajs_anonymous_id", "value": wide, "domain": ".one.test", "path": "/"},
                         {"name": "ajs_anonymous_id", "value": narrow, "url": here}])
    page.goto(here + "/blank.html")
    shown = page.evaluate("document.cookie")
    assert shown.count("ajs_anonymous_id=") == 2
    start(page, base_url, here + "/blank.html")
    explained = page.evaluate("analytics.user().explain().anonymousId")
    first, second = (part.split("=", 1)[1] for part in shown.split("; ") if part.startswith("ajs_anonymous_id="))
    assert explained["found"]["cookie"] == [first, second]  # as document.cookie lists them
    assert explained["cookie"]["domain"] == "one.test" and "probe" in explained["cookie"]["why"]
    [synced] = changes(page)
    assert synced["reason"] == "synced" and synced["anonymousId"] == first and synced["previous"]["anonymousId"] == second


def test_the_query_string_is_its_own_reason(page: Page, base_url: str) -> None:
    given, user = unique("aid"), unique("uid")
    start(page, base_url, f"{base_url}/blank.html?ajs_aid={given}&ajs_uid={user}")
    assert reasons(page) == ["minted", "query"]
    assert changes(page)[-1]["anonymousId"] == given and changes(page)[-1]["userId"] == user


# -- the page's calls ------------------------------------------------------------------------------


def test_each_call_is_told_with_its_reason_and_debug_logs_it(page: Page, base_url: str) -> None:
    start(page, base_url, base_url + "/blank.html")
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    user, chosen, optioned = unique("user"), unique("set"), unique("option")
    page.evaluate(f"""async () => {{
        analytics.debug(true);
        analytics.setAnonymousId("{chosen}");
        await analytics.track("Clicked", {{}}, {{ anonymousId: "{optioned}" }});
        await analytics.identify("{user}");
        await analytics.group("{unique('group')}");
        analytics.setAnonymousId("{optioned}");  // nothing changed: nothing told
        analytics.reset();
    }}""")
    assert reasons(page) == ["minted", "setAnonymousId", "options", "identify", "identify", "reset"]
    told = changes(page)
    assert told[2]["previous"]["anonymousId"] == chosen and told[2]["anonymousId"] == optioned
    assert told[3]["userId"] == user and told[3]["anonymousId"] == optioned  # a first user keeps the anonymousId
    assert told[5] == {"anonymousId": None, "userId": None, "groupId": None, "reason": "reset",
                       "previous": {k: told[4][k] for k in ("anonymousId", "userId", "groupId")}}
    assert any("identity changed (setAnonymousId)" in line for line in logged)
    assert any("identity changed (reset)" in line for line in logged)


def test_page_code_writing_the_cookie_is_external(page: Page, base_url: str) -> None:
    start(page, base_url, base_url + "/blank.html")
    other = unique("other")
    seen = page.evaluate(f"""() => {{
        document.cookie = "ajs_user_id={other}; path=/";
        return analytics.user().id();
    }}""")
    assert seen == other
    assert changes(page)[-1]["reason"] == "external" and changes(page)[-1]["userId"] == other


def identify_in_another_tab(page: Page, context: BrowserContext, base_url: str) -> tuple[Page, str]:
    """Load ``page``, then a second tab of the site that identifies a new user: that tab and the user."""
    start(page, base_url, base_url + "/blank.html")
    other_tab = context.new_page()
    other_tab.goto(base_url + "/blank.html")
    other_tab.evaluate(f"() => analytics.load('test-key', {json.dumps(load_options(base_url))})")
    wait_ready(other_tab)
    user = unique("user")
    other_tab.evaluate(f"() => analytics.identify('{user}')")
    return other_tab, user


def test_another_tab_s_login_is_heard_here_as_it_happens(page: Page, context: BrowserContext, base_url: str) -> None:
    """No call on this page: the other tab's localStorage write (the ``storage`` event) is enough."""
    other_tab, user = identify_in_another_tab(page, context, base_url)
    page.wait_for_function(f"window.changes.some((c) => c.reason === 'external' && c.userId === '{user}')")
    other_tab.evaluate("() => analytics.reset()")
    page.wait_for_function("window.changes.at(-1).userId == null && window.changes.at(-1).reason === 'external'")
    assert page.evaluate("analytics.user().id()") is None


def test_another_tab_identifying_is_external_here(page: Page, context: BrowserContext, base_url: str) -> None:
    _, user = identify_in_another_tab(page, context, base_url)
    assert page.evaluate("analytics.user().id()") == user
    last = changes(page)[-1]
    assert last["reason"] == "external" and last["userId"] == user and last["previous"]["userId"] is None
    assert page.evaluate("analytics.user().explain().userId.changed.reason") == "external"


def test_the_documented_examples_run(page: Page, base_url: str) -> None:
    start(page, base_url, base_url + "/blank.html")
    page.evaluate(f"() => {{ {fenced('example:identity-listener', IDENTITY_DOC)} }}")
    assert reasons(page)[-1] == "identify"
    report = page.evaluate(f"() => {{ {fenced('example:explain', IDENTITY_DOC)}; return report; }}")
    assert report["userId"]["changed"]["reason"] == "identify"


# -- cross-domain hand-off ---------------------------------------------------------------------------

CROSS = {"crossDomain": {"domains": ["one.test", "two.test"], "maxAge": 120}}


def follow_to_blog(page: Page, base_url: str, element: str, click: str) -> None:
    """On a shop page, add ``element`` leading to the blog and click ``click``; then load on the
    blog's page, which must adopt the shop's anonymousId from the hand-off (one ``linked`` change)."""
    shop, blog = site(base_url, "a.one.test"), site(base_url, "b.two.test")
    start(page, base_url, shop + "/blank.html", **CROSS)
    visitor = page.evaluate("analytics.user().anonymousId()")
    page.evaluate(f"""() => document.body.insertAdjacentHTML("beforeend", '{element.format(blog=blog)}')""")
    page.click(click)
    page.wait_for_url(f"{blog}/**")
    assert "ajs_xid=" in page.url and visitor in page.url
    page.evaluate(f"""() => {{ {LISTEN} analytics.load("test-key", {json.dumps(load_options(base_url, **CROSS))}); }}""")
    wait_ready(page)
    assert page.evaluate("analytics.user().anonymousId()") == visitor and reasons(page) == ["linked"]


def test_a_fresh_hand_off_is_adopted_and_taken_out_of_the_address(page: Page, base_url: str) -> None:
    follow_to_blog(page, base_url, '<a id="go" href="{blog}/blank.html?from=shop#top">blog</a>', "#go")
    assert page.evaluate("location.href") == site(base_url, "b.two.test") + "/blank.html?from=shop#top"
    assert page.evaluate("analytics.user().explain().anonymousId.source") == "query"


def test_a_get_form_carries_the_hand_off_too(page: Page, base_url: str) -> None:
    failures: list[str] = []
    page.on("console", lambda message: failures.append(message.text) if "hand-off failed" in message.text else None)
    follow_to_blog(page, base_url, '<form method="get" action="{blog}/blank.html"><input name="q" value="shoes">'
                                   '<button id="send">go</button></form>', "#send")
    assert page.evaluate("location.search") == "?q=shoes"
    assert failures == []  # the click on the button (not a link) went by quietly


def test_a_stale_hand_off_is_ignored_with_one_warning(page: Page, base_url: str) -> None:
    blog = site(base_url, "b.two.test")
    old = int((time.time() - 600) * 1000)
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    start(page, base_url, f"{blog}/blank.html?ajs_xid={old}.someone-else", **CROSS)
    assert page.evaluate("analytics.user().anonymousId()") != "someone-else"
    assert reasons(page) == ["minted"]
    assert page.evaluate("location.search") == ""
    assert len([w for w in warnings if "stale ajs_xid" in w]) == 1


def test_the_classic_ajs_aid_still_works_with_cross_domain_on(page: Page, base_url: str) -> None:
    given = unique("aid")
    start(page, base_url, f"{base_url}/blank.html?ajs_aid={given}", **CROSS)
    assert page.evaluate("analytics.user().anonymousId()") == given and reasons(page)[-1] == "query"


# -- sessions ----------------------------------------------------------------------------------------

SESSION = {"session": {"timeout": 30 * 60 * 1000}}


def plugin_keys(page: Page) -> tuple[str | None, str | None]:
    return local(page, "analytics_session_id"), local(page, "analytics_session_id.last_access")


def test_two_tabs_share_one_session_in_the_plugins_keys(page: Page, context: BrowserContext, base_url: str) -> None:
    start(page, base_url, base_url + "/blank.html", **SESSION)
    session = page.evaluate("analytics.user().sessionId()")
    [began] = page.evaluate("window.sessions")
    assert began == {"sessionId": session, "previous": None, "reason": "new"}
    event = page.evaluate("async () => (await analytics.track('Viewed')).event")
    assert event["integrations"]["Actions Amplitude"] == {"session_id": session}
    stored, access = plugin_keys(page)
    assert stored == str(session) and access is not None and access.isdigit() and int(access) >= session
    other_tab = context.new_page()
    start(other_tab, base_url, base_url + "/blank.html", **SESSION)
    assert other_tab.evaluate("analytics.user().sessionId()") == session
    assert other_tab.evaluate("window.sessions") == []


def test_a_timeout_and_a_reset_start_new_sessions(page: Page, base_url: str) -> None:
    start(page, base_url, base_url + "/blank.html", **SESSION)
    first = page.evaluate("analytics.user().sessionId()")
    later = first + 31 * 60 * 1000
    page.clock.set_fixed_time(later / 1000)
    event = page.evaluate("async () => (await analytics.track('Back')).event")
    second = event["integrations"]["Actions Amplitude"]["session_id"]
    assert second == later
    assert page.evaluate("window.sessions")[-1] == {"sessionId": later, "previous": first, "reason": "timeout"}
    assert plugin_keys(page) == (str(later), str(later))
    page.clock.set_fixed_time((later + 5000) / 1000)
    page.evaluate("analytics.reset()")
    assert page.evaluate("window.sessions")[-1] == {"sessionId": later + 5000, "previous": later, "reason": "reset"}
    assert plugin_keys(page) == (str(later + 5000), str(later + 5000))
    assert page.evaluate("analytics.user().sessionId()") == later + 5000


def test_the_documented_session_and_cross_domain_examples_run(page: Page, context: BrowserContext,
                                                              base_url: str) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate(f"() => {{ {fenced('example:session', IDENTITY_DOC)} }}")
    wait_ready(page)
    session = page.evaluate("analytics.user().sessionId()")
    assert plugin_keys(page)[0] == str(session)
    shop = context.new_page()
    shop.goto(site(base_url, "a.one.test") + "/blank.html")
    shop.evaluate(f"() => {{ {fenced('example:cross-domain', IDENTITY_DOC)} }}")
    wait_ready(shop)
    shop.evaluate("""() => {
        document.body.insertAdjacentHTML("beforeend", '<a id="go" href="https://shop.example.com/cart?item=1">cart</a>');
        document.getElementById("go").addEventListener("click", (event) => event.preventDefault());
    }""")
    shop.click("#go")
    href = shop.evaluate("document.getElementById('go').href")
    visitor = shop.evaluate("analytics.user().anonymousId()")
    assert href.startswith("https://shop.example.com/cart?item=1&ajs_xid=") and href.endswith("." + visitor)
