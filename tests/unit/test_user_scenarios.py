"""analytics-next's own user tests (``core/user/__tests__``), under each storage mode.

Modes: cookies on; cookies off (the browser refuses them); cookies and
localStorage off (both throw); persistence off (``user.persist: false``,
and ``disableClientPersistence``). Each scenario states what must hold in
every mode and what is stored where; a reload is a new page on the same host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from analytics_identity.api.client import Analytics
from analytics_identity.host import MemoryHost

from tests.unit.identity_hosts import (
    CountingJar,
    CountingStorage,
    RefusingJar,
    ThrowingJar,
    ThrowingStorage,
    cookie,
    host,
    local,
    page,
    raw_local,
)

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Mode:
    name: str
    jar: Callable[[], CountingJar]
    storage: Callable[[], CountingStorage]
    options: dict[str, Any]
    cookies: bool  # values land in cookies
    local: bool  # values land in localStorage

    @property
    def persists(self) -> bool:
        return self.cookies or self.local

    def host(self) -> MemoryHost:
        return host(jar=self.jar(), storage=self.storage())

    def page(self, on: MemoryHost, **options: Any) -> Analytics:
        return page(on, {**self.options, **options})


MODES = [
    Mode("cookies on", CountingJar, CountingStorage, {}, True, True),
    Mode("cookies off", RefusingJar, CountingStorage, {}, False, True),
    Mode("cookies and localStorage off", ThrowingJar, ThrowingStorage, {}, False, False),
    Mode("persist false", CountingJar, CountingStorage, {"user": {"persist": False}, "group": {"persist": False}}, False, False),
    Mode("disableClientPersistence", CountingJar, CountingStorage, {"disableClientPersistence": True}, False, False),
]


@pytest.fixture(params=MODES, ids=[m.name for m in MODES])
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param


def stored(on: MemoryHost, mode: Mode, key: str, value: Any) -> None:
    """``value`` is where the mode keeps it, and nowhere else."""
    assert cookie(on, key) == (value if mode.cookies else None)
    assert local(on, key) == (value if mode.local else None)


def no_cookie_writes(on: MemoryHost) -> bool:
    return on.cookies.ours() == []  # type: ignore[attr-defined]


# -- construction ------------------------------------------------------------------


def test_anonymous_id_is_minted_when_missing(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    anonymous = user.anonymousId()
    assert anonymous and UUID4.match(anonymous)
    assert user.anonymousId() == anonymous
    stored(on, mode, "ajs_anonymous_id", anonymous)
    if mode.local:
        assert len(raw_local(on, "ajs_anonymous_id")) == 38  # JSON-quoted
    if not mode.cookies:
        assert no_cookie_writes(on) or isinstance(on.cookies, RefusingJar)


def test_old_sio_anonymous_id_is_picked_unless_one_is_present(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["_sio"] = "anonymous-id----user-id"  # type: ignore[attr-defined]
    expected = "anonymous-id" if mode.cookies else None
    anonymous = mode.page(on).user().anonymousId()
    assert anonymous == expected if expected else UUID4.match(anonymous)
    if mode.cookies:
        on.cookies.jar["ajs_anonymous_id"] = "new-anonymous-id"  # type: ignore[attr-defined]
        assert mode.page(on).user().anonymousId() == "new-anonymous-id"


def test_an_existing_anonymous_id_is_not_overwritten(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["ajs_anonymous_id"] = "anonymous"  # type: ignore[attr-defined]
    on.local_storage.items["ajs_anonymous_id"] = '"anonymous"'  # type: ignore[attr-defined]
    anonymous = mode.page(on).user().anonymousId()
    assert anonymous == "anonymous" if mode.persists else UUID4.match(anonymous)


# -- #id -----------------------------------------------------------------------------


def test_id_is_null_by_default_and_set_then_get(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    assert user.id() is None
    assert user.id("id") == "id"
    assert user.id() == "id"
    stored(on, mode, "ajs_user_id", "id")


def test_id_survives_a_reload_only_when_persisted(mode: Mode) -> None:
    on = mode.host()
    mode.page(on).user().id("id")
    assert mode.page(on).user().id() == ("id" if mode.persists else None)


def test_id_is_read_from_the_stores(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["ajs_user_id"] = "from-cookie"  # type: ignore[attr-defined]
    on.local_storage.items["ajs_user_id"] = '"from-local"'  # type: ignore[attr-defined]
    expected = "from-cookie" if mode.cookies else "from-local" if mode.local else None
    assert mode.page(on).user().id() == expected


def test_integer_ids_are_parsed_to_strings(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["ajs_user_id"] = "1234"  # type: ignore[attr-defined]
    on.local_storage.items["ajs_user_id"] = "1234"  # type: ignore[attr-defined]
    user = mode.page(on).user()
    assert user.id() == ("1234" if mode.persists else None)
    assert user.id(5678) == "5678" and user.id() == "5678"
    if mode.cookies:
        assert cookie(on, "ajs_user_id") == "5678"  # a string for every reader, not a number
    assert local(on, "ajs_user_id") == ("5678" if mode.local else 1234)  # untouched where not used


def test_anonymous_id_is_kept_when_the_user_had_no_previous_id(mode: Mode) -> None:
    user = mode.page(mode.host()).user()
    previous = user.anonymousId()
    for _ in range(3):
        user.id("foo")
    assert user.anonymousId() == previous


def test_anonymous_id_is_refreshed_when_the_user_id_changes(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    user.anonymousId("bla")
    user.id("foo")
    assert user.anonymousId() == "bla"
    user.id("baz")
    fresh = user.anonymousId()
    assert fresh != "bla" and UUID4.match(fresh)
    stored(on, mode, "ajs_anonymous_id", fresh)


def test_anonymous_id_is_kept_when_the_user_id_changes_to_null(mode: Mode) -> None:
    user = mode.page(mode.host()).user()
    previous = user.anonymousId()
    user.id("foo")
    user.id(None)
    assert user.anonymousId() == previous and user.id() is None


# -- #anonymousId -----------------------------------------------------------------------


def test_anonymous_id_set_and_read(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    assert user.anonymousId("anon-id") == "anon-id"
    assert user.anonymousId() == "anon-id"
    stored(on, mode, "ajs_anonymous_id", "anon-id")


def test_anonymous_id_without_quotes_in_local_storage(mode: Mode) -> None:
    on = mode.host()
    on.local_storage.items["ajs_anonymous_id"] = "abc-def"  # type: ignore[attr-defined]
    anonymous = mode.page(on).user().anonymousId()
    assert anonymous == "abc-def" if mode.local else UUID4.match(anonymous)


def test_local_storage_fallback_disabled_keeps_ids_out_of_local_storage(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on, user={**mode.options.get("user", {}), "localStorageFallbackDisabled": True}).user()
    user.anonymousId("anon0")
    user.id("id")
    assert local(on, "ajs_anonymous_id") is None and local(on, "ajs_user_id") is None
    assert cookie(on, "ajs_anonymous_id") == ("anon0" if mode.cookies else None)
    assert user.anonymousId() == "anon0"


def test_cookie_value_is_copied_to_local_storage(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    on.cookies.jar["ajs_anonymous_id"] = "anon1"  # type: ignore[attr-defined]
    if mode.cookies:
        assert user.anonymousId() == "anon1"
        assert local(on, "ajs_anonymous_id") == "anon1"
    else:
        assert user.anonymousId() != "anon1"


def test_falls_back_to_local_storage_when_the_cookie_is_gone_and_restores_it(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    user.anonymousId("anon12")
    on.cookies.jar.pop("ajs_anonymous_id", None)  # type: ignore[attr-defined]
    assert user.anonymousId() == "anon12"
    stored(on, mode, "ajs_anonymous_id", "anon12")


def test_a_new_anonymous_id_is_written_to_every_store(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    user.anonymousId("bla")
    user.anonymousId(None)
    fresh = user.anonymousId()
    assert fresh != "bla" and UUID4.match(fresh)
    stored(on, mode, "ajs_anonymous_id", fresh)


# -- #traits ------------------------------------------------------------------------------


def test_traits_get_set_and_default(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    assert user.traits() == {}
    user.traits({"trait": True})
    assert user.traits() == {"trait": True}
    assert local(on, "ajs_user_traits") == ({"trait": True} if mode.local else None)
    assert cookie(on, "ajs_user_traits") is None  # traits never go in a cookie
    user.traits(None)
    assert user.traits() == {}


def test_traits_are_read_from_local_storage_and_kept_on_reload(mode: Mode) -> None:
    on = mode.host()
    on.local_storage.items["ajs_user_traits"] = '{"trait":true}'  # type: ignore[attr-defined]
    assert mode.page(on).user().traits() == ({"trait": True} if mode.local else {})
    user = mode.page(on).user()
    user.traits({"other": 1})
    assert mode.page(on).user().traits() == ({"other": 1} if mode.local else {})


# -- #save: analytics.js classic's save() is implicit: every change is stored -------------


def test_save_stores_the_id_where_the_mode_allows(mode: Mode) -> None:
    on = mode.host()
    mode.page(on).user().id("id")
    stored(on, mode, "ajs_user_id", "id")
    if not mode.cookies and not isinstance(on.cookies, RefusingJar):
        assert no_cookie_writes(on)


def test_fallback_disabled_does_not_read_an_old_local_storage_id() -> None:
    on = host()
    mode_page = page(on)
    mode_page.user().id("id")
    on.cookies.jar.pop("ajs_user_id")  # type: ignore[attr-defined]
    user = page(on, {"user": {"localStorageFallbackDisabled": True}}).user()
    assert user.id() is None
    user.id("foo")
    assert user.id() == "foo" and local(on, "ajs_user_id") == "id"


# -- #logout -------------------------------------------------------------------------------


def test_logout_clears_id_anonymous_id_and_traits(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    user.id("id")
    user.anonymousId("anon-id")
    user.traits({"trait": True})
    user.logout()
    assert cookie(on, "ajs_anonymous_id") is None and cookie(on, "ajs_user_id") is None
    assert local(on, "ajs_user_id") is None
    assert local(on, "ajs_user_traits") == ({} if mode.local else None)
    assert user.id() is None and user.traits() == {}
    assert user.anonymousId() != "anon-id"


# -- #identify ------------------------------------------------------------------------------


def test_identify_saves_an_id_and_traits(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    user.identify("id", {"trait": True})
    assert user.id() == "id" and user.traits() == {"trait": True}
    stored(on, mode, "ajs_user_id", "id")
    assert local(on, "ajs_user_traits") == ({"trait": True} if mode.local else None)


def test_identify_without_id_saves_traits(mode: Mode) -> None:
    user = mode.page(mode.host()).user()
    user.identify(None, {"trait": True})
    assert user.id() is None and user.traits() == {"trait": True}


def test_identify_extends_existing_traits(mode: Mode) -> None:
    user = mode.page(mode.host()).user()
    user.traits({"one": 1})
    user.identify("id", {"two": 2})
    assert user.traits() == {"one": 1, "two": 2}
    user.identify("id", {"one": "uno"})
    assert user.traits() == {"one": "uno", "two": 2}


def test_identify_replaces_traits_for_a_new_id(mode: Mode) -> None:
    on = mode.host()
    user = mode.page(on).user()
    user.id("id")
    user.traits({"one": 1})
    user.identify("new", {"two": 2})
    assert user.traits() == {"two": 2}
    user.identify("newer")
    assert user.traits() == {}
    assert local(on, "ajs_user_traits") == ({} if mode.local else None)


# -- #load ------------------------------------------------------------------------------------


def test_load_an_empty_user(mode: Mode) -> None:
    user = mode.page(mode.host()).user()
    assert user.id() is None and user.traits() == {}


def test_load_an_id_from_a_cookie(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["ajs_user_id"] = "le%20id"  # type: ignore[attr-defined]
    assert mode.page(on).user().id() == ("le id" if mode.cookies else None)


def test_load_from_the_old_ajs_user_cookie(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["ajs_user"] = "%7B%22id%22%3A%22old%22%2C%22traits%22%3A%7B%22trait%22%3Atrue%7D%7D"  # type: ignore[attr-defined]
    user = mode.page(on).user()
    if mode.cookies:
        assert user.id() == "old" and user.traits() == {"trait": True}
        assert cookie(on, "ajs_user_id") == "old" and local(on, "ajs_user_traits") == {"trait": True}
    else:
        assert user.id() is None and user.traits() == {}


def test_load_preserves_the_cookie_options(mode: Mode) -> None:
    on = mode.host()
    mode.page(on, cookie={"domain": "localhost", "maxage": 200}).user().anonymousId("anon-id")
    if mode.cookies:
        written = [c for c in on.cookies.ours() if c.startswith("ajs_anonymous_id=anon-id")]  # type: ignore[attr-defined]
        assert written and "domain=localhost" in written[-1] and "SameSite=Lax" in written[-1]


# -- storage -------------------------------------------------------------------------------------


def test_custom_storage_priority(mode: Mode) -> None:
    on = mode.host()
    on.cookies.jar["ajs_anonymous_id"] = "CookieValue"  # type: ignore[attr-defined]
    on.local_storage.items["ajs_anonymous_id"] = '"localStorageValue"'  # type: ignore[attr-defined]
    user = mode.page(on, storage={"stores": ["cookie", "localStorage", "memory"]}).user()
    expected = "CookieValue" if mode.cookies else "localStorageValue" if mode.local else None
    anonymous = user.anonymousId()
    assert anonymous == expected if expected else UUID4.match(anonymous)


def test_persist_false_overrides_custom_storage() -> None:
    on = host()
    user = page(on, {"storage": {"stores": ["cookie", "localStorage", "memory"]}, "user": {"persist": False}}).user()
    user.id("id")
    assert user.id() == "id"
    assert cookie(on, "ajs_user_id") is None and local(on, "ajs_user_id") is None
    assert on.cookies.written == []  # type: ignore[attr-defined]


# -- group ---------------------------------------------------------------------------------------


def test_group_keeps_id_and_traits_across_a_reload(mode: Mode) -> None:
    on = mode.host()
    group = mode.page(on).group()
    group.id("gid")
    group.traits({"trait": True})
    reloaded = mode.page(on).group()
    assert reloaded.id() == ("gid" if mode.persists else None)
    assert reloaded.traits() == ({"trait": True} if mode.local else {})


def test_group_id_falls_back_to_local_storage(mode: Mode) -> None:
    on = mode.host()
    group = mode.page(on).group()
    group.id("gid")
    on.cookies.jar.pop("ajs_group_id", None)  # type: ignore[attr-defined]
    assert group.id() == "gid"
    stored(on, mode, "ajs_group_id", "gid")


def test_group_behaves_like_user_with_its_own_keys_and_no_anonymous_id(mode: Mode) -> None:
    on = mode.host()
    analytics = mode.page(on)
    analytics.user().id("uid")
    analytics.group().identify("gid", {"coolkids": True})
    assert analytics.user().id() == "uid" and analytics.group().id() == "gid"
    stored(on, mode, "ajs_group_id", "gid")
    stored(on, mode, "ajs_user_id", "uid")
    assert local(on, "ajs_group_properties") == ({"coolkids": True} if mode.local else None)
    assert local(on, "ajs_user_traits") is None
    assert not hasattr(analytics.group(), "anonymousId")


def test_custom_cookie_params_and_keys() -> None:
    on = host()
    user = page(on, {"cookie": {"maxage": 200, "path": "/", "sameSite": "Lax"},
                     "user": {"cookie": {"key": "my_uid"}, "localStorage": {"key": "my_traits"}}}).user()
    user.identify("some_id", {"trait": True})
    assert cookie(on, "my_uid") == "some_id" and cookie(on, "ajs_user_id") is None
    assert local(on, "my_traits") == {"trait": True}
    assert user.id() == "some_id" and user.traits() == {"trait": True}


def test_group_options_custom_keys_and_persist() -> None:
    on = host()
    analytics = page(on, {"group": {"cookie": {"key": "my_gid"}, "localStorage": {"key": "my_gprops"}}})
    analytics.group().identify("gid", {"plan": "pro"})
    assert cookie(on, "my_gid") == "gid" and local(on, "my_gid") == "gid" and cookie(on, "ajs_group_id") is None
    assert local(on, "my_gprops") == {"plan": "pro"} and local(on, "ajs_group_properties") is None
    on = host()
    analytics = page(on, {"group": {"persist": False}, "user": {"localStorageFallbackDisabled": True}})
    analytics.group().identify("gid", {"plan": "pro"})
    analytics.user().id("uid")
    assert cookie(on, "ajs_group_id") is None and local(on, "ajs_group_id") is None
    assert analytics.group().id() == "gid" and analytics.group().traits() == {"plan": "pro"}
    assert cookie(on, "ajs_user_id") == "uid" and local(on, "ajs_user_id") is None


def test_entity_storage_option_overrides_the_page_order() -> None:
    on = host()
    analytics = page(on, {"user": {"storage": {"stores": ["localStorage"]}}})
    analytics.user().id("uid")
    analytics.group().id("gid")
    assert cookie(on, "ajs_user_id") is None and local(on, "ajs_user_id") == "uid"
    assert cookie(on, "ajs_group_id") == "gid"
