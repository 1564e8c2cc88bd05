"""One visitor for the browser and the Python server, on real Starlette and Flask sites.

Each site runs in its own process (uvicorn, waitress) with the identity
middleware and serves the build itself; its page loads the snippet, its API
sends a server-side event through Segment's Python library. The collector
relays everything to a stand-in upstream that fails first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Response

from analytics_identity.server.process import ChildServer, ServerProcess
from tests.conftest import ROOT, config
from tests.e2e.faults import stored
from tests.e2e.helpers import wait_ready
from tests.upstream import Upstream

pytestmark = pytest.mark.e2e

UUID = "39ee7ea5-b6d8-4174-b612-04e1ef3fa952"
COMMANDS = {
    "starlette": [sys.executable, "-m", "uvicorn", "tests.e2e.sites.starlette_site:app", "--host", config.HOST,
                  "--port", "{port}", "--log-level", "warning"],
    "flask": [sys.executable, "-m", "waitress", f"--listen={config.HOST}:{{port}}", "tests.e2e.sites.flask_site:app"],
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    stand_in = Upstream(plan=["500", "hang"], hang_s=3).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory, upstream: Upstream) -> Iterator[ServerProcess]:
    db = tmp_path_factory.mktemp("server-identity") / "events.sqlite3"
    with ServerProcess(ROOT / config.STATIC_DIR, db, quiet=True,
                       options=["--forward", upstream.url, "--forward-timeout", "1"]) as server:
        yield server


@pytest.fixture(scope="module", params=sorted(COMMANDS))
def site(request: pytest.FixtureRequest, collector: ServerProcess) -> Iterator[str]:
    """The site's address under a multi-label name (``*.example.test`` reaches 127.0.0.1)."""
    env = {"SITE_STATIC": str(ROOT / config.STATIC_DIR), "SITE_COLLECTOR": collector.url, "PYTHONPATH": str(ROOT)}
    with ChildServer(COMMANDS[request.param], host=config.HOST, env=env, quiet=True) as server:
        yield f"http://shop.example.test:{server.port}"


#: Records every ``document.cookie`` assignment of the page's scripts in ``window.cookieWrites``.
COOKIE_SPY = """
    const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
    window.cookieWrites = [];
    Object.defineProperty(Document.prototype, "cookie", {
        configurable: true,
        get() { return cookie.get.call(this); },
        set(value) { window.cookieWrites.push(String(value)); cookie.set.call(this, value); },
    });
"""


def anonymous_id_cookies(response: Response) -> list[str]:
    return [h["value"] for h in response.headers_array()
            if h["name"].lower() == "set-cookie" and h["value"].startswith("ajs_anonymous_id=")]


def browser_identity(page: Page) -> dict[str, Any]:
    return page.evaluate("""() => ({anonymous_id: analytics.user().anonymousId(), user_id: analytics.user().id(),
                                    group_id: analytics.group().id()})""")


def server_identity(page: Page) -> dict[str, Any]:
    return page.evaluate("async () => (await fetch('/api/identity')).json()")


def test_the_first_response_the_browser_and_the_events_share_one_anonymous_id(
        site: str, collector: ServerProcess, upstream: Upstream, context: BrowserContext, page: Page) -> None:
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.add_init_script(COOKIE_SPY)
    document = page.goto(site + "/")
    assert document is not None
    (set_cookie,) = anonymous_id_cookies(document)
    minted = set_cookie.split(";", 1)[0].split("=", 1)[1]
    assert "; domain=example.test; SameSite=Lax" in set_cookie
    assert page.text_content("#server-anonymous-id") == minted  # the server-rendered page

    wait_ready(page)
    assert browser_identity(page)["anonymous_id"] == minted  # the browser core adopted it
    assert server_identity(page) == {"anonymous_id": minted, "user_id": None, "group_id": None}
    assert page.evaluate("async () => (await fetch('/api/purchase', {method: 'POST'})).ok")
    events = stored(page, collector.url, minted, 2)
    assert sorted((e["type"], e.get("event"), e["writeKey"]) for e in events) == [
        ("page", None, "site-key"), ("track", "Order Completed", "server-key")]
    assert {e["anonymousId"] for e in events} == {minted}

    # One cookie, the server's, now also in localStorage: nothing minted a second id, and with
    # cookie.renew false no script wrote it (Safari would cap a script-written cookie at 7 days).
    cookies = [(c["value"], c["domain"]) for c in context.cookies() if c["name"] == "ajs_anonymous_id"]
    assert cookies == [(minted, ".example.test")]
    assert page.evaluate("cookieWrites.filter((c) => c.startsWith('ajs_anonymous_id='))") == []
    assert page.evaluate("localStorage.getItem('ajs_anonymous_id')") == json.dumps(minted)

    # Only the document set the cookie: not the build's assets, the site's API or the collector.
    others = [r.url for r in responses if r is not document and anonymous_id_cookies(r)]
    assert others == []
    assert any("/static/analytics/" in r.url and r.url.endswith(".wasm") for r in responses)
    assert any(r.url.endswith("/api/identity") for r in responses)
    assert any(r.url.startswith(collector.url + "/v1/") for r in responses)

    # The next page: the same id, re-set by the server, still one cookie.
    again = page.reload()
    assert again is not None and anonymous_id_cookies(again)[0].startswith(f"ajs_anonymous_id={minted};")
    wait_ready(page)
    assert browser_identity(page)["anonymous_id"] == minted
    assert [c["value"] for c in context.cookies() if c["name"] == "ajs_anonymous_id"] == [minted]

    # The upstream failed and hung first; it still got each of these events exactly once.
    deliveries = upstream.wait_for({e["messageId"] for e in events})
    assert [deliveries[e["messageId"]] for e in events] == [1, 1]


RETURNING = {
    "classic": {"ajs_anonymous_id": f"%22{UUID}%22", "ajs_user_id": "%22u-1%22", "ajs_group_id": "%22g-1%22"},
    "analytics-next": {"ajs_anonymous_id": UUID, "ajs_user_id": "u-1", "ajs_group_id": "g-1"},
    "legacy ajs_user": {"ajs_anonymous_id": UUID, "ajs_group_id": "g-1",
                        "ajs_user": "%7B%22id%22%3A%22u-1%22%2C%22traits%22%3A%7B%7D%7D"},
}


@pytest.mark.parametrize("cookies", RETURNING.values(), ids=RETURNING.keys())
def test_a_returning_visitor_is_read_the_same_on_both_sides(
        site: str, context: BrowserContext, page: Page, cookies: dict[str, str]) -> None:
    context.add_cookies([{"name": name, "value": value, "domain": ".example.test", "path": "/"}
                         for name, value in cookies.items()])
    document = page.goto(site + "/")
    assert document is not None
    assert anonymous_id_cookies(document)[0].startswith(f"ajs_anonymous_id={UUID};")  # re-set in the raw format
    wait_ready(page)
    expected = {"anonymous_id": UUID, "user_id": "u-1", "group_id": "g-1"}
    assert browser_identity(page) == expected
    assert server_identity(page) == expected
    assert [c["value"] for c in context.cookies() if c["name"] == "ajs_anonymous_id"] == [UUID]


#: Posts a form the way a site's login or logout button does (the view answers with a redirect to ``/``).
SUBMIT = """([action, fields]) => {
    const form = Object.assign(document.createElement("form"), {method: "post", action});
    for (const [name, value] of Object.entries(fields)) form.append(Object.assign(document.createElement("input"), {name, value}));
    document.body.append(form);
    form.submit();
}"""

#: Everything of ours the page keeps (the ids' values aside): what ``analytics.reset()`` leaves is compared with it.
KEPT = """() => {
    const user = analytics.user(), group = analytics.group();
    const ours = (names) => names.filter((n) => n.startsWith("ajs_") && !n.includes(":")).sort();
    return {userId: user.id(), traits: user.traits(), groupId: group.id(), groupTraits: group.traits(),
            anonymousId: user.anonymousId(),
            localStorage: ours(Object.keys(localStorage)),
            cookies: ours(document.cookie.split("; ").map((c) => c.split("=")[0]))};
}"""


def submit(page: Page, action: str, **fields: str) -> None:
    with page.expect_navigation():
        page.evaluate(SUBMIT, [action, fields])
    wait_ready(page)


def test_a_login_on_the_server_is_the_page_s_user_on_its_next_load(
        site: str, collector: ServerProcess, context: BrowserContext, page: Page) -> None:
    page.goto(site + "/")
    wait_ready(page)
    page.evaluate("analytics.identify('visitor_1', {name: 'Jane'})")
    before = page.evaluate(KEPT)

    submit(page, "/login", user="user_123", plan="pro")
    after = page.evaluate(KEPT)
    server = server_identity(page)
    # A different user: the page's own rules give a fresh anonymousId and replace the traits.
    assert after["userId"] == server["user_id"] == "user_123"
    assert after["traits"] == {"plan": "pro"}
    assert after["anonymousId"] == server["anonymous_id"] == page.text_content("#server-anonymous-id")
    assert after["anonymousId"] != before["anonymousId"]
    assert after["cookies"] == ["ajs_anonymous_id", "ajs_user_id"]  # the server's message was applied, then removed
    explained = page.evaluate("analytics.user().explain()")
    assert explained["userId"]["source"] == explained["anonymousId"]["source"] == "server"

    page.evaluate("analytics.track('Plan Upgraded')")
    tracked = [e for e in stored(page, collector.url, after["anonymousId"], 2) if e["type"] == "track"]
    assert [(e["event"], e["userId"]) for e in tracked] == [("Plan Upgraded", "user_123")]

    # The same user again: the anonymousId stays and the traits merge, as analytics.identify does.
    submit(page, "/login", user="user_123", plan="team")
    again = page.evaluate(KEPT)
    assert (again["userId"], again["anonymousId"], again["traits"]) == ("user_123", after["anonymousId"], {"plan": "team"})


def test_a_logout_on_the_server_leaves_the_page_as_analytics_reset_does(
        site: str, context: BrowserContext, page: Page) -> None:
    page.goto(site + "/")
    wait_ready(page)
    submit(page, "/login", user="user_123", plan="pro")
    page.evaluate("analytics.group('g-1', {seats: 3})")
    logged_in = page.evaluate(KEPT)

    submit(page, "/logout")
    by_server = page.evaluate(KEPT)
    assert by_server["anonymousId"] == server_identity(page)["anonymous_id"] != logged_in["anonymousId"]

    submit(page, "/login", user="user_123", plan="pro")
    page.evaluate("analytics.group('g-1', {seats: 3}); analytics.reset()")
    by_page = page.evaluate(KEPT)
    assert by_page["anonymousId"] != logged_in["anonymousId"]

    same = {key: value for key, value in by_server.items() if key != "anonymousId"}
    assert same == {key: value for key, value in by_page.items() if key != "anonymousId"}
    assert same == {"userId": None, "traits": {}, "groupId": None, "groupTraits": {},
                    "localStorage": ["ajs_anonymous_id"], "cookies": ["ajs_anonymous_id"]}


def test_the_site_serves_the_build_compressed_and_cacheable(site: str, page: Page) -> None:
    """One line of the site serves the folder: a first visit moves its compressed twins, a repeat visit revalidates."""
    first: list[Response] = []
    page.on("response", lambda response: first.append(response) if "/static/analytics/" in response.url else None)
    page.goto(site + "/")
    wait_ready(page)
    moved = sum(r.request.sizes()["responseBodySize"] + r.request.sizes()["responseHeadersSize"] for r in first)
    plain = sum((ROOT / config.STATIC_DIR / r.url.split("/static/analytics/", 1)[1]).stat().st_size for r in first)
    print(f"first visit through the site: {len(first)} files, {moved / 1e6:.2f} MB moved, {plain / 1e6:.2f} MB as files")
    by_name = {r.url.rsplit("/", 1)[1]: r for r in first}
    large = [name for name, r in by_name.items()
             if (ROOT / config.STATIC_DIR / r.url.split("/static/analytics/", 1)[1]).stat().st_size > 20_000]
    assert "pyodide.asm.wasm" in large
    assert {name: by_name[name].header_value("content-encoding") in ("br", "gzip") for name in large} == dict.fromkeys(
        large, True)  # every large file went compressed
    assert moved < plain / 2
    wasm = by_name["pyodide.asm.wasm"]
    assert wasm.header_value("content-type") == "application/wasm"
    assert wasm.header_value("content-encoding") in ("br", "gzip")
    assert wasm.header_value("cache-control") == "public, max-age=31536000, immutable"
    assert by_name["snippet.js"].header_value("cache-control") == "no-cache"
    assert by_name["loader.mjs"].header_value("etag") or by_name["loader.mjs"].header_value("last-modified")

    again: list[Response] = []
    page.on("response", lambda response: again.append(response) if "/static/analytics/" in response.url else None)
    first.clear()
    page.reload()
    wait_ready(page)
    assert not any(r.url.endswith(".wasm") and not r.from_service_worker and r.status == 200
                   and r.request.sizes()["responseBodySize"] > 0 for r in again)  # the runtime came from the cache
