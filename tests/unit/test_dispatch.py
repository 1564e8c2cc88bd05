"""Calls from page JavaScript, in CPython: dispatch by the methods table, the snippet's replay, page pinning."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from analytics_identity.bridge.dispatch import Dispatcher
from analytics_identity.bridge.handover import PREFIX
from analytics_identity.bridge.methods import ACCESSORS, BUFFERED_PAGE, METHODS
from analytics_identity.host import MemoryHost, PageInfo
from analytics_identity.tooling.build import project_root
from analytics_identity.tooling.page_api import render
from tests.unit.identity_hosts import host, page

WEB = project_root() / "web"


class PlainCaller:
    """Results as they are; a promise is ``("promise", value)``; a deferred one is a list its resolver fills."""

    null = None
    instance = "the instance"

    @staticmethod
    def value(value: Any) -> Any:
        return value

    @staticmethod
    def promise(value: Any) -> Any:
        return ("promise", value)

    @staticmethod
    def deferred() -> tuple[Any, Callable[[Any], None]]:
        box: list[Any] = []
        return box, box.append


def dispatcher(on: MemoryHost | None = None) -> Dispatcher:
    return Dispatcher(page(on or host()), PlainCaller())


def test_event_calls_resolve_to_their_context_and_listeners_chain() -> None:
    calls = dispatcher()
    kind, context = calls.call("track", ["Clicked", {"a": 1}])
    assert kind == "promise" and context["event"]["event"] == "Clicked"
    assert calls.call("ready", []) == ("promise", None)
    assert calls.call("on", ["track", lambda *args: None]) == "the instance"
    assert calls.call("setAnonymousId", ["anon-1"]) == "anon-1"
    assert calls.accessor("user", "anonymousId", []) == "anon-1"
    assert calls.accessor("user", "id", ["u1"]) == "u1" and calls.accessor("user", "id", []) == "u1"
    assert calls.accessor("group", "anonymousId", []) is None


def test_only_the_methods_table_is_dispatched() -> None:
    on = host()
    calls = dispatcher(on)
    ready: list[str] = []
    calls.analytics.on("ready", lambda: ready.append("ready"))
    for name in ("became_ready", "_dispatch", "host", "delivery", "user", "load", "nope"):
        assert calls.call(name, []) is None
    assert ready == []
    assert on.warnings == [f"analytics.{name}() is not supported; call ignored" for name in
                           ("became_ready", "_dispatch", "host", "delivery", "user", "load", "nope")]


def test_replay_runs_set_anonymous_id_and_on_then_the_query_then_the_rest_in_order_and_ready_last() -> None:
    on = host()
    on.page_info = PageInfo(search="?ajs_uid=from-query&ajs_event=From%20Query")
    calls = dispatcher(on)
    analytics = calls.analytics
    seen: list[tuple[str, str | None, str | None]] = []
    order: list[str] = []
    calls.replay([
        ["ready", lambda: order.append("ready")],
        ["track", "Buffered"],
        ["on", "track", lambda name, *rest: seen.append((name, analytics.user().id(), analytics.user().anonymousId()))],
        ["setAnonymousId", "from-snippet"],
        ["identify", "buffered-user"],
        [42, "malformed"],
    ])
    # the listener (an `on`) saw the query's track first, with the snippet's anonymousId,
    # then the buffered track; the buffered identify ran after it, ready last
    assert seen == [("From Query", "from-query", "from-snippet"), ("Buffered", "from-query", "from-snippet")]
    assert analytics.user().id() == "buffered-user" and order == ["ready"]
    assert any("malformed buffered call" in warning for warning in on.warnings)


def test_calls_made_during_the_replay_wait_behind_the_buffered_ones() -> None:
    calls = dispatcher()
    order: list[str] = []
    waiting: list[Any] = []

    def callback(context: dict[str, Any]) -> None:
        order.append("callback:" + context["event"]["event"])
        waiting.append(calls.call("track", ["C"]))  # page code calling window.analytics mid-replay

    calls.analytics.on("track", lambda name, *rest: order.append(name))
    calls.replay([["track", "A", {}, {}, callback], ["track", "B"]])
    assert order == ["callback:A", "A", "B", "C"]
    assert waiting[0][0][0] == "promise" and waiting[0][0][1]["event"]["event"] == "C"
    assert calls.call("track", ["D"])[0] == "promise"  # after the replay, calls run at once


def test_a_buffered_event_call_carries_the_page_it_was_made_on() -> None:
    on = host()
    on.page_info = PageInfo(url="https://shop.test/now", path="/now", title="Now", referrer="https://ref.test/")
    calls = dispatcher(on)
    made_on = {"url": "https://shop.test/then?x=1#h", "canonical": None, "path": "/then", "search": "?x=1",
               "hash": "#h", "title": "Then", "referrer": "https://ref.test/"}
    contexts: list[Any] = []
    calls.replay([["track", "Viewed", {}, {}, contexts.append, {BUFFERED_PAGE: made_on}],
                  ["page", {BUFFERED_PAGE: {**made_on, "canonical": "/canonical"}}]])
    track, page_call = calls.analytics.delivery.network.transport.sent[-2:]  # type: ignore[attr-defined]
    assert track["context"]["page"] == {"path": "/then", "referrer": "https://ref.test/", "search": "?x=1",
                                        "title": "Then", "url": "https://shop.test/then?x=1"}
    assert page_call["properties"]["url"] == "/canonical?x=1" and page_call["properties"]["path"] == "/canonical"
    assert BUFFERED_PAGE not in str(contexts)
    assert on.page().url == "https://shop.test/now"


# -- the table against web/ ---------------------------------------------------------


def _snippet() -> str:
    return (WEB / "snippet.js").read_text()


def _interface(name: str) -> set[str]:
    """Method names declared in one interface of web/analytics.d.ts."""
    body = re.search(rf"export interface {name}\b[^{{]*\{{(.*?)\n\}}", (WEB / "analytics.d.ts").read_text(), re.S)
    assert body is not None, name
    return set(re.findall(r"^\s+(\w+)\(", body.group(1), re.M))


def test_the_snippet_and_the_loader_get_the_methods_table_from_the_build() -> None:
    snippet = render(_snippet(), "__SNIPPET_TABLE__")
    listed = re.search(r"var table = (\{.*?\});\n", snippet)
    assert listed is not None
    table = json.loads(listed.group(1))
    assert set(table["stubbed"]) == {m.name for m in METHODS.values() if m.buffered}
    assert set(table["pinned"]) == {m.name for m in METHODS.values() if m.pins_page}
    assert set(table["kept"]) == {"track", "page", "identify", "group", "alias", "screen", "pageview",
                                  "setAnonymousId", "reset"}
    assert table["keptPrefix"] == PREFIX and table["bufferedPage"] == BUFFERED_PAGE
    loader = render((WEB / "loader.mjs").read_text(), "__METHOD_KINDS__")
    kinds = re.search(r"const TABLE = (\{.*?\});\n", loader)
    assert kinds is not None
    assert json.loads(kinds.group(1)) == {"kinds": {m.name: m.kind for m in METHODS.values()},
                                          "accessors": ["group", "user"]}
    # No second copy by hand: neither source names a method of the table or the prefix itself.
    for source in (_snippet(), (WEB / "loader.mjs").read_text()):
        source = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)  # the code, not its comments
        assert PREFIX not in source and BUFFERED_PAGE not in source
        assert not {m for m in ("setAnonymousId", "trackLink", "pageview", "alias") if m in source}


def test_analytics_d_ts_declares_what_the_table_dispatches() -> None:
    declared = _interface("AnalyticsBrowser")
    supported = {m.name for m in METHODS.values() if not m.refused}
    assert supported <= declared, supported - declared
    assert declared <= set(METHODS), declared - set(METHODS)
    assert _interface("AnalyticsSnippet") - {"load"} <= {m.name for m in METHODS.values() if m.buffered}
    assert _interface("User") == set(ACCESSORS["user"]) and _interface("Group") == set(ACCESSORS["group"])


def test_a_page_call_reads_document_cookie_once_at_its_entry_and_off_finds_the_listener() -> None:
    on = host()
    calls = dispatcher(on)
    calls.call("identify", ["u", {"a": 1}])
    calls.call("track", ["Warm-up"])  # renewals of this page are done
    heard: list[str] = []

    def listener(name: str, *rest: Any) -> None:
        heard.append(name)

    calls.call("on", ["track", listener])
    reads = on.cookies.reads  # type: ignore[attr-defined]
    for _ in range(5):
        calls.call("track", ["Steady"])
    assert calls.accessor("user", "id", ["u"]) == "u"
    assert on.cookies.reads - reads == 6  # type: ignore[attr-defined]
    calls.call("off", ["track", listener])
    calls.call("track", ["Unheard"])
    assert heard == ["Steady"] * 5


def test_a_refused_register_resolves_to_analytics_next_s_system_context() -> None:
    on = host()
    calls = dispatcher(on)
    for name in ("register", "deregister"):
        kind, context = calls.call(name, [{"name": "P"}])
        assert kind == "promise" and context["event"] == {"type": "track", "event": "system"}
        assert context.failed_delivery() == {"reason": f"analytics.{name}() is not supported"}
    assert len([w for w in on.warnings if "is not supported" in w]) == 2
