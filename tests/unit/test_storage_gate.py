"""The storage gate: closed, writes stay in memory (and win reads); opened, they are saved; forbidden, kept in memory."""

from __future__ import annotations

from analytics_identity.host import MemoryStorage
from analytics_identity.storage import CookieHeader, CookieStore, LocalStorageStore, MemoryStore, PriorityStorage, StoreFailures
from analytics_identity.storage.codec import CookieAttributes
from analytics_identity.storage.gate import GatedStorage, StorageGate, remove_owned
from tests.unit.identity_hosts import CountingJar, CountingStorage
from tests.unit.test_store import NOW


class GatedPage:
    """Cookie, localStorage and memory behind one gate."""

    def __init__(self, open: bool) -> None:
        self.jar, self.storage = CountingJar(), CountingStorage()
        self.warnings: list[str] = []
        self.gate = StorageGate(open)
        self.cookie = CookieStore(CookieHeader(self.jar), CookieAttributes(), lambda: NOW, self.warnings.append)
        self.failures = StoreFailures(self.warnings.append)

    def stores(self, *keys: str) -> PriorityStorage:
        return PriorityStorage([self.cookie, LocalStorageStore(self.storage), MemoryStore()], self.failures,
                               self.cookie, gate=self.gate, keys=keys)


def test_a_closed_gate_writes_nothing_and_reads_what_was_set() -> None:
    page = GatedPage(open=False)
    ids = page.stores()
    ids.set("ajs_user_id", "u1")
    assert ids.get("ajs_user_id") == "u1" and ids.get_and_sync("ajs_user_id") == "u1"
    assert page.jar.written == [] and page.storage.writes == 0


def test_a_closed_gate_reads_existing_values_without_repairing_or_renewing_them() -> None:
    page = GatedPage(open=False)
    page.jar.jar["ajs_anonymous_id"] = "a1"  # left by an earlier page; localStorage lost it
    ids = page.stores()
    assert ids.get_and_sync("ajs_anonymous_id") == "a1"
    assert ids.get_and_sync("ajs_anonymous_id") == "a1"
    assert page.jar.written == [] and page.storage.writes == 0


def test_what_was_set_while_closed_wins_over_the_stores_even_a_removal() -> None:
    page = GatedPage(open=False)
    page.jar.jar["ajs_user_id"] = "old"
    ids = page.stores()
    ids.set("ajs_user_id", "new")
    assert ids.get_and_sync("ajs_user_id") == "new"
    ids.set("ajs_user_id", None)
    assert ids.get_and_sync("ajs_user_id") is None and ids.get("ajs_user_id") is None
    assert page.jar.jar["ajs_user_id"] == "old"


def test_opening_saves_what_was_set_meanwhile_at_once() -> None:
    page = GatedPage(open=False)
    page.jar.jar["ajs_group_id"] = "g-old"
    ids = page.stores()
    ids.set("ajs_user_id", "u1")
    ids.set("ajs_group_id", None)
    page.gate.allow()
    assert page.jar.get("ajs_user_id") == "u1" and page.storage.items["ajs_user_id"] == '"u1"'
    assert "ajs_group_id" not in page.jar.jar
    ids.set("ajs_user_id", "u2")  # open now: written straight through
    assert page.jar.get("ajs_user_id") == "u2"


def test_forbidding_keeps_the_values_in_memory_even_those_never_read() -> None:
    page = GatedPage(open=True)
    page.jar.jar["ajs_group_id"] = "g1"
    ids = page.stores("ajs_group_id")
    ids.set("ajs_user_id", "u1")
    page.gate.forbid()
    remove_owned(page.cookie, page.storage, (), lambda name, error: None)
    assert page.jar.jar == {} and page.storage.items == {}
    assert ids.get_and_sync("ajs_user_id") == "u1" and ids.get_and_sync("ajs_group_id") == "g1"
    written = len(page.jar.written)
    ids.set("ajs_user_id", "u2")
    assert ids.get("ajs_user_id") == "u2" and len(page.jar.written) == written and page.storage.items == {}


def test_remove_owned_takes_every_ajs_key_and_the_named_ones_only() -> None:
    page = GatedPage(open=False)
    page.jar.jar.update({"ajs_anonymous_id": "a", "ajs_user": "{}", "_sio": "a----u", "my_uid": "u", "theirs": "1"})
    page.storage.items.update({"ajs_identity_queue:m1": "{}", "ajs_identity_lease:t1": "1", "ajs_user_traits": "{}",
                               "my_traits": "{}", "theirs": "1"})
    remove_owned(page.cookie, page.storage, {"_sio", "my_uid", "my_traits"}, lambda name, error: None)
    assert page.jar.jar == {"theirs": "1"} and page.storage.items == {"theirs": "1"}


def test_the_queue_store_skips_writes_and_removals_while_closed() -> None:
    backend = MemoryStorage({"ajs_identity_queue:m1": "{}"})
    gate = StorageGate(open=False)
    queue = GatedStorage(backend, gate)
    queue.set_item("ajs_identity_queue:m2", "{}")
    queue.remove_item("ajs_identity_queue:m1")
    assert backend.items == {"ajs_identity_queue:m1": "{}"} and queue.keys() == ["ajs_identity_queue:m1"]
    gate.allow()
    queue.set_item("ajs_identity_queue:m2", "{}")
    assert queue.get_item("ajs_identity_queue:m2") == "{}"
