"""What a site migrating from analytics-next calls, in CPython: every method and option behaves or says why.

Page calls go through the dispatcher as from page JavaScript (``PlainCaller``
marks promises), Python calls straight to the instance.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from analytics_identity.api.classic import DEFAULT_TIMEOUT_MS
from analytics_identity.bridge.methods import METHODS
from analytics_identity.options.settings import UNSUPPORTED_OPTIONS, Settings
from analytics_identity.events.context import Context
from tests.unit.identity_hosts import cookie, host, page
from tests.unit.test_dispatch import dispatcher


def sent(analytics: Any) -> list[dict[str, Any]]:
    return analytics.delivery.network.transport.sent  # type: ignore[no-any-return]


# -- what event calls return -----------------------------------------------------------


def test_an_event_call_returns_a_context_with_analytics_next_members() -> None:
    analytics = page(host())
    context = analytics.track("Clicked", {"a": 1})
    assert isinstance(context, Context) and context["event"] is context.event
    assert context.event["event"] == "Clicked"
    assert context.id == context.id and context.id != context.event["messageId"]
    assert context.failed_delivery() is None and context.failedDelivery() is None
    assert context.to_json() == {"id": context.id, "event": context.event, "logs": [], "metrics": []}
    json.dumps(context.toJSON())


def test_an_event_dropped_by_middleware_or_consent_says_so_in_failed_delivery() -> None:
    analytics = page(host())
    analytics.addSourceMiddleware(lambda params: params["next"](None))
    assert analytics.track("Dropped").failed_delivery() == {"reason": "dropped by a source middleware"}
    denied = page(host(), {"consent": {"required": True, "pending": "drop"}})
    assert denied.track("Before consent").failed_delivery() == {"reason": "consent is pending"}


@pytest.mark.parametrize("method", ["track", "identify", "page", "group", "alias", "screen"])
def test_a_refused_event_call_from_the_page_still_resolves_to_a_context(method: str) -> None:
    on = host()
    calls = dispatcher(on)
    paged = method in ("page", "screen")  # they take any arguments: only the option is refused
    kind, context = calls.call(method, [{"x": 1}, {"anonymousId": True}] if paged else [True])
    assert kind == "promise" and isinstance(context, Context)
    if paged:
        assert context.failed_delivery() is None
    else:
        assert context.event["type"] == method and context.failed_delivery() is not None
    assert len(on.warnings) == 1


def test_chaining_calls_return_the_instance_and_async_ones_a_promise_of_it() -> None:
    calls = dispatcher()
    listener = lambda *args: None  # noqa: E731
    assert [calls.call(name, ["track", listener]) for name in ("on", "once", "off")] == ["the instance"] * 3
    assert calls.call("debug", [True]) == "the instance"
    assert calls.call("addSourceMiddleware", [lambda p: p["next"](p["payload"])]) == ("promise", "the instance")
    assert calls.call("pageview", ["/checkout"]) == ("promise", "the instance")
    assert calls.call("flush", []) == ("promise", None)
    assert calls.call("timeout", [500]) is None and calls.analytics.classic.timeout_ms == 500


def test_off_without_a_listener_removes_every_listener_of_that_event() -> None:
    analytics = page(host())
    seen: list[str] = []
    analytics.on("track", lambda name, *rest: seen.append("a:" + name))
    analytics.once("track", lambda name, *rest: seen.append("b:" + name))
    analytics.on("page", lambda *rest: seen.append("page"))
    analytics.off("track")
    analytics.track("Ignored")
    analytics.page()
    assert seen == ["page"]


# -- refused methods ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(m.name for m in METHODS.values() if m.refused))
def test_a_refused_method_warns_once_naming_itself_and_returns_analytics_next_s_shape(name: str) -> None:
    on = host()
    calls = dispatcher(on)
    first, second = calls.call(name, ["x"]), calls.call(name, ["y"])
    assert first == second
    assert first is None or first == "the instance" or first[0] == "promise"
    assert len(on.warnings) == 1 and on.warnings[0].startswith(f"analytics.{name}() is not supported: ")
    assert sent(calls.analytics) == []


# -- classic calls --------------------------------------------------------------------


def test_track_link_binds_each_element_and_tracks_a_click_with_names_from_functions() -> None:
    on = host()
    analytics = page(on)
    links = [{"id": "a"}, {"id": "b"}]  # stand-ins: the host binds whatever it is given
    assert analytics.trackLink(links, lambda el: f"Clicked {el['id']}", lambda el: {"which": el["id"]}) is analytics
    analytics.trackForm({"id": "signup"}, "Signed Up", {"plan": "pro"}, {"context": {"ip": "0.0.0.0"}})
    assert [(kind, element) for kind, element, _, _ in on.bound] == [
        ("link", {"id": "a"}), ("link", {"id": "b"}), ("form", {"id": "signup"})]
    for _, element, fire, delay in on.bound:
        fire(element)
        assert delay() == DEFAULT_TIMEOUT_MS
    clicked_a, clicked_b, signed_up = sent(analytics)
    assert (clicked_a["event"], clicked_a["properties"]) == ("Clicked a", {"which": "a"})
    assert clicked_b["event"] == "Clicked b"
    assert signed_up["properties"] == {"plan": "pro"} and signed_up["context"]["ip"] == "0.0.0.0"
    analytics.timeout(50)
    assert on.bound[0][3]() == 50


def test_track_link_refuses_a_bad_event_and_a_throwing_function_tracks_nothing() -> None:
    on = host()
    analytics = page(on)
    analytics.trackClick({"id": "a"}, 42)
    assert on.bound == [] and "trackLink ignored" in on.warnings[0]

    def boom(element: Any) -> str:
        raise RuntimeError("no name")

    analytics.trackSubmit({"id": "f"}, boom)
    on.bound[0][2]({"id": "f"})
    assert sent(analytics) == [] and "raised RuntimeError" in on.warnings[-1]


def test_pageview_is_a_page_call_for_that_path_and_timeout_refuses_nonsense() -> None:
    on = host()
    analytics = page(on)
    assert analytics.pageview("/pricing") is analytics
    assert sent(analytics)[0]["type"] == "page" and sent(analytics)[0]["properties"]["path"] == "/pricing"
    analytics.timeout(-1)
    analytics.timeout("soon")
    assert analytics.classic.timeout_ms == DEFAULT_TIMEOUT_MS and len(on.warnings) == 2


def test_debug_logs_each_event_and_can_be_turned_off() -> None:
    on = host()
    analytics = page(on)
    analytics.track("Quiet")
    analytics.debug(True)
    analytics.track("Loud")
    analytics.debug(False)
    analytics.track("Quiet again")
    assert len(on.logs) == 1 and on.logs[0].startswith("track: handed to delivery") and "Loud" in on.logs[0]


# -- user() and group() from the page ------------------------------------------------------------


def test_user_logout_and_reset_from_the_page_forget_the_user() -> None:
    on = host()
    calls = dispatcher(on)
    calls.call("identify", ["u1", {"plan": "pro"}])
    before = calls.accessor("user", "anonymousId", [])
    assert calls.accessor("user", "logout", []) is None
    assert calls.accessor("user", "id", []) is None and calls.accessor("user", "traits", []) == {}
    assert calls.accessor("user", "anonymousId", []) != before  # logout forgets the anonymousId too
    calls.call("group", ["g1"])
    assert calls.accessor("group", "reset", []) is None and calls.accessor("group", "id", []) is None
    assert calls.analytics.user().load() is calls.analytics.user()
    assert on.warnings == []


# -- load options ------------------------------------------------------------------------------


def test_delivery_strategy_is_read_where_analytics_next_reads_it() -> None:
    batching = {"strategy": "batching", "config": {"size": 3, "timeout": 2000}}
    nested = Settings.from_options("k", {"integrations": {"Segment.io": {"deliveryStrategy": batching}}}, print)
    top = Settings.from_options("k", {"deliveryStrategy": batching}, print)
    assert nested.delivery == top.delivery and nested.delivery.batching and nested.delivery.size == 3


@pytest.mark.parametrize("name,value", [("retryQueue", False), ("obfuscate", True),
                                        ("highEntropyValuesClientHints", ["model"]),
                                        ("globalAnalyticsKey", "segment"), ("plan", {}),
                                        ("updateCDNSettings", None)])
def test_a_refused_option_warns_once_by_name(name: str, value: Any) -> None:
    assert name in UNSUPPORTED_OPTIONS
    warnings: list[str] = []
    Settings.from_options("k", {name: value}, warnings.append)
    harmless = {"retryQueue": True, "obfuscate": False, "highEntropyValuesClientHints": [],
                "globalAnalyticsKey": "analytics"}
    if value is None:  # updateCDNSettings: only a function asks for something
        assert warnings == []
        return
    assert len(warnings) == 1 and warnings[0].startswith(f"load option {name} is not supported: ")
    if name in harmless:
        quiet: list[str] = []
        Settings.from_options("k", {name: harmless[name]}, quiet.append)
        assert quiet == []


def test_unknown_options_are_named_in_one_warning() -> None:
    warnings: list[str] = []
    Settings.from_options("k", {"intergrations": {}, "loadMode": "idle", "apiHost": "x/v1", "cokie": {}},
                          warnings.append)
    assert warnings == ["unknown load option(s) cokie, intergrations ignored"]


def test_initial_pageview_is_the_first_call_after_the_identity_calls() -> None:
    calls = dispatcher_with({"initialPageview": True})
    calls.replay([["track", "Buffered"], ["setAnonymousId", "from-snippet"]])
    first, second = sent(calls.analytics)
    assert (first["type"], second["event"]) == ("page", "Buffered")
    assert first["anonymousId"] == "from-snippet"
    plain = dispatcher_with({})
    plain.replay([])
    assert sent(plain.analytics) == []


def dispatcher_with(options: dict[str, Any]) -> Any:
    from analytics_identity.bridge.dispatch import Dispatcher
    from tests.unit.test_dispatch import PlainCaller

    return Dispatcher(page(host(), options), PlainCaller())


def test_cookie_old_key_names_the_classic_cookie_read_once_and_removed_on_logout() -> None:
    on = host()
    on.cookies.write("legacy_user=%7B%22id%22%3A%22classic-1%22%2C%22traits%22%3A%7B%22plan%22%3A%22pro%22%7D%7D; path=/")
    analytics = page(on, {"user": {"cookie": {"oldKey": "legacy_user"}}})
    assert analytics.user().id() == "classic-1" and analytics.user().traits() == {"plan": "pro"}
    analytics.user().logout()
    assert cookie(on, "legacy_user") is None
    assert page(on).user().id() is None


def test_user_disable_keeps_the_user_in_memory_only() -> None:
    on = host()
    analytics = page(on, {"user": {"disable": True}})
    analytics.identify("u1", {"plan": "pro"})
    assert analytics.user().id() == "u1"
    assert cookie(on, "ajs_user_id") is None and cookie(on, "ajs_anonymous_id") is None
    assert on.local_storage.get_item("ajs_user_traits") is None


def test_a_cookie_store_s_settings_are_the_page_s_cookie_attributes() -> None:
    warnings: list[str] = []
    settings = Settings.from_options("k", {
        "cookie": {"maxage": 30},
        "storage": {"stores": [{"name": "cookie", "settings": {"sameSite": "Strict"}}, "localStorage"]},
        "user": {"storage": {"stores": [{"name": "cookie", "settings": {"domain": "x.test"}}]}},
    }, warnings.append)
    assert settings.cookie.same_site == "Strict" and settings.cookie.max_age_days == 30
    assert settings.user.stores == ("cookie", "memory")
    assert len(warnings) == 1 and warnings[0].startswith("user.storage.stores[].settings ignored")
