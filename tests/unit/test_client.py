"""analytics.identify/track/page/group/alias options, reset, minting at init, the Python API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from analytics_identity.api.client import Analytics
from tests.unit.identity_hosts import cookie, host, local, page

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def sent(context: dict[str, Any] | None) -> dict[str, Any]:
    assert context is not None
    return context["event"]


def test_anonymous_id_is_minted_at_init_into_every_store() -> None:
    on = host()
    page(on)
    minted = cookie(on, "ajs_anonymous_id")
    assert UUID4.match(minted) and local(on, "ajs_anonymous_id") == minted


@pytest.mark.parametrize("options", [{"disableClientPersistence": True}, {"user": {"persist": False}}])
def test_nothing_is_minted_or_stored_at_init_while_persistence_is_off(options: dict[str, Any]) -> None:
    on = host()
    analytics = page(on, options)
    assert on.cookies.written == [] and on.local_storage.items == {}  # type: ignore[attr-defined]
    assert UUID4.match(analytics.user().anonymousId())  # minted in memory on first use
    assert on.cookies.written == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("options", "may"), [({}, True), ({"disableClientPersistence": True}, False),
                                             ({"consent": {"required": True}}, False)])
def test_may_store_tells_the_loader_whether_to_save_the_start_up_state(options: dict[str, Any], may: bool) -> None:
    """web/loader.mjs reads ``may_store`` from JavaScript; without it no warm visit would ever restore."""
    assert page(host(), options).may_store is may


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.identify("user_123", {"name": "Jane Kim"}, {"anonymousId": "ABC-123-XYZ"}),
        lambda a: a.page({}, {"anonymousId": "ABC-123-XYZ"}),
        lambda a: a.track("Email Clicked", {"callToAction": "Signup"}, {"anonymousId": "ABC-123-XYZ"}),
        lambda a: a.group("g1", {}, {"anonymousId": "ABC-123-XYZ"}),
        lambda a: a.alias("user_123", None, {"anonymousId": "ABC-123-XYZ"}),
    ],
    ids=["identify", "page", "track", "group", "alias"],
)
def test_options_anonymous_id_is_used_and_persists_for_later_calls(call: Any) -> None:
    on = host()
    analytics = page(on)
    assert sent(call(analytics))["anonymousId"] == "ABC-123-XYZ"
    assert sent(analytics.track("Later"))["anonymousId"] == "ABC-123-XYZ"
    assert cookie(on, "ajs_anonymous_id") == "ABC-123-XYZ" and local(on, "ajs_anonymous_id") == "ABC-123-XYZ"
    assert page(on).user().anonymousId() == "ABC-123-XYZ"


def test_options_anonymous_id_wins_over_the_refresh_of_a_user_change() -> None:
    analytics = page(host())
    analytics.identify("old-user")
    event = sent(analytics.identify("user_123", {}, {"anonymousId": "ABC-123-XYZ"}))
    assert event["anonymousId"] == "ABC-123-XYZ" and event["userId"] == "user_123"


def test_an_invalid_options_anonymous_id_is_refused_and_the_event_keeps_the_stored_one() -> None:
    on = host()
    analytics = page(on)
    stored = analytics.user().anonymousId()
    event = sent(analytics.track("E", {}, {"anonymousId": "   "}))
    assert event["anonymousId"] == stored and len(on.warnings) == 1


def test_top_level_options_context_and_integrations() -> None:
    analytics = page(host())
    event = sent(analytics.track("E", {}, {
        "userId": "override-user", "timestamp": "2026-01-02T03:04:05.678Z", "messageId": "m-1",
        "integrations": {"All": False}, "context": {"ip": "0.0.0.0", "page": {"title": "Mine"}},
        "traits": {"plan_id": "Paid, Tier 2"}, "campaign": {"name": "c"},
    }))
    assert event["userId"] == "override-user" and event["timestamp"] == "2026-01-02T03:04:05.678Z"
    assert event["messageId"] == "m-1" and event["integrations"] == {"All": False}
    assert event["context"]["ip"] == "0.0.0.0" and event["context"]["page"]["title"] == "Mine"
    assert event["context"]["traits"] == {"plan_id": "Paid, Tier 2"}
    assert event["context"]["campaign"] == {"name": "c"}
    assert "traits" not in event and analytics.user().id() is None  # options.userId does not persist


def test_context_traits_and_ip_belong_to_that_one_event() -> None:
    on = host()
    analytics = page(on)
    analytics.identify("12091906-01011992", {"plan_id": "Paid, Tier 2", "email": "grace@usnavy.gov"})
    first = sent(analytics.track("Clicked Email", {"emailCampaign": "First Touch"}, {"traits": {"plan_id": "Paid, Tier 2"}}))
    assert first["context"]["traits"] == {"plan_id": "Paid, Tier 2"}
    second = sent(analytics.track("Order Completed", {}, {"context": {"ip": "0.0.0.0"}}))
    assert second["context"]["ip"] == "0.0.0.0" and "traits" not in second["context"]
    third = sent(analytics.track("Next"))
    assert "ip" not in third["context"] and "traits" not in third["context"]
    assert analytics.user().traits() == {"plan_id": "Paid, Tier 2", "email": "grace@usnavy.gov"}
    assert analytics.user().anonymousId() == first["anonymousId"]  # context.traits does not touch identity


def test_identify_event_carries_every_trait_after_the_merge() -> None:
    analytics = page(host())
    analytics.identify("u", {"a": 1})
    assert sent(analytics.identify({"b": 2}))["traits"] == {"a": 1, "b": 2}
    assert sent(analytics.identify("u", {"a": 3}))["traits"] == {"a": 3, "b": 2}
    assert sent(analytics.identify("v", {"c": 1}))["traits"] == {"c": 1}


def test_group_event_and_merge_rules() -> None:
    analytics = page(host())
    assert sent(analytics.group("g1", {"a": 1}))["traits"] == {"a": 1}
    event = sent(analytics.group({"b": 2}))
    assert event["groupId"] == "g1" and event["traits"] == {"a": 1, "b": 2}
    assert sent(analytics.group("g2", {"c": 3}))["traits"] == {"c": 3}
    assert analytics.group() is analytics.group()


def test_alias_sends_user_id_to_even_after_identify() -> None:
    analytics = page(host())
    anonymous = analytics.user().anonymousId()
    first = sent(analytics.alias("new-id"))
    assert first["userId"] == "new-id" and first["previousId"] == anonymous
    analytics.identify("current")
    event = sent(analytics.alias("newer-id"))
    assert event["userId"] == "newer-id" and event["previousId"] == "current"
    assert sent(analytics.alias("to", "from"))["previousId"] == "from"


def test_numeric_ids_are_strings_everywhere() -> None:
    on = host()
    analytics = page(on)
    event = sent(analytics.identify(12345))
    assert event["userId"] == "12345" and analytics.user().id() == "12345"
    assert cookie(on, "ajs_user_id") == "12345" and local(on, "ajs_user_id") == "12345"
    assert sent(analytics.group(678))["groupId"] == "678"


def test_reset_forgets_everything_and_the_next_event_is_fresh() -> None:
    on = host()
    analytics = page(on)
    before = sent(analytics.identify("u", {"a": 1}))["anonymousId"]
    analytics.group("g", {"b": 1})
    analytics.reset()
    event = sent(analytics.track("After"))
    assert event["userId"] is None and event["anonymousId"] != before and UUID4.match(event["anonymousId"])
    assert local(on, "ajs_user_traits") is None and local(on, "ajs_group_id") is None


def test_identify_with_a_different_user_refreshes_the_anonymous_id() -> None:
    analytics = page(host())
    first = sent(analytics.identify("a"))["anonymousId"]
    assert sent(analytics.identify("a"))["anonymousId"] == first
    assert sent(analytics.identify("b"))["anonymousId"] != first


def test_set_anonymous_id_sets_and_returns_it_like_user_anonymous_id() -> None:
    on = host()
    analytics = page(on)
    assert analytics.setAnonymousId("ABC-123-XYZ") == "ABC-123-XYZ"
    assert analytics.user().anonymousId() == "ABC-123-XYZ"
    assert analytics.user().anonymousId("DEF") == "DEF" and analytics.setAnonymousId() == "DEF"


def test_python_api_keyword_options_and_snake_case_names() -> None:
    on = host()
    analytics = page(on)
    event = sent(analytics.track("Clicked", {"a": 1}, anonymous_id="py-anon", context={"ip": "0.0.0.0"}, message_id="m"))
    assert event["anonymousId"] == "py-anon" and event["context"]["ip"] == "0.0.0.0" and event["messageId"] == "m"
    event = sent(analytics.identify("u", {"t": 1}, {"context": {"x": 1}}, user_id="override"))
    assert event["userId"] == "override" and event["context"]["x"] == 1
    assert sent(analytics.group("g", traits_kw := {}, anonymous_id="g-anon"))["anonymousId"] == "g-anon" and traits_kw == {}
    assert analytics.set_anonymous_id("snake") == "snake"
    assert analytics.user().anonymous_id() == "snake" and analytics.user().anonymousId() == "snake"
    assert Analytics.set_anonymous_id is Analytics.setAnonymousId
    assert Analytics.query_string is Analytics.queryString


def test_shared_instance_in_cpython() -> None:
    import analytics_identity

    shared = analytics_identity.analytics
    assert isinstance(shared, Analytics) and analytics_identity.analytics is shared
    shared.identify("py-user")
    assert analytics_identity.analytics.user().id() == "py-user"


def test_a_steady_event_reads_document_cookie_once_and_writes_no_cookie() -> None:
    """Each ``document.cookie`` access is a call into the browser; writes make the next read slow."""
    on = host()
    analytics = page(on)
    analytics.identify("u", {"a": 1})
    analytics.group("g")
    analytics.track("Warm-up")  # renewals of this page are done
    reads, written = on.cookies.reads, len(on.cookies.written)  # type: ignore[attr-defined]
    for _ in range(10):
        analytics.track("Steady")
    assert on.cookies.reads - reads == 10  # type: ignore[attr-defined]
    assert len(on.cookies.written) == written  # type: ignore[attr-defined]
    reads = on.cookies.reads  # type: ignore[attr-defined]
    analytics.identify("u", {"a": 1})
    analytics.setAnonymousId(analytics.user().anonymousId())
    analytics.page()
    assert on.cookies.reads - reads == 4  # type: ignore[attr-defined]
    assert len(on.cookies.written) == written  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["listener", "middleware", "callback"])
def test_page_code_inside_a_call_that_changes_the_cookie_is_seen_by_the_calls_it_makes(where: str) -> None:
    """The header read once per call is our own view: page code running inside the call
    (which may assign document.cookie itself) makes the next read fresh."""
    on = host()
    analytics = page(on)
    seen: list[str | None] = []

    def page_code(*args: Any) -> None:
        on.cookies.jar["ajs_user_id"] = "from-page"  # type: ignore[attr-defined]
        seen.append(analytics.user().id())
        on.cookies.jar["ajs_user_id"] = "again"  # type: ignore[attr-defined]
        seen.append(analytics.user().id())
        if where == "middleware":
            args[0]["next"](args[0]["payload"])

    if where == "listener":
        analytics.on("identify", page_code)
    elif where == "middleware":
        analytics.addSourceMiddleware(page_code)
    context = analytics.identify("u", {"a": 1}, page_code if where == "callback" else None)
    assert seen == ["from-page", "again"]
    assert sent(context)["userId"] == "u"
    assert analytics.user().id() == "again"


def test_an_error_listener_hears_of_each_event_the_collector_refuses() -> None:
    from analytics_identity.delivery import Network, Reply

    class Refusing:
        def send(self, request: Any, done: Any) -> None:
            done(Reply(400, None, "bad write key"))

        def send_final(self, request: Any) -> None:
            pass

    analytics = Analytics(host(), "write-key", {}, Network(Refusing()))
    heard: list[dict[str, Any]] = []
    analytics.on("error", heard.append)
    context = analytics.track("Refused")
    assert [(h["code"], h["reason"], h["ctx"]["event"]["messageId"]) for h in heard] == [
        ("delivery_failure", "the collector refused it with 400: bad write key", sent(context)["messageId"])]


@pytest.mark.parametrize("first_use", [
    lambda a: a.user().anonymousId(), lambda a: a.group().id(), lambda a: a.track("E"),
    lambda a: a.setAnonymousId(),
])
def test_python_s_first_use_runs_the_start_still_waiting_for_the_lock(first_use: Any) -> None:
    """Before the first-visit lock is granted, a Python caller starts the page at once, exactly once."""
    h = host()
    analytics = Analytics(h, "key", start=False)
    runs: list[int] = []

    def run() -> None:  # what the browser's install leaves pending
        runs.append(1)
        analytics.start_pending = None
        analytics.setAnonymousId("from-the-query")

    analytics.start_pending = run
    first_use(analytics)
    first_use(analytics)
    assert runs == [1] and analytics.user().anonymousId() == "from-the-query"
    assert cookie(h, "ajs_anonymous_id") == "from-the-query"
