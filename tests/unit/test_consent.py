"""Consent applied to a page: nothing written or sent before a decision, grant, deny, revoke, GPC, disable, anonymizeIp.

A reload is a new :class:`Analytics` on the same host (jar and localStorage),
as in :mod:`tests.unit.identity_hosts`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from analytics_identity.api.client import Analytics
from analytics_identity.delivery import ITEM_PREFIX, LEASE_PREFIX, ManualTimers, MemoryTransport, Network
from analytics_identity.host import MemoryHost
from tests.unit.identity_hosts import cookie, host, local

REQUIRED = {"consent": {"required": True}}
UPDATED = "Segment Consent Preference Updated"


class Page:
    """One page load on ``on``: the instance, what it sent, its clock."""

    def __init__(self, on: MemoryHost, options: dict[str, Any] | None = None) -> None:
        self.on = on
        self.transport = MemoryTransport()
        self.timers = ManualTimers(start=1_000_000.0)
        self.analytics = Analytics(on, "write-key", options or {}, Network(self.transport, self.timers))

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.transport.sent

    def writes(self) -> tuple[int, int]:
        """Cookie strings assigned and localStorage writes so far."""
        return len(self.on.cookies.written), self.on.local_storage.writes  # type: ignore[attr-defined]


def untouched(on: MemoryHost) -> bool:
    return on.cookies.written == [] and on.local_storage.writes == 0  # type: ignore[attr-defined]


def pending_page(on: MemoryHost) -> tuple[Page, str]:
    """A page waiting for consent that made a page, an identify and a group call; its anonymousId."""
    page = Page(on, REQUIRED)
    anonymous = page.analytics.user().anonymousId()
    page.analytics.page()
    page.analytics.identify("u1", {"plan": "pro"})
    page.analytics.group("g1", {"name": "Acme"})
    return page, anonymous


def test_pending_writes_nothing_sends_nothing_and_keeps_one_anonymous_id_in_memory() -> None:
    on = host()
    page, anonymous = pending_page(on)
    a = page.analytics
    a.track("Clicked")
    a.setAnonymousId(anonymous)
    events = [a.track("Later")["event"]]
    page.timers.advance(3600)
    assert untouched(on) and page.sent == [] and page.timers.pending == 0
    assert events[0]["anonymousId"] == anonymous and events[0]["userId"] == "u1"
    assert a.user().traits() == {"plan": "pro"} and a.group().id() == "g1"
    assert "consent" not in events[0]["context"]
    assert a.consent() == {"state": "pending", "categoryPreferences": {}, "gpc": False}


def test_grant_persists_the_identity_in_memory_at_once_and_sends_held_events_once_stamped() -> None:
    on = host()
    page, anonymous = pending_page(on)
    a = page.analytics
    assert a.consent(True) == {"state": "granted", "categoryPreferences": {"Analytics": True}, "gpc": False}
    assert cookie(on, "ajs_anonymous_id") == anonymous and local(on, "ajs_anonymous_id") == anonymous
    assert cookie(on, "ajs_user_id") == "u1" and local(on, "ajs_user_traits") == {"plan": "pro"}
    assert cookie(on, "ajs_group_id") == "g1" and local(on, "ajs_group_properties") == {"name": "Acme"}
    assert [e["type"] for e in page.sent] == ["page", "identify", "group"]
    assert {e["anonymousId"] for e in page.sent} == {anonymous}
    assert all(e["context"]["consent"] == {"categoryPreferences": {"Analytics": True}} for e in page.sent)
    a.track("After")
    page.timers.advance(60)
    assert [e["type"] for e in page.sent] == ["page", "identify", "group", "track"]
    assert len({e["messageId"] for e in page.sent}) == 4
    assert [k for k in on.local_storage.items if k.startswith(ITEM_PREFIX)] == []  # type: ignore[attr-defined]


def test_pending_drop_drops_what_was_made_before_the_grant() -> None:
    page = Page(host(), {"consent": {"required": True, "pending": "drop"}})
    page.analytics.track("Before")
    page.analytics.consent({"Analytics": True})
    page.analytics.track("After")
    assert [e["event"] for e in page.sent] == ["After"]


def test_deny_drops_held_events_removes_every_owned_key_and_keeps_identity_in_memory() -> None:
    on = host()
    first = Page(on)  # an earlier page, before the site asked for consent
    first.analytics.identify("u1", {"plan": "pro"})
    anonymous = first.analytics.user().anonymousId()
    on.cookies.jar["ajs_other"] = "1"  # type: ignore[attr-defined]
    on.local_storage.items.update({ITEM_PREFIX + "m1": "{}", LEASE_PREFIX + "t1": "1", "site": "x"})  # type: ignore[attr-defined]
    page = Page(on, REQUIRED)
    page.analytics.track("Held")
    assert page.analytics.consent(False)["state"] == "denied"
    assert on.cookies.jar == {} and on.local_storage.items == {"site": "x"}  # type: ignore[attr-defined]
    assert page.analytics.user().anonymousId() == anonymous and page.analytics.user().id() == "u1"
    event = page.analytics.track("Denied")["event"]
    assert event["anonymousId"] == anonymous and event["context"]["consent"]["categoryPreferences"] == {"Analytics": False}
    page.timers.advance(3600)
    assert page.sent == [] and on.cookies.jar == {} and page.timers.pending == 0  # type: ignore[attr-defined]


def test_revoke_after_grant_removes_the_keys_and_sends_nothing_more_and_a_new_grant_restores_them() -> None:
    on = host()
    page = Page(on, REQUIRED)
    a = page.analytics
    a.consent(True)
    a.identify("u1")
    anonymous = a.user().anonymousId()
    sent = len(page.sent)
    a.consent(False)
    assert on.cookies.jar == {} and on.local_storage.items == {}  # type: ignore[attr-defined]
    a.track("After revoke")
    a.identify("u1", {"plan": "pro"})
    page.timers.advance(3600)
    assert len(page.sent) == sent and on.cookies.jar == {} and on.local_storage.items == {}  # type: ignore[attr-defined]
    assert a.user().anonymousId() == anonymous and a.user().id() == "u1"
    a.consent(True)
    assert cookie(on, "ajs_user_id") == "u1" and cookie(on, "ajs_anonymous_id") == anonymous
    assert local(on, "ajs_user_traits") == {"plan": "pro"}


def test_a_revoke_leaves_a_retry_queue_of_nothing() -> None:
    on = host()
    page = Page(on, REQUIRED)
    page.transport.send = lambda request, done: None  # type: ignore[method-assign]  # never answered
    page.analytics.consent(True)
    page.analytics.track("Stuck")
    assert any(k.startswith(ITEM_PREFIX) for k in on.local_storage.items)  # type: ignore[attr-defined]
    page.analytics.consent(False)
    page.timers.advance(3600)
    assert on.local_storage.items == {} and page.timers.pending == 0  # type: ignore[attr-defined]


def test_each_change_after_a_grant_sends_one_update_event_stamped_with_the_new_preferences() -> None:
    page = Page(host(), REQUIRED)
    a = page.analytics
    a.consent(True)
    a.consent(True)
    assert [e.get("event") for e in page.sent] == []
    a.consent({"Advertising": False})
    updates = [e for e in page.sent if e.get("event") == UPDATED]
    assert len(updates) == 1
    assert updates[0]["context"]["consent"]["categoryPreferences"] == {"Analytics": True, "Advertising": False}
    a.consent(False)
    assert len([e for e in page.sent if e.get("event") == UPDATED]) == 1  # a revoke sends nothing


def test_without_required_nothing_changes_but_decisions_stamp_events() -> None:
    on = host()
    page = Page(on)
    a = page.analytics
    assert cookie(on, "ajs_anonymous_id") is not None
    a.track("Before")
    a.consent(False)
    a.track("After")
    a.identify("u1")
    assert [e.get("event") for e in page.sent] == ["Before", "After", None]
    assert "consent" not in page.sent[0]["context"]
    assert page.sent[1]["context"]["consent"] == {"categoryPreferences": {"Analytics": False}}
    assert cookie(on, "ajs_user_id") == "u1"


def test_consent_survives_a_reload_only_as_the_page_passes_it() -> None:
    on = host()
    granted = Page(on, REQUIRED)
    granted.analytics.consent(True)
    anonymous = granted.analytics.user().anonymousId()
    on.cookies.written.clear()  # type: ignore[attr-defined]
    on.local_storage.writes = 0  # type: ignore[attr-defined]
    reloaded = Page(on, REQUIRED)  # the site's consent tool has not answered yet
    reloaded.analytics.track("On reload")
    assert reloaded.analytics.user().anonymousId() == anonymous  # read, not renewed
    assert untouched(on) and reloaded.sent == []
    reloaded.analytics.consent(True)
    assert [(e["event"], e["anonymousId"]) for e in reloaded.sent] == [("On reload", anonymous)]


def test_events_queued_by_an_earlier_page_wait_for_the_decision() -> None:
    on = host()
    earlier = Page(on)
    earlier.transport.send = lambda request, done: None  # type: ignore[method-assign]  # never answered
    earlier.analytics.track("Left behind")
    earlier.analytics.delivery.page_hide()
    page = Page(on, REQUIRED)
    page.timers.advance(3600)
    assert page.sent == []
    page.analytics.consent(True)
    page.timers.advance(5)
    assert [e["event"] for e in page.sent] == ["Left behind"]


def test_reset_while_pending_clears_the_stored_identity_once_granted() -> None:
    on = host()
    Page(on).analytics.identify("u1")
    page = Page(on, REQUIRED)
    page.analytics.reset()
    fresh = page.analytics.user().anonymousId()
    assert page.analytics.user().id() is None and cookie(on, "ajs_user_id") == "u1"
    page.analytics.consent(True)
    assert cookie(on, "ajs_user_id") is None and cookie(on, "ajs_anonymous_id") == fresh


def test_gpc_stamps_events_and_forces_advertising_false() -> None:
    on = host()
    on.gpc = True
    page = Page(on, REQUIRED)
    page.analytics.consent({"Analytics": True, "Advertising": True})
    event = page.analytics.track("Seen")["event"]
    assert event["context"]["consent"] == {"categoryPreferences": {"Analytics": True, "Advertising": False}, "gpc": True}
    assert page.analytics.consent()["gpc"] is True and cookie(on, "ajs_anonymous_id") is not None


def test_gpc_deny_is_a_full_denial_from_the_load() -> None:
    on = host()
    Page(on).analytics.identify("u1")
    on.gpc = True
    page = Page(on, {"consent": {"gpc": "deny"}})
    assert on.cookies.jar == {} and on.local_storage.items == {}  # type: ignore[attr-defined]
    assert page.analytics.user().id() == "u1"
    page.analytics.consent(True)
    page.analytics.track("Never sent")
    page.timers.advance(3600)
    assert page.sent == [] and on.cookies.jar == {} and page.analytics.consent()["state"] == "denied"  # type: ignore[attr-defined]


def test_anonymize_ip_sets_context_ip_on_every_event_held_ones_too() -> None:
    page = Page(host(), {"anonymizeIp": True, **REQUIRED})
    page.analytics.page()
    page.analytics.consent(True)
    page.analytics.track("Clicked", {}, {"context": {"ip": "203.0.113.9"}})
    assert [e["context"]["ip"] for e in page.sent] == ["0.0.0.0", "0.0.0.0"]


def test_disable_stores_nothing_and_sends_nothing_even_after_a_grant() -> None:
    on = host()
    page = Page(on, {"disable": True})
    context = page.analytics.track("Clicked")
    page.analytics.identify("u1")
    page.analytics.consent(True)
    page.timers.advance(3600)
    assert context["event"]["event"] == "Clicked" and page.analytics.user().id() == "u1"
    assert untouched(on) and page.sent == []


@pytest.mark.parametrize("value", [None, "yes", [True], {"Analytics": "yes"}])
def test_a_bad_consent_value_is_ignored_with_a_warning(value: Any) -> None:
    on = host()
    page = Page(on, REQUIRED)
    assert page.analytics.consent(value) is None
    assert page.analytics.consent()["state"] == "pending" and "consent ignored" in on.warnings[-1]


def test_many_held_events_keep_the_newest_hundred() -> None:
    on = host()
    page = Page(on, REQUIRED)
    for n in range(105):
        page.analytics.track(f"E{n}")
    page.analytics.consent(True)
    assert [e["event"] for e in page.sent] == [f"E{n}" for n in range(5, 105)]
    assert sum("wait for consent" in w for w in on.warnings) == 1


def test_python_callers_get_the_same_method() -> None:
    page = Page(host(), REQUIRED)
    assert page.analytics.consent({"Analytics": True})["state"] == "granted"
    assert json.loads(json.dumps(page.analytics.consent()))["categoryPreferences"] == {"Analytics": True}
