"""A site migrating from analytics-next, in Chromium: every call works as there, or says why.

Contexts with analytics-next's members (also for a refused call), chaining,
``off(event)``, ``VERSION``/``timeout``/``flush``/``debug``, ``user()``'s
``logout``/``reset``/``load``, ``trackLink``/``trackForm`` on real links and
forms (navigation held, then followed; the event reaches the collector),
``pageview``, the refused methods and options (one warning each, by name),
``initialPageview`` and ``integrations["Segment.io"].deliveryStrategy``.
"""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from tests.e2e.engines.fixtures import SAME_PYTHON_IN_EVERY_ENGINE, WEBKIT_SEES_NO_REQUEST_DETAILS
from tests.e2e.helpers import boot, load_options, wait_ready
from tests.e2e.test_delivery import record, wait_collected
from tests.e2e.watch import clear_warnings, errors, warnings, watch

LINKS = "/test-pages/links.html"


def start(page: Page, context: BrowserContext, base_url: str, path: str = "/blank.html", **options: object) -> str:
    """Boot on ``path`` with a fresh anonymousId; returns it."""
    watch(context)
    boot(page, base_url, options=load_options(base_url, **options), path=path)
    return page.evaluate(f"analytics.setAnonymousId('migrating-{uuid.uuid4().hex[:8]}')")


@SAME_PYTHON_IN_EVERY_ENGINE
def test_event_calls_resolve_to_analytics_next_contexts_also_when_refused(page: Page, context: BrowserContext,
                                                                         base_url: str) -> None:
    start(page, context, base_url)
    seen = page.evaluate("""async () => {
        let fromCallback = null;
        const ctx = await analytics.track("Clicked", {a: 1}, {}, (c) => { fromCallback = c; });
        ctx.logger.log("info", "seen", {n: 1});
        ctx.stats.increment("clicks");
        const refused = await analytics.track();
        const bigint = await analytics.identify(10n);
        return {
            event: ctx.event.event, id: ctx.id, sameId: ctx.id === ctx.id, idIsNotMessageId: ctx.id !== ctx.event.messageId,
            failed: ctx.failedDelivery() === undefined, json: JSON.parse(JSON.stringify(ctx)),
            sameObject: fromCallback === ctx, keys: Object.keys(ctx),
            refused: [refused.event.type, refused.failedDelivery().reason, typeof refused.toJSON],
            bigint: [bigint.event.type, typeof bigint.failedDelivery().reason],
        };
    }""")
    assert seen["event"] == "Clicked" and seen["sameId"] and seen["idIsNotMessageId"] and seen["failed"]
    assert seen["json"]["id"] == seen["id"] and seen["json"]["event"]["event"] == "Clicked"
    assert seen["json"]["logs"][0]["message"] == "seen" and seen["json"]["metrics"][0]["metric"] == "clicks"
    assert seen["sameObject"] and seen["keys"] == ["event"]
    assert seen["refused"][0] == "track" and "refused" in seen["refused"][1] and seen["refused"][2] == "function"
    assert seen["bigint"] == ["identify", "string"]
    assert len(warnings(page)) == 2 and errors(page) == []


@SAME_PYTHON_IN_EVERY_ENGINE
def test_chaining_off_version_timeout_flush_and_debug(page: Page, context: BrowserContext, base_url: str) -> None:
    start(page, context, base_url)
    logged: list[str] = []
    page.on("console", lambda m: logged.append(m.text) if m.type == "log" else None)
    result = page.evaluate("""async () => {
        const heard = [];
        const chained = analytics.on("track", (n) => heard.push("a:" + n)).once("track", (n) => heard.push("b:" + n))
            .on("page", () => heard.push("page"));
        analytics.off("track");
        await analytics.track("Nobody hears this");
        await analytics.page();
        analytics.debug(true);
        await analytics.track("Logged");
        analytics.debug(false);
        await analytics.track("Not logged");
        return {chained: chained === analytics, heard, version: analytics.VERSION,
                timeout: analytics.timeout(120), flush: await analytics.flush(),
                flushIsPromise: analytics.flush() instanceof Promise,
                middleware: (await analytics.addSourceMiddleware(({payload, next}) => next(payload))) === analytics};
    }""")
    assert result["chained"] and result["heard"] == ["page"] and result["middleware"]
    assert result["version"] and result["timeout"] is None and result["flushIsPromise"]
    ours = [line for line in logged if line.startswith("analytics-identity:")]
    assert len(ours) == 1 and "Logged" in ours[0]
    assert errors(page) == []


@SAME_PYTHON_IN_EVERY_ENGINE
def test_user_and_group_logout_reset_and_load_from_javascript(page: Page, context: BrowserContext,
                                                              base_url: str) -> None:
    start(page, context, base_url)
    result = page.evaluate("""() => {
        analytics.identify("u-logout", {plan: "pro"});
        analytics.group("g-reset", {seats: 3});
        const before = analytics.user().anonymousId();
        const loaded = analytics.user().load();
        analytics.user().logout();
        analytics.group().reset();
        return {loadedIsUser: loaded.id === analytics.user().id, id: analytics.user().id(),
                traits: analytics.user().traits(), fresh: analytics.user().anonymousId() !== before,
                group: analytics.group().id(), cookies: document.cookie};
    }""")
    assert result["loadedIsUser"] and result["id"] is None and result["traits"] == {} and result["fresh"]
    assert result["group"] is None and "ajs_user_id" not in result["cookies"] and "ajs_group_id" not in result["cookies"]
    assert errors(page) == [] and warnings(page) == []


def test_track_link_holds_the_navigation_then_follows_it_and_the_event_arrives(page: Page, context: BrowserContext,
                                                                               base_url: str) -> None:
    anonymous = start(page, context, base_url, path=LINKS)
    page.evaluate("""() => analytics.trackLink(document.querySelectorAll("nav a, #no-href"),
                                               (el) => "Clicked " + el.id, {placement: "nav"})""")
    with context.expect_page() as opened:
        page.click("#new-tab")  # a new tab: tracked, this page stays
    opened.value.close()
    page.click("#no-href")  # no href: tracked only
    assert page.url.endswith(LINKS)
    page.click("#same-tab")
    page.wait_for_url("**/test-pages/index.html?from=link")
    events = wait_collected(base_url, 3, anonymousId=anonymous)
    assert sorted(e["event"] for e in events) == ["Clicked new-tab", "Clicked no-href", "Clicked same-tab"]
    assert all(e["properties"] == {"placement": "nav"} for e in events)


def test_track_form_submits_the_form_after_the_event(page: Page, context: BrowserContext, base_url: str) -> None:
    anonymous = start(page, context, base_url, path=LINKS)
    page.evaluate("""() => { analytics.timeout(50);
                             analytics.trackForm(document.getElementById("signup"), "Signed Up", (f) => ({plan: f.plan.value})); }""")
    page.click("input[type=submit]")
    page.wait_for_url("**/test-pages/index.html?plan=pro*")
    [event] = wait_collected(base_url, 1, anonymousId=anonymous)
    assert event["event"] == "Signed Up" and event["properties"] == {"plan": "pro"}


@SAME_PYTHON_IN_EVERY_ENGINE
def test_pageview_and_track_link_called_before_ready(page: Page, context: BrowserContext, base_url: str) -> None:
    watch(context)
    page.goto(base_url + LINKS)
    anonymous = f"buffered-{uuid.uuid4().hex[:8]}"
    page.evaluate(f"""() => {{
        analytics.setAnonymousId("{anonymous}");
        analytics.trackClick(document.getElementById("no-href"), "Clicked early");
        analytics.pageview("/virtual/checkout");
        analytics.addIntegrationMiddleware(() => {{}});  // stubbed: no TypeError before load
        analytics.load("test-key", {json.dumps(load_options(base_url))});
    }}""")
    wait_ready(page)
    page.click("#no-href")
    events = wait_collected(base_url, 2, anonymousId=anonymous)
    assert sorted((e["type"], e.get("event") or e["properties"]["path"]) for e in events) == [
        ("page", "/virtual/checkout"), ("track", "Clicked early")]
    assert [w for w in warnings(page) if "addIntegrationMiddleware" in w] and errors(page) == []


@SAME_PYTHON_IN_EVERY_ENGINE
def test_refused_methods_warn_once_each_by_name_and_chains_keep_running(page: Page, context: BrowserContext,
                                                                        base_url: str) -> None:
    start(page, context, base_url)
    clear_warnings(page)
    result = page.evaluate("""async () => {
        const plugin = {name: "P", type: "enrichment", version: "1", isLoaded: () => true, load: async () => {}};
        const registered = await analytics.register(plugin);
        await analytics.register(plugin);
        await analytics.deregister("P");
        const destination = await analytics.addDestinationMiddleware("GA", ({payload, next}) => next(payload));
        analytics.addIntegrationMiddleware(() => {});
        analytics.log("x");
        return {registered: typeof registered.failedDelivery().reason, system: registered.event,
                destination: destination === analytics};
    }""")
    # analytics-next's register() resolves to its Context.system(), which is no event call's.
    assert result == {"registered": "string", "system": {"type": "track", "event": "system"}, "destination": True}
    said = warnings(page)
    for name in ("register", "deregister", "addDestinationMiddleware", "addIntegrationMiddleware", "log"):
        assert len([w for w in said if f"analytics.{name}() is not supported: " in w]) == 1, (name, said)
    assert len(said) == 5 and errors(page) == []


@WEBKIT_SEES_NO_REQUEST_DETAILS
def test_load_options_refused_by_name_and_the_ones_that_behave(page: Page, context: BrowserContext,
                                                               base_url: str) -> None:
    requests = record(page)
    user = f"classic-user-{uuid.uuid4().hex[:8]}"  # the session's collector hears every engine's run
    context.add_cookies([{"name": "legacy_user", "url": base_url,
                          "value": f"%7B%22id%22%3A%22{user}%22%2C%22traits%22%3A%7B%22plan%22%3A%22gold%22%7D%7D"}])
    watch(context)
    host = base_url.split("://", 1)[1]
    options = {
        "integrations": {"Segment.io": {"apiHost": host + "/v1", "protocol": "http",
                                        "deliveryStrategy": {"strategy": "batching", "config": {"size": 2}}}},
        "initialPageview": True, "retryQueue": False, "obfuscate": True, "highEntropyValuesClientHints": ["model"],
        "globalAnalyticsKey": "segment", "user": {"cookie": {"oldKey": "legacy_user"}},
    }
    boot(page, base_url, options=options)
    said = warnings(page)
    for name in ("retryQueue", "obfuscate", "highEntropyValuesClientHints", "globalAnalyticsKey"):
        assert len([w for w in said if f"load option {name} is not supported" in w]) == 1, (name, said)
    assert page.evaluate("[analytics.user().id(), analytics.user().traits()]") == [user, {"plan": "gold"}]
    page.evaluate("analytics.track('Second of the batch')")
    [initial, tracked] = wait_collected(base_url, 2, userId=user)
    assert (initial["type"], tracked["event"]) == ("page", "Second of the batch")
    page.wait_for_timeout(100)  # let Playwright deliver the request events
    assert {r.url.rsplit("/", 1)[1] for r in requests} == {"b"}
    assert errors(page) == []


@SAME_PYTHON_IN_EVERY_ENGINE
def test_a_console_warning_names_each_unknown_option(page: Page, context: BrowserContext, base_url: str) -> None:
    messages: list[ConsoleMessage] = []
    page.on("console", lambda message: messages.append(message))
    start(page, context, base_url, intergrations={})
    assert any("unknown load option(s) intergrations ignored" in m.text for m in messages)
