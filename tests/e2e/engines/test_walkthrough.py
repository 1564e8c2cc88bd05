"""The identity walk-through of README and test_foundation.py, in WebKit and in Firefox.

The same snippet, build and collector as the Chromium tests, with each
engine's real cookies, localStorage and Cache Storage: the first visit (the
loader's cold path: the runtime prefetched into Blobs, the wasm compiled
from one; with ``loadMode: "immediate"``, Pyodide's own fetches), identify
and track as the collector receives them, a reload (the warm path: the
start-up state a worker saved in Cache Storage, restored), and reset. A
warning of the loader on the console fails a test too: a boot that fell
back to another path would otherwise go unnoticed.
"""

from __future__ import annotations

import json

from tests.conftest import config
from tests.e2e.engines.engine import Engine
from tests.e2e.helpers import load_options
from tests.e2e.test_foundation import UUID4
from tests.e2e.test_identity_examples import events

PAGE = "/blank.html"

#: How long the core's cookies last as it writes them (``cookie.maxage``'s default).
COOKIE_DAYS = 365


def lasts(engine: Engine, name: str, days: float) -> bool:
    """The cookie expires in ``days``, give or take a minute: a browser reports expiries in whole
    seconds, rounded either way, and the page's clock is read after the cookie was set."""
    return days - 1 < engine.days_left(name) <= days + 1 / 1440

#: Keeps what the page logs as a warning or error (the loader's own start with
#: "analytics-identity:"), to be read back with COMPLAINTS.
WATCH_CONSOLE = """
    window.consoleMessages = [];
    for (const level of ["warn", "error"]) {
        const log = console[level];
        console[level] = (...args) => { consoleMessages.push(args.join(" ")); log.apply(console, args); };
    }
"""
COMPLAINTS = "consoleMessages.filter((message) => message.includes('analytics-identity'))"

#: The loader's mark of a boot restored from the saved start-up state.
RESTORED = "performance.getEntriesByName('analytics-identity:restored').length === 1"

#: The saved start-up state is whole once its snapshot is stored (the worker stores it last).
SNAPSHOT_SAVED = """caches.open("analytics-identity").then((cache) => cache.keys())
    .then((keys) => keys.some((request) => new URL(request.url).pathname.endsWith("/snapshot")))"""


def boot(engine: Engine, base_url: str, before: str = "", **options: str) -> None:
    """On the page open, call load (then any calls buffered before ready) and wait until ready."""
    engine.execute(f"{WATCH_CONSOLE} analytics.load('test-key', {json.dumps(load_options(base_url, **options))});"
                   f" {before}")
    engine.wait_for("window.analytics.initialized === true", config.BOOT_TIMEOUT_MS / 1000)


def first_visit(engine: Engine, base_url: str, before: str = "", **options: str) -> str:
    """A visitor the browser has never seen: no cookies, localStorage or saved state; the minted anonymousId."""
    engine.goto(base_url + PAGE)
    engine.clear_cookies()
    engine.execute("localStorage.clear(); await caches.delete('analytics-identity');")
    engine.reload()
    boot(engine, base_url, before, **options)
    return engine.run("analytics.user().anonymousId()")


def stored(engine: Engine, name: str) -> tuple[str | None, object]:
    """A name's cookie value and localStorage copy (decoded from JSON)."""
    cookie = engine.cookie(name)
    copy = engine.run(f"localStorage.getItem('{name}')")
    return (cookie and cookie["value"]), (None if copy is None else json.loads(copy))


def test_the_snippet_loads_replays_buffered_calls_and_mints_one_anonymous_id(engine: Engine, base_url: str) -> None:
    minted = first_visit(engine, base_url, before="""
        window.order = [];
        analytics.ready(() => order.push("ready:" + analytics.user().anonymousId()));
        analytics.track("Buffered before ready", {engine: "%s"}, () => order.push("track"));
    """ % engine.name)
    assert UUID4.match(minted)
    assert stored(engine, "ajs_anonymous_id") == (minted, minted)
    engine.wait_for("order.length === 2", config.ACTION_TIMEOUT_MS / 1000)
    assert engine.run("order") == ["track", f"ready:{minted}"]  # replayed in order, ready last
    [event] = events(base_url, 1, anonymousId=minted)
    assert (event["type"], event["event"], event["properties"]) == ("track", "Buffered before ready",
                                                                     {"engine": engine.name})
    assert event["userId"] is None
    cookie = engine.cookie("ajs_anonymous_id")
    assert cookie and (cookie["domain"], cookie["path"], cookie["sameSite"]) == ("127.0.0.1", "/", "Lax")
    days = engine.script_cookie_days or COOKIE_DAYS  # Safari's cap on a cookie written from script
    assert lasts(engine, "ajs_anonymous_id", days)
    assert not engine.run(RESTORED)  # a first visit boots from the runtime's files
    assert engine.run(COMPLAINTS) == []


def test_load_mode_immediate_boots_at_once_from_the_runtime_files(engine: Engine, base_url: str) -> None:
    """The other cold path: no prefetch into Blobs, Pyodide fetches and compiles the wasm itself."""
    minted = first_visit(engine, base_url, before="analytics.page();", loadMode="immediate")
    assert UUID4.match(minted) and stored(engine, "ajs_anonymous_id") == (minted, minted)
    [event] = events(base_url, 1, anonymousId=minted)
    assert (event["type"], event["context"]["page"]["path"]) == ("page", PAGE)
    assert not engine.run(RESTORED)
    assert engine.run(COMPLAINTS) == []


def test_identify_sets_the_user_cookie_and_traits_and_track_carries_both_ids(engine: Engine, base_url: str) -> None:
    anonymous = first_visit(engine, base_url)
    engine.execute('await analytics.identify("user_123", { name: "Jane Kim" });')
    engine.execute('await analytics.track("Clicked Email", { emailCampaign: "First Touch" });')
    assert stored(engine, "ajs_user_id") == ("user_123", "user_123")
    assert engine.run("localStorage.getItem('ajs_user_traits')") == '{"name":"Jane Kim"}'
    assert engine.run("[analytics.user().id(), analytics.user().traits()]") == ["user_123", {"name": "Jane Kim"}]
    assert engine.run("analytics.user().anonymousId()") == anonymous  # identify keeps the visitor
    identify, track = events(base_url, 2, anonymousId=anonymous)
    assert (identify["type"], identify["userId"], identify["traits"]) == ("identify", "user_123", {"name": "Jane Kim"})
    assert (track["type"], track["event"], track["userId"]) == ("track", "Clicked Email", "user_123")
    assert track["properties"] == {"emailCampaign": "First Touch"}
    assert engine.run(COMPLAINTS) == []


def test_a_reload_restores_the_saved_start_up_state_and_keeps_the_ids(engine: Engine, base_url: str) -> None:
    anonymous = first_visit(engine, base_url)
    engine.execute('await analytics.identify("user_123", { name: "Jane Kim" });')
    engine.wait_for(SNAPSHOT_SAVED, config.BOOT_TIMEOUT_MS / 1000)
    engine.reload()
    boot(engine, base_url)
    assert engine.run(RESTORED)  # the warm path ran, and did not fall back
    assert engine.run("[analytics.user().anonymousId(), analytics.user().id(), analytics.user().traits()]") == [
        anonymous, "user_123", {"name": "Jane Kim"}]
    assert stored(engine, "ajs_anonymous_id") == (anonymous, anonymous)
    engine.execute('await analytics.track("After reload");')
    [*_, track] = events(base_url, 2, anonymousId=anonymous)
    assert (track["event"], track["userId"]) == ("After reload", "user_123")
    assert engine.run(COMPLAINTS) == []


def test_reset_mints_a_new_anonymous_id_and_forgets_the_user(engine: Engine, base_url: str) -> None:
    before = first_visit(engine, base_url)
    engine.execute('await analytics.identify("user_123", { name: "Jane Kim" });')
    engine.execute("analytics.reset();")
    assert stored(engine, "ajs_user_id") == (None, None)
    assert engine.run("localStorage.getItem('ajs_user_traits')") is None
    after = engine.run("analytics.user().anonymousId()")
    assert after != before and UUID4.match(after)
    assert stored(engine, "ajs_anonymous_id") == (after, after)
    engine.execute('await analytics.track("After reset");')
    [track] = events(base_url, 1, anonymousId=after)
    assert (track["event"], track["userId"]) == ("After reset", None)
    engine.reload()
    boot(engine, base_url)
    assert engine.run("[analytics.user().anonymousId(), analytics.user().id()]") == [after, None]
    assert engine.run(COMPLAINTS) == []
