"""Stores and the priority list: first value wins, the cookie wins disagreements, failures are skipped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import pytest

from analytics_identity.api.entry import PageCode
from analytics_identity.storage.codec import CookieAttributes
from analytics_identity.storage import CookieHeader, LocalStorageStore, MemoryStore, PageStores, PriorityStorage
from tests.unit.identity_hosts import (
    CountingJar,
    CountingStorage,
    FullStorage,
    RefusingJar,
    ThrowingJar,
    ThrowingStorage,
)

NOW = datetime.now(timezone.utc).timestamp()


class Page:
    """The three stores of one page over a jar and a localStorage, plus the warnings."""

    def __init__(self, jar: CountingJar | None = None, storage: CountingStorage | None = None,
                 attributes: CookieAttributes | None = None) -> None:
        self.jar = jar or CountingJar()
        self.storage = storage or CountingStorage()
        self.warnings: list[str] = []
        self.snapshot = CookieHeader(self.jar)
        self.page = PageStores(self.snapshot, self.storage, attributes or CookieAttributes(), lambda: NOW,
                               self.warnings.append)
        self.cookie, self.local, self.memory = self.page.cookie, self.page.local_storage, self.page.memory

    def stores(self, *names: str) -> PriorityStorage:
        return self.page.priority(names or ("cookie", "localStorage", "memory"))

    @contextmanager
    def call(self, read_now: bool = False) -> Iterator[None]:
        """One public call, as its entry brackets it."""
        self.snapshot.enter(read_now)
        try:
            yield
        finally:
            self.snapshot.exit()


def test_first_store_with_a_value_wins_and_every_store_is_written() -> None:
    page = Page()
    ids = page.stores()
    ids.set("ajs_user_id", "u1")
    assert page.jar.get("ajs_user_id") == "u1"
    assert page.storage.items["ajs_user_id"] == '"u1"'
    assert page.memory.get("ajs_user_id") == "u1"
    page.memory.set("ajs_user_id", None)
    assert ids.get("ajs_user_id") == "u1"


def test_on_disagreement_the_cookie_wins_and_every_store_is_rewritten() -> None:
    page = Page()
    page.jar.jar["ajs_anonymous_id"] = "from-cookie"
    page.storage.items["ajs_anonymous_id"] = '"from-local"'
    page.memory.set("ajs_anonymous_id", "from-memory")
    # Even when localStorage comes first in the priority order (analytics-next issue #706).
    ids = page.stores("localStorage", "cookie", "memory")
    assert ids.get_and_sync("ajs_anonymous_id") == "from-cookie"
    assert page.storage.items["ajs_anonymous_id"] == '"from-cookie"'
    assert page.memory.get("ajs_anonymous_id") == "from-cookie"


def test_cookie_missing_is_restored_from_local_storage() -> None:
    page = Page()
    page.storage.items["ajs_anonymous_id"] = '"returning"'
    assert page.stores().get_and_sync("ajs_anonymous_id") == "returning"
    assert page.jar.get("ajs_anonymous_id") == "returning"


def test_a_blanked_cookie_counts_as_missing() -> None:
    page = Page()
    page.jar.jar["ajs_anonymous_id"] = ""
    page.storage.items["ajs_anonymous_id"] = '"kept"'
    assert page.stores().get_and_sync("ajs_anonymous_id") == "kept"
    assert page.jar.get("ajs_anonymous_id") == "kept"


def test_clean_decides_what_counts_and_stores_holding_something_else_are_rewritten() -> None:
    page = Page()
    page.storage.items["ajs_user_id"] = "1234"  # a number, as classic stored it
    value = page.stores().get_and_sync("ajs_user_id", lambda v: None if v is None else str(v))
    assert value == "1234"
    assert page.storage.items["ajs_user_id"] == '"1234"'
    assert page.jar.get("ajs_user_id") == "%221234%22"


def test_nothing_anywhere_reads_none_and_writes_nothing() -> None:
    page = Page()
    assert page.stores().get_and_sync("ajs_user_id") is None
    assert page.jar.written == [] and page.storage.writes == 0


def test_cookie_is_written_only_on_change_and_renewed_once_per_page() -> None:
    page = Page()
    ids = page.stores()
    ids.set("ajs_anonymous_id", "a")
    ids.set("ajs_anonymous_id", "a")
    for _ in range(5):
        ids.get_and_sync("ajs_anonymous_id")
    assert len(page.jar.ours()) == 1
    ids.set("ajs_anonymous_id", "b")
    assert len(page.jar.ours()) == 2
    # The next page renews each cookie once, on first read.
    reload = Page(jar=page.jar, storage=page.storage)
    for _ in range(5):
        reload.stores().get_and_sync("ajs_anonymous_id")
    assert len(page.jar.ours()) == 3 and page.jar.ours()[-1].startswith("ajs_anonymous_id=b; expires=")


def test_local_storage_is_not_rewritten_when_it_agrees() -> None:
    page = Page()
    ids = page.stores()
    ids.set("ajs_user_id", "u")
    writes = page.storage.writes
    for _ in range(5):
        ids.get_and_sync("ajs_user_id")
    assert page.storage.writes == writes


def test_the_header_is_parsed_again_only_when_it_changed() -> None:
    page = Page()
    page.jar.jar["ajs_user_id"] = "u"
    parsed = page.snapshot.values()
    assert page.cookie.get("ajs_user_id") == "u"
    assert page.snapshot.values() is parsed
    page.jar.jar["ajs_user_id"] = "v"
    assert page.snapshot.values() is not parsed and page.cookie.get("ajs_user_id") == "v"


def test_domain_is_probed_once_per_page_widest_first_and_the_probe_removed() -> None:
    jar = CountingJar(hostname="a.b.example.co.uk", public_suffixes=frozenset({"uk", "co.uk"}))
    page = Page(jar=jar)
    ids = page.stores()
    ids.set("ajs_anonymous_id", "a")
    ids.set("ajs_user_id", "u")
    probes = [c for c in jar.written if c.startswith("__tld__=")]
    # co.uk refused, example.co.uk accepted then expired; never probed again.
    assert [c.split("domain=")[1].split(";")[0] for c in probes] == ["co.uk", "example.co.uk", "example.co.uk"]
    assert "__tld__" not in jar.jar
    assert all("domain=example.co.uk" in c for c in jar.ours())


@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1", "intranet"])
def test_ips_localhost_and_single_labels_get_host_only_cookies_without_probing(hostname: str) -> None:
    jar = CountingJar(hostname=hostname, jar={"other": "1"})
    page = Page(jar=jar)
    page.stores().set("ajs_anonymous_id", "a")
    assert jar.written == [jar.written[0]] and "domain=" not in jar.written[0]


def test_configured_domain_is_used_without_probing() -> None:
    jar = CountingJar(hostname="www.example.com")
    page = Page(jar=jar, attributes=CookieAttributes.from_options({"domain": "example.com"}))
    page.stores().set("ajs_anonymous_id", "a")
    assert len(jar.written) == 1 and "domain=example.com" in jar.written[0]


def test_removing_expires_the_domain_cookie_and_a_host_only_copy() -> None:
    jar = CountingJar(hostname="www.example.com")
    page = Page(jar=jar)
    ids = page.stores()
    ids.set("ajs_user_id", "u")
    ids.set("ajs_user_id", None)
    assert "ajs_user_id" not in jar.jar
    removals = [c for c in jar.ours() if c.startswith("ajs_user_id=;")]
    assert len(removals) == 2 and "domain=example.com" in removals[0] and "domain=" not in removals[1]


def test_refused_cookies_are_found_on_first_write_then_skipped_with_one_warning() -> None:
    page = Page(jar=RefusingJar())
    ids = page.stores()
    ids.set("ajs_anonymous_id", "a")
    written = len(page.jar.written)
    for _ in range(5):
        ids.set("ajs_user_id", "u")
        assert ids.get_and_sync("ajs_anonymous_id") == "a"
    assert len(page.jar.written) == written  # skipped from then on
    assert page.storage.items["ajs_anonymous_id"] == '"a"'
    assert len(page.warnings) == 1 and "cookie is unavailable" in page.warnings[0]


@pytest.mark.parametrize("storage", [ThrowingStorage(), None])
def test_a_store_that_throws_is_skipped_with_one_warning_and_memory_works(storage: CountingStorage | None) -> None:
    page = Page(jar=ThrowingJar(), storage=storage)
    ids = page.stores()
    traits = page.stores("localStorage", "memory")
    for _ in range(3):
        ids.set("ajs_user_id", "u")
        assert ids.get_and_sync("ajs_user_id") == "u"
        traits.set("ajs_user_traits", {"a": 1})
        assert traits.get("ajs_user_traits") == {"a": 1}
    reads = page.jar.reads
    ids.get_and_sync("ajs_user_id")
    assert page.jar.reads == reads  # a store that cannot be read is not touched again
    expected = {"cookie"} | ({"localStorage"} if storage else set())
    assert len(page.warnings) == len(expected)
    assert {w.split(" ")[0] for w in page.warnings} == expected


def test_a_full_local_storage_warns_once_and_keeps_being_read() -> None:
    storage = FullStorage(items={"ajs_user_traits": '{"old":1}'})
    page = Page(storage=storage)
    traits = page.stores("localStorage", "memory")
    traits.set("ajs_user_traits", {"new": 1})
    traits.set("ajs_user_traits", {"newer": 1})
    assert traits.get("ajs_user_traits") == {"old": 1}  # reads still work
    assert page.memory.get("ajs_user_traits") == {"newer": 1}
    assert len(page.warnings) == 1 and "write failed" in page.warnings[0]


def test_an_oversized_cookie_removes_the_stale_one_and_stays_in_the_other_stores() -> None:
    page = Page()
    ids = page.stores()
    ids.set("ajs_user_id", "old")
    big = "é" * 2000
    ids.set("ajs_user_id", big)
    assert page.jar.get("ajs_user_id") is None
    assert ids.get_and_sync("ajs_user_id") == big
    assert any("4096" in w for w in page.warnings)


def test_local_storage_reads_json_and_raw_strings() -> None:
    storage = CountingStorage(items={"a": '"json"', "b": "abc-def", "c": '{"x":1}', "d": "1234"})
    local = LocalStorageStore(storage)
    assert [local.get(k) for k in "abcd"] == ["json", "abc-def", {"x": 1}, 1234]


def test_local_storage_refuses_values_json_cannot_hold() -> None:
    page = Page()
    traits = page.stores("localStorage", "memory")
    traits.set("ajs_user_traits", {"when": datetime(2026, 1, 1)})
    assert "ajs_user_traits" not in page.storage.items
    assert page.memory.get("ajs_user_traits") == {"when": datetime(2026, 1, 1)}
    assert len(page.warnings) == 1 and "not JSON" in page.warnings[0]


def test_memory_hands_out_copies() -> None:
    memory = MemoryStore()
    traits: dict[str, Any] = {"a": {"b": 1}}
    memory.set("t", traits)
    traits["a"]["b"] = 2
    memory.get("t")["a"]["b"] = 3
    assert memory.get("t") == {"a": {"b": 1}}


def test_once_the_stores_agree_a_read_touches_only_the_cookie_while_it_holds_the_value() -> None:
    page = Page()
    ids = page.stores()
    page.storage.items["ajs_anonymous_id"] = '"a"'
    assert ids.get_and_sync("ajs_anonymous_id") == "a"  # restores the cookie: stores now agree
    reads = page.storage.reads
    for _ in range(5):
        assert ids.get_and_sync("ajs_anonymous_id") == "a"
    assert page.storage.reads == reads
    page.jar.jar.pop("ajs_anonymous_id")  # removed elsewhere: the full read comes back
    assert ids.get_and_sync("ajs_anonymous_id") == "a" and page.storage.reads > reads
    page.jar.jar["ajs_anonymous_id"] = "changed-in-another-tab"
    assert ids.get_and_sync("ajs_anonymous_id") == "changed-in-another-tab"
    assert page.storage.items["ajs_anonymous_id"] == '"changed-in-another-tab"'


def test_a_call_reads_the_header_once_and_a_write_drops_the_copy() -> None:
    page = Page()
    ids = page.stores()
    ids.set("ajs_user_id", "u")
    ids.set("ajs_anonymous_id", "a")
    reads = page.jar.reads
    with page.call(read_now=True):
        assert page.jar.reads == reads + 1
        assert ids.get_and_sync("ajs_user_id") == "u"
        assert ids.get_and_sync("ajs_anonymous_id") == "a"
    assert page.jar.reads == reads + 1
    with page.call():
        ids.get_and_sync("ajs_user_id")
        ids.set("ajs_user_id", "v")  # the write drops the copy: the next read sees it
        assert ids.get_and_sync("ajs_user_id") == "v"
    page.jar.jar["ajs_user_id"] = "outside"
    assert ids.get_and_sync("ajs_user_id") == "outside"  # nothing held outside a call


def test_the_copy_is_dropped_for_page_code_and_when_an_inner_call_ends() -> None:
    page = Page()
    ids = page.stores("cookie")
    page.jar.jar["ajs_user_id"] = "v1"

    def listener() -> None:
        with page.call():  # that calls analytics
            assert ids.get("ajs_user_id") == "v2"
        page.jar.jar["ajs_user_id"] = "v3"
        assert ids.get("ajs_user_id") == "v3"  # the inner call's end dropped the copy
        page.jar.jar["ajs_user_id"] = "v4"
        assert ids.get("ajs_user_id") == "v4"  # and nothing is held while page code runs

    with page.call():
        assert ids.get("ajs_user_id") == "v1"
        page.jar.jar["ajs_user_id"] = "v2"  # page code assigned document.cookie itself
        assert ids.get("ajs_user_id") == "v1"  # held
        PageCode(listener, page.snapshot)()
        reads = page.jar.reads
        assert ids.get("ajs_user_id") == "v4" and ids.get("ajs_user_id") == "v4"
        assert page.jar.reads == reads + 1  # held again once the page code returned


def test_reading_now_from_a_jar_that_cannot_read_fails_where_the_core_reads() -> None:
    page = Page(jar=ThrowingJar())
    ids = page.stores()
    with page.call(read_now=True):
        assert ids.get("ajs_user_id") is None
    assert page.jar.reads == 2
    assert any("cookie is unavailable" in warning for warning in page.warnings)


def test_a_cookie_value_is_decoded_once_per_header_and_handed_out_as_a_copy() -> None:
    page = Page()
    page.jar.jar["ajs_user"] = "%7B%22id%22%3A%22u%22%7D"  # {"id":"u"}, as classic analytics.js wrote it
    first = page.cookie.get("ajs_user")
    assert first == {"id": "u"}
    first["id"] = "changed by the caller"
    assert page.cookie.get("ajs_user") == {"id": "u"}
    page.jar.jar["ajs_user"] = "%7B%22id%22%3A%22v%22%7D"
    assert page.cookie.get("ajs_user") == {"id": "v"}
