"""Calls a page left before it was ready: each taken once, oldest first (bridge/handover.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from analytics_identity.api.client import Analytics
from analytics_identity.bridge.handover import PREFIX, calls_to_replay, take_all
from analytics_identity.host.memory import MemoryHost, MemoryStorage
from analytics_identity.host.page import PageInfo
from analytics_identity.storage.gate import GatedStorage, StorageGate


def stored(storage: MemoryStorage, when: int, calls: object) -> str:
    key = f"{PREFIX}{when}:r{when}"
    storage.set_item(key, calls if isinstance(calls, str) else json.dumps(calls))
    return key


def gated(storage: MemoryStorage, open: bool = True) -> GatedStorage:
    return GatedStorage(storage, StorageGate(open))


def test_take_removes_the_key_and_a_second_take_finds_nothing() -> None:
    storage = MemoryStorage()
    key = stored(storage, 1700000000000, [["track", "A"]])
    assert gated(storage).take(key) == '[["track", "A"]]'
    assert gated(storage).take(key) is None
    assert storage.keys() == []


def test_take_all_returns_every_page_s_calls_oldest_first_and_leaves_other_keys() -> None:
    storage = MemoryStorage()
    stored(storage, 1700000000200, [["track", "Second"]])
    stored(storage, 1700000000100, [["page"], ["track", "First", {"a": 1}]])
    storage.set_item("ajs_anonymous_id", '"abc"')
    warnings: list[str] = []
    assert take_all(gated(storage), warnings.append) == [["page"], ["track", "First", {"a": 1}], ["track", "Second"]]
    assert storage.keys() == ["ajs_anonymous_id"]
    assert take_all(gated(storage), warnings.append) == []
    assert warnings == []


def test_unreadable_calls_are_dropped_with_one_warning_each() -> None:
    storage = MemoryStorage()
    stored(storage, 1700000000100, "{not json")
    stored(storage, 1700000000200, {"not": "a list"})
    stored(storage, 1700000000300, [["track", "Kept"]])
    warnings: list[str] = []
    assert take_all(gated(storage), warnings.append) == [["track", "Kept"]]
    assert len(warnings) == 2 and all("unreadable" in w for w in warnings)
    assert storage.keys() == []


def test_an_event_made_at_an_earlier_time_carries_that_time_as_its_timestamp() -> None:
    host = MemoryHost(page_info=PageInfo(path="/left", called_at=datetime(2026, 1, 2, 3, 4, 5, 678000, timezone.utc)))
    event = Analytics(host, "key").track("Bounce")["event"]
    assert event["timestamp"] == "2026-01-02T03:04:05.678Z"
    assert event["context"]["page"]["path"] == "/left"


def test_a_page_replays_what_others_left_first_then_its_own_calls_still_kept_under_their_key() -> None:
    storage = MemoryStorage()
    earlier = stored(storage, 1700000000100, [["track", "Earlier page"]])
    mine = stored(storage, 1700000000200, [["track", "Mine, kept"]])
    taken = f"{PREFIX}1700000000300:gone"  # a key another page took already
    own = [(["on", "track"], None), (["track", "Mine, kept"], mine), (["track", "Taken"], taken), (["page"], None)]
    calls = calls_to_replay(gated(storage), own, [].append)
    assert calls == [["track", "Earlier page"], ["on", "track"], ["track", "Mine, kept"], ["page"]]
    assert storage.keys() == [] and earlier not in storage.items


def test_without_persistence_storage_is_not_read() -> None:
    own = [(["track", "A"], f"{PREFIX}1:x")]
    assert calls_to_replay(None, own, [].append) == [["track", "A"]]


def test_a_throwing_store_keeps_the_page_s_own_calls_without_another_warning() -> None:
    class Refusing(MemoryStorage):
        def keys(self) -> list[str]:
            raise PermissionError("SecurityError")

    warnings: list[str] = []
    calls = calls_to_replay(gated(Refusing()), [(["track", "A"], None)], warnings.append)
    assert calls == [["track", "A"]] and warnings == []


def test_while_consent_does_not_allow_storing_nothing_is_taken_and_the_page_s_own_calls_all_run() -> None:
    storage = MemoryStorage()
    earlier = stored(storage, 1700000000100, [["track", "Earlier page"]])
    mine = stored(storage, 1700000000200, [["track", "Mine, kept"]])
    taken = f"{PREFIX}1700000000300:gone"
    own = [(["track", "Mine, kept"], mine), (["track", "Taken"], taken), (["page"], None)]
    calls = calls_to_replay(gated(storage, open=False), own, [].append)
    assert calls == [["track", "Mine, kept"], ["track", "Taken"], ["page"]]
    assert sorted(storage.keys()) == [earlier, mine]  # they wait for a page that may take them
