"""User and Group on the shared Entity base: accessors, identify, logout, reset, legacy cookies."""

from __future__ import annotations

import re

import pytest

from analytics_identity.identity.entity import normalize_id
from tests.unit.identity_hosts import cookie, host, local, page

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EVERY_KEY = ["ajs_anonymous_id", "ajs_user_id", "ajs_user_traits", "ajs_group_id", "ajs_group_properties"]


@pytest.mark.parametrize(("value", "text"), [(12345, "12345"), (12.0, "12"), (1.5, "1.5"), ("abc", "abc")])
def test_numeric_ids_become_strings(value: object, text: str) -> None:
    assert normalize_id(value) == text


def test_accessors_read_without_argument_set_with_one_and_clear_with_none() -> None:
    on = host()
    analytics = page(on)
    for entity in (analytics.user(), analytics.group()):
        assert entity.id() is None
        assert entity.id(42) == "42" and entity.id() == "42"
        assert entity.id(None) is None and entity.id() is None
        assert entity.traits({"a": 1}) == {"a": 1} and entity.traits() == {"a": 1}
        assert entity.traits({}) == {} and entity.traits() == {}
    user = analytics.user()
    assert user.anonymousId("x") == "x"
    assert user.anonymousId(None) is None
    assert cookie(on, "ajs_anonymous_id") is None and local(on, "ajs_anonymous_id") is None
    fresh = user.anonymousId()
    assert UUID4.match(fresh) and cookie(on, "ajs_anonymous_id") == fresh


def test_traits_empty_object_clears_cached_traits_in_every_store() -> None:
    on = host()
    analytics = page(on)
    analytics.user().traits({"plan": "pro"})
    analytics.group().traits({"size": 3})
    analytics.user().traits({})
    analytics.group().traits({})
    assert local(on, "ajs_user_traits") == {} and local(on, "ajs_group_properties") == {}
    assert page(on).user().traits() == {} and page(on).group().traits() == {}


def test_bad_values_are_refused_with_a_warning_and_identity_kept() -> None:
    on = host()
    user = page(on).user()
    user.id("kept")
    user.traits({"kept": True})
    assert user.id(["no"]) == "kept"
    assert user.id("   ") == "kept"
    assert user.traits("no") == {"kept": True}
    assert user.anonymousId({"no": 1}) == user.anonymousId()
    assert len(on.warnings) == 4


def test_identify_without_id_keeps_the_user_and_merges() -> None:
    user = page(host()).user()
    user.identify("u1", {"a": 1})
    user.identify(None, {"b": 2})
    assert user.id() == "u1" and user.traits() == {"a": 1, "b": 2}


def test_identify_the_same_user_again_writes_nothing() -> None:
    on = host()
    user = page(on).user()
    user.identify("u1", {"a": 1})
    cookies, local_writes = len(on.cookies.written), on.local_storage.writes  # type: ignore[attr-defined]
    user.identify("u1", {"a": 1})
    user.identify("u1")
    assert len(on.cookies.written) == cookies  # type: ignore[attr-defined]
    assert on.local_storage.writes == local_writes  # type: ignore[attr-defined]


def test_setters_do_not_read_the_cookie_back_after_writing() -> None:
    """A ``document.cookie`` read right after a write is a slow round trip in Chromium."""
    on = host()
    user = page(on).user()
    user.id("u1")
    log: list[str] = []
    read, write = on.cookies.read, on.cookies.write  # type: ignore[attr-defined]
    on.cookies.read = lambda: log.append("read") or read()  # type: ignore[attr-defined,method-assign]
    on.cookies.write = lambda c: log.append("write") or write(c)  # type: ignore[attr-defined,method-assign]
    group = page(on).group()
    for call in (lambda: user.anonymousId("a2"), lambda: group.id("g2"), lambda: user.id(None)):
        log.clear()
        call()
        assert "write" in log and "read" not in log[log.index("write"):], log
    assert user.id() is None and user.anonymousId() == "a2" and group.id() == "g2"


def test_anonymous_id_changes_only_when_one_user_id_replaces_another() -> None:
    user = page(host()).user()
    first = user.anonymousId()
    user.identify("u1")
    user.identify("u1", {"x": 1})
    assert user.anonymousId() == first
    user.identify("u2")
    second = user.anonymousId()
    assert second != first and UUID4.match(second)


def test_group_change_does_not_touch_the_anonymous_id() -> None:
    analytics = page(host())
    anonymous = analytics.user().anonymousId()
    analytics.group().id("g1")
    analytics.group().id("g2")
    assert analytics.user().anonymousId() == anonymous


def test_reset_removes_every_key_of_user_and_group_from_every_store() -> None:
    on = host()
    analytics = page(on)
    analytics.identify("u1", {"name": "Jane"})
    analytics.group("g1", {"plan": "pro"})
    before = analytics.user().anonymousId()
    assert all(local(on, key) is not None for key in EVERY_KEY)
    analytics.reset()
    for key in EVERY_KEY:
        assert cookie(on, key) is None and local(on, key) is None, key
    assert analytics.user().id() is None and analytics.group().id() is None
    assert analytics.user().traits() == {} and analytics.group().traits() == {}
    assert analytics.user().anonymousId() != before


def test_legacy_cookies_are_imported_once_only_where_empty() -> None:
    on = host()
    on.cookies.jar["ajs_user"] = "%7B%22id%22%3A%22old%22%7D"  # type: ignore[attr-defined]
    on.cookies.jar["ajs_user_id"] = "current"  # type: ignore[attr-defined]
    user = page(on).user()
    assert user.id() == "current"  # analytics-next would take the legacy id (and drop the anonymousId)
    user.id(None)
    assert user.id() is None  # no fallback to the legacy cookie once the user logged out


def test_plain_string_ajs_user_cookie_is_an_id() -> None:
    on = host()
    on.cookies.jar["ajs_user"] = "legacy-user"  # type: ignore[attr-defined]
    assert page(on).user().id() == "legacy-user"


def test_reset_deletes_legacy_cookies_so_they_cannot_come_back() -> None:
    on = host()
    on.cookies.jar["ajs_user"] = "%7B%22id%22%3A%22old%22%7D"  # type: ignore[attr-defined]
    on.cookies.jar["_sio"] = "sio-anon----old"  # type: ignore[attr-defined]
    analytics = page(on)
    assert analytics.user().id() == "old" and analytics.user().anonymousId() == "sio-anon"
    analytics.reset()
    assert cookie(on, "ajs_user") is None and cookie(on, "_sio") is None
    reloaded = page(on)
    assert reloaded.user().id() is None and reloaded.user().anonymousId() != "sio-anon"


def test_identity_change_never_brings_back_the_sio_anonymous_id() -> None:
    on = host()
    on.cookies.jar["_sio"] = "sio-anon----old"  # type: ignore[attr-defined]
    user = page(on).user()
    user.id("a")
    user.id("b")
    assert user.anonymousId() != "sio-anon"
