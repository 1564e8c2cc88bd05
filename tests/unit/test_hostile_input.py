"""Hostile input from Python callers: nothing raises, nothing leaks into cookies.

Every public method gets every kind of bad value in every argument position.
The guarantees: no exception reaches the caller, only our cookies are ever
written and always with our attributes, invalid ids are refused with one
warning and the previous identity kept, non-JSON values are converted with
``JSON.stringify``'s rules, and an id too big for a cookie stays in
localStorage with a warning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from analytics_identity.api.client import Analytics
from analytics_identity.host import MemoryCookieJar, MemoryHost
from analytics_identity.jsonsafe import MAX_DEPTH, NotJson
from analytics_identity.identity.entity import READ
from tests.figures import record

OUR_COOKIES = {"ajs_anonymous_id", "ajs_user_id", "ajs_group_id"}
OUR_ATTRIBUTES = ["expires", "path", "SameSite"]


@dataclass
class RecordingJar(MemoryCookieJar):
    """A jar that keeps every string assigned to ``document.cookie``."""

    written: list[str] = field(default_factory=list)

    def write(self, cookie: str) -> None:
        self.written.append(cookie)
        super().write(cookie)


def cyclic() -> dict[str, Any]:
    value: dict[str, Any] = {"name": "loop"}
    value["self"] = value
    return value


def deep(levels: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root


INJECTIONS = [
    "x; domain=evil.example; path=/",
    "x\r\nSet-Cookie: y=1",
    "a;b=c,d e",
    'q"u\'o"te',
    "100% %E0%A4%A",
    "ünïcödé 😀 日本",
    "=;,",
]

#: Values that are never a valid id.
INVALID_IDS: list[Any] = [True, False, [], ["a"], "", "   ", "x" * 1_000_000, math.nan, math.inf, object(),
                          datetime(2026, 1, 1), 1 + 2j, b"bytes", {1, 2},
                          # What the browser bridge makes of page arguments it must not turn into text.
                          NotJson("a BigInt"), NotJson("a Date"), NotJson("a symbol"),
                          "a\ud800b", "\udfff"]  # lone UTF-16 surrogates: no UTF-8 form

#: Everything thrown at every argument position.
HOSTILE: list[Any] = [
    None, 0, -1, 1.5, 12345, True, False, [], [1, "a"], {}, {"a": 1}, "", "x" * 1_000_000,
    *INJECTIONS, math.nan, math.inf, -math.inf, lambda *a: None, object(), datetime(2026, 1, 1, tzinfo=timezone.utc),
    cyclic(), deep(10_000), {"__proto__": {"polluted": 1}, "constructor": {"prototype": 1}}, 2**200, b"\x00",
]

METHODS = ["identify", "track", "page", "group", "alias", "setAnonymousId", "reset", "ready", "on", "once", "off"]


def make() -> tuple[Analytics, MemoryHost, RecordingJar]:
    jar = RecordingJar()
    host = MemoryHost(cookies=jar)
    return Analytics(host, "key", {}), host, jar


def event(context: Any) -> dict[str, Any]:
    """The event an event method resolved to (its return value, as in analytics-next)."""
    assert isinstance(context, dict), context
    return context["event"]


def assert_only_our_cookies(jar: RecordingJar) -> None:
    assert set(jar.jar) <= OUR_COOKIES | {"__tld__"}
    for cookie in jar.written:
        first, *attributes = cookie.split("; ")
        assert first.partition("=")[0] in OUR_COOKIES, cookie
        assert [a.split("=")[0] for a in attributes] == OUR_ATTRIBUTES, cookie
        assert "\r" not in cookie and "\n" not in cookie


def test_every_method_with_every_hostile_value_in_every_position_never_raises() -> None:
    analytics, host, jar = make()
    calls = 0
    sent: list[dict[str, Any]] = []
    for method in METHODS:
        for position in range(4):
            for value in HOSTILE:
                args = ["E", {}, {}, None][:position] + [value]
                result = getattr(analytics, method)(*args)
                if isinstance(result, dict):
                    sent.append(event(result))
                calls += 1
        for value in HOSTILE:
            analytics.user().id(value)
            analytics.user().anonymousId(value)
            analytics.user().traits(value)
            analytics.group().id(value)
            analytics.group().traits(value)
            calls += 5
    assert calls > 1000
    record("hostile_input", "Python calls with hostile values (unit)", calls)
    assert_only_our_cookies(jar)
    assert len(sent) > 100
    for item in sent:
        json.dumps(item, allow_nan=False)  # every event made is plain JSON


@pytest.mark.parametrize("bad", INVALID_IDS, ids=lambda v: type(v).__name__ + ":" + repr(v)[:12])
@pytest.mark.parametrize("call", ["identify", "group", "setAnonymousId", "alias", "user().id", "user().anonymousId",
                                  "group().id"])
def test_invalid_ids_are_refused_with_one_warning_and_identity_kept(call: str, bad: Any) -> None:
    analytics, host, jar = make()
    analytics.identify("user-1", {"plan": "pro"})
    analytics.group("group-1")
    analytics.setAnonymousId("anon-1")
    before = (analytics.user().id(), analytics.user().anonymousId(), analytics.group().id(), dict(jar.jar))
    host.warnings.clear()
    if "()." in call:
        entity, accessor = call.split("().")
        getattr(getattr(analytics, entity)(), accessor)(bad)
    else:
        getattr(analytics, call)(bad)
    after = (analytics.user().id(), analytics.user().anonymousId(), analytics.group().id(), dict(jar.jar))
    assert after == before
    assert len(host.warnings) == 1, host.warnings
    assert analytics.user().traits() == {"plan": "pro"}


@pytest.mark.parametrize("bad", [NotJson("a BigInt"), "a\ud800b", True, ""], ids=repr)
@pytest.mark.parametrize("method", ["identify", "track", "page", "screen", "group", "alias"])
def test_an_invalid_anonymous_id_option_is_refused_by_every_event_method(method: str, bad: Any) -> None:
    analytics, host, jar = make()
    analytics.identify("user-1")
    analytics.setAnonymousId("anon-1")
    identity = lambda: (analytics.user().id(), analytics.user().anonymousId(),  # noqa: E731
                        jar.get("ajs_user_id"), jar.get("ajs_anonymous_id"))
    before = identity()
    host.warnings.clear()
    options = {"anonymousId": bad}
    args = {"identify": ("user-1", {}, options), "alias": ("user-2", options)}.get(method, ("E", {}, options))
    sent = event(getattr(analytics, method)(*args))
    assert identity() == before
    assert sent["anonymousId"] == "anon-1"
    assert len(host.warnings) == 1, host.warnings


def test_read_is_a_read_for_every_accessor() -> None:
    """``READ`` is what page JavaScript's ``undefined`` means: never a clear."""
    analytics, host, jar = make()
    analytics.identify("user-1", {"plan": "pro"})
    analytics.group("group-1", {"seats": 3})
    anonymous = analytics.setAnonymousId("anon-1")
    stored = lambda: (dict(jar.jar), {k: v for k, v in host.local_storage.items.items() if k.startswith("ajs_")})  # noqa: E731
    before = stored()
    assert analytics.setAnonymousId(READ) == anonymous == analytics.setAnonymousId()
    assert analytics.user().anonymousId(READ) == anonymous
    assert analytics.user().id(READ) == "user-1"
    assert analytics.user().traits(READ) == {"plan": "pro"}
    assert analytics.group().id(READ) == "group-1"
    assert analytics.group().traits(READ) == {"seats": 3}
    assert stored() == before
    assert host.warnings == []


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_ids_round_trip_and_add_no_cookie_or_attribute(value: str) -> None:
    analytics, host, jar = make()
    assert analytics.setAnonymousId(value) == value
    identified = event(analytics.identify(value, {"t": value}))
    analytics.group(value)
    assert analytics.user().anonymousId() == value
    assert analytics.user().id() == value
    assert analytics.group().id() == value
    assert_only_our_cookies(jar)
    assert {identified["userId"], identified["anonymousId"]} == {value}
    assert host.warnings == []
    reread = Analytics(MemoryHost(cookies=jar), "key", {})  # a fresh page reads the same cookies
    assert (reread.user().id(), reread.group().id()) == (value, value)


def test_values_json_cannot_hold_are_converted_like_json_stringify() -> None:
    analytics, host, _ = make()
    moment = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)
    properties = {
        "fn": lambda: 1, "nan": math.nan, "inf": math.inf, "when": moment, "list": [lambda: 1, math.nan, 1],
        "__proto__": {"polluted": True}, "constructor": "c", 3: "int key", "ok": "yes",
    }
    sent = event(analytics.track("Hostile", properties))
    assert sent["properties"] == {
        "nan": None, "inf": None, "when": "2026-03-04T05:06:07.890Z", "list": [None, None, 1],
        "__proto__": {"polluted": True}, "constructor": "c", "3": "int key", "ok": "yes",
    }
    assert host.warnings == []  # JSON.stringify drops these without a word, and so do we


def test_cycles_are_dropped_with_one_warning() -> None:
    analytics, host, _ = make()
    sent = event(analytics.identify("u", {"loop": cyclic(), "plan": "pro"}))
    assert analytics.user().traits() == {"loop": {"name": "loop"}, "plan": "pro"}
    assert sent["traits"] == {"loop": {"name": "loop"}, "plan": "pro"}
    assert len(host.warnings) == 1 and "cycle" in host.warnings[0]


def test_depth_ten_thousand_is_cut_at_the_limit_with_one_warning() -> None:
    analytics, host, _ = make()
    properties = event(analytics.track("Deep", {"deep": deep(10_000)}))["properties"]
    depth, node = 0, properties["deep"]
    while node:
        node, depth = node["a"], depth + 1
    assert depth == MAX_DEPTH - 2  # the properties object is level 0, "deep" level 1, the last kept level 63
    assert len(host.warnings) == 1 and "deeper" in host.warnings[0]


def test_user_traits_setter_converts_too() -> None:
    analytics, host, _ = make()
    analytics.user().traits({"loop": cyclic(), "fn": print, "n": math.nan})
    assert analytics.user().traits() == {"loop": {"name": "loop"}, "n": None}
    assert json.loads(host.local_storage.get_item("ajs_user_traits")) == {"loop": {"name": "loop"}, "n": None}
    assert len(host.warnings) == 1


def test_an_id_too_big_for_a_cookie_stays_in_local_storage_with_a_warning() -> None:
    analytics, host, jar = make()
    assert jar.get("ajs_anonymous_id") is not None
    big = "é😀" * 1000  # 2000 characters: a valid id, but 18 KB percent-encoded
    assert analytics.setAnonymousId(big) == big
    assert analytics.user().anonymousId() == big
    assert json.loads(host.local_storage.get_item("ajs_anonymous_id")) == big
    assert jar.get("ajs_anonymous_id") is None  # not written, and the old cookie removed so it cannot win a read
    assert all(len(c.encode()) <= 4096 for c in jar.written)
    assert len([w for w in host.warnings if "4096" in w]) >= 1
    assert len(set(host.warnings)) == 1


def test_megabyte_strings_in_traits_stay_whole_and_ids_are_refused() -> None:
    analytics, host, jar = make()
    big = "x" * 1_000_000
    sent = event(analytics.identify("u", {"big": big}))
    assert analytics.user().traits()["big"] == big
    assert sent["traits"]["big"] == big
    host.warnings.clear()
    analytics.identify(big)
    assert analytics.user().id() == "u"
    assert len(host.warnings) == 1
    assert_only_our_cookies(jar)
