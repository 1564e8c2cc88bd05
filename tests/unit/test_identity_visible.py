"""The ``identity`` and ``session`` events, ``explain()`` and the hand-off rules, in CPython.

The browser runs them in tests/e2e/test_identity_visible.py; here each rule is
checked on an in-memory page, with a clock the test moves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from analytics_identity.api.client import Analytics
from analytics_identity.host import MemoryHost
from analytics_identity.host.page import PageInfo
from analytics_identity.identity.handoff import CrossDomain
from analytics_identity.identity.session import ACCESS_KEY, SESSION_KEY
from analytics_identity.options.settings import cross_domain_option, session_timeout
from tests.documented import ROOT, fenced
from tests.unit.identity_hosts import CountingJar, CountingStorage

IDENTITY_DOC = ROOT / "docs" / "identity.md"
NOBODY = {"anonymousId": None, "userId": None, "groupId": None}


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def listening(host: MemoryHost, options: dict[str, Any] | None = None) -> tuple[Analytics, list[dict[str, Any]]]:
    """A page whose listeners were added before its start, as the snippet's buffered ones are."""
    analytics = Analytics(host, "key", options, start=False)
    told: list[dict[str, Any]] = []
    analytics.on("identity", told.append)
    analytics.on("session", lambda change: told.append({"session": change}))
    analytics.start()
    return analytics, told


def test_listeners_need_no_start_and_hear_the_mint() -> None:
    host = MemoryHost()
    analytics = Analytics(host, "key", start=False)
    ran: list[bool] = []
    analytics.start_pending = lambda: ran.append(True)
    told: list[dict[str, Any]] = []
    analytics.on("identity", told.append)
    assert ran == []  # on() did not start the instance
    analytics.start_pending = None
    analytics.start()
    assert [change["reason"] for change in told] == ["minted"] and told[0]["previous"] == NOBODY


def test_restored_and_synced_at_start() -> None:
    host = MemoryHost()
    host.local_storage.set_item("ajs_anonymous_id", '"kept"')
    host.local_storage.set_item("ajs_user_id", '"local-user"')
    host.cookies.jar["ajs_user_id"] = "cookie-user"
    _, told = listening(host)
    assert [(c["reason"], c["previous"]) for c in told] == [
        ("restored", NOBODY),
        ("synced", {"anonymousId": "kept", "userId": "local-user", "groupId": None}),
    ]
    assert told[-1]["userId"] == "cookie-user"
    assert host.local_storage.get_item("ajs_user_id") == '"cookie-user"'


def test_agreeing_stores_tell_nothing() -> None:
    host = MemoryHost()
    Analytics(host, "key")
    _, told = listening(host)
    assert told == []


def test_classic_sio_cookie_is_restored() -> None:
    host = MemoryHost()
    host.cookies.jar["_sio"] = "old-visitor----old-user"
    analytics, told = listening(host)
    assert [c["reason"] for c in told] == ["restored"] and told[0]["anonymousId"] == "old-visitor"
    assert analytics.user().explain()["anonymousId"]["source"] == "cookie"


def test_calls_and_their_reasons() -> None:
    host = MemoryHost()
    analytics, told = listening(host)
    analytics.setAnonymousId("chosen")
    analytics.track("Clicked", {}, {"anonymousId": "optioned"})
    analytics.identify("u1")
    analytics.identify("u2")  # a new user: the anonymousId is refreshed within the same change
    analytics.group("g1")
    analytics.queryString("?ajs_aid=from-query&ajs_uid=u3")
    analytics.reset()
    analytics.track("After")
    assert [c["reason"] for c in told] == ["minted", "setAnonymousId", "options", "identify", "identify",
                                           "identify", "query", "reset", "minted"]
    refreshed = told[4]
    assert refreshed["previous"]["userId"] == "u1" and refreshed["userId"] == "u2"
    assert refreshed["anonymousId"] not in (None, "optioned")
    assert told[7] == {**NOBODY, "previous": {"anonymousId": "from-query", "userId": "u3", "groupId": "g1"},
                       "reason": "reset"}


def test_a_cookie_changed_between_calls_is_external() -> None:
    host = MemoryHost()
    analytics, told = listening(host)
    host.cookies.jar["ajs_user_id"] = "someone"  # page code, another tab or the server
    assert analytics.user().id() == "someone"
    assert told[-1]["reason"] == "external" and told[-1]["userId"] == "someone"
    assert analytics.user().explain()["userId"]["changed"]["reason"] == "external"


def test_debug_logs_each_change_with_its_reason() -> None:
    host = MemoryHost()
    analytics, _ = listening(host)
    analytics.debug(True)
    analytics.setAnonymousId("x")
    assert any(line.startswith("identity changed (setAnonymousId)") for line in host.logs)


def test_group_explain_is_json_safe() -> None:
    host = MemoryHost()
    analytics, _ = listening(host)
    analytics.group("g1", {"plan": "pro"})
    report = analytics.group().explain()
    assert set(report) == {"groupId", "traits", "consent", "persistence"}
    assert report["groupId"]["value"] == "g1" and report["groupId"]["source"] == "call"
    assert report["traits"]["value"] == {"plan": "pro"}
    json.dumps(report)


def test_the_documented_python_example_runs() -> None:
    result = subprocess.run([sys.executable, "-c", fenced("example:identity-python", IDENTITY_DOC)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# -- the hand-off ------------------------------------------------------------------------------------

RULES = CrossDomain(("one.test", "two.test"), 120)


def test_a_fresh_hand_off_from_a_listed_referrer_is_adopted() -> None:
    landing = RULES.land(f"?a=1&ajs_xid={RULES.value('visitor', 1000)}&b=2", "http://a.one.test/", 1060)
    assert landing == ("visitor", None, "?a=1&b=2")


@pytest.mark.parametrize(("search", "referrer", "now", "warning"), [
    ("?ajs_xid=1000000.visitor", "", 1000 + 121, "stale"),
    ("?ajs_xid=1000000.visitor", "", 900, "stale"),  # from the future
    ("?ajs_xid=visitor", "", 1000, "malformed"),
    ("?ajs_xid=1000000.", "", 1000, "malformed"),
    ("?ajs_xid=1000000.a&ajs_xid=1000000.b", "", 1000, "malformed"),
    ("?ajs_xid=1000000.visitor", "https://elsewhere.example/", 1000, "not a crossDomain domain"),
])
def test_stale_malformed_or_foreign_hand_offs_are_ignored(search: str, referrer: str, now: float,
                                                          warning: str) -> None:
    landing = RULES.land(search, referrer, now)
    assert landing.anonymous_id is None and warning in (landing.warning or "") and landing.search == ""


def test_links_lead_away_only_to_other_listed_hosts() -> None:
    assert RULES.leads_away("http://b.two.test/x", "a.one.test")
    assert RULES.leads_away("https://one.test/", "a.one.test")  # another host of a listed domain
    assert not RULES.leads_away("http://a.one.test/x", "a.one.test")
    assert not RULES.leads_away("http://evil.test/x", "a.one.test")
    assert not RULES.leads_away("mailto:a@two.test", "a.one.test")


def test_landing_adopts_as_linked_and_asks_the_address_be_cleaned() -> None:
    clock = Clock()
    host = MemoryHost(clock=clock, page_info=PageInfo(
        search=f"?ajs_xid={RULES.value('handed', clock.now - 5)}", referrer="http://a.one.test/"))
    analytics = Analytics(host, "key", {"crossDomain": {"domains": ["one.test", "two.test"]}}, start=False)
    told: list[dict[str, Any]] = []
    analytics.on("identity", told.append)
    cleaned: list[str] = []
    analytics.identity.replace_search = cleaned.append
    analytics.start()
    assert [c["reason"] for c in told] == ["linked"] and told[0]["anonymousId"] == "handed"
    assert cleaned == [""]


@pytest.mark.parametrize("option", [{"domains": []}, {"domains": "one.test"}, ["one.test"]])
def test_a_bad_cross_domain_option_turns_the_hand_off_off(option: Any) -> None:
    warnings: list[str] = []
    assert cross_domain_option(option, warnings.append) is None and len(warnings) == 1


# -- sessions ----------------------------------------------------------------------------------------


def test_sessions_new_renewed_timeout_and_reset_in_the_plugins_keys() -> None:
    clock = Clock()
    host = MemoryHost(clock=clock)
    analytics, told = listening(host, {"session": {"timeout": 60_000}})
    first = round(clock.now * 1000)
    assert analytics.user().sessionId() == first
    clock.now += 59  # activity within the timeout renews
    assert analytics.track("A")["event"]["integrations"] == {"Actions Amplitude": {"session_id": first}}
    assert host.local_storage.get_item(ACCESS_KEY) == str(first + 59_000)
    clock.now += 60  # a full timeout since the last event
    second = analytics.track("B")["event"]["integrations"]["Actions Amplitude"]["session_id"]
    assert second == first + 119_000
    clock.now += 1
    analytics.reset()
    sessions = [c["session"] for c in told if "session" in c]
    assert [(s["reason"], s["previous"]) for s in sessions] == [("new", None), ("timeout", first),
                                                                ("reset", second)]
    assert host.local_storage.get_item(SESSION_KEY) == str(second + 1000)


def test_a_session_is_not_stamped_where_the_plugin_would_not() -> None:
    host = MemoryHost()
    analytics, _ = listening(host, {"session": {"timeout": 60_000}})
    event = analytics.track("A", {}, {"integrations": {"All": False}})["event"]
    assert "Actions Amplitude" not in event["integrations"]


def test_session_values_written_by_analytics_next_are_read() -> None:
    clock = Clock()
    host = MemoryHost(clock=clock)
    started = round(clock.now * 1000) - 1000
    host.local_storage.set_item(SESSION_KEY, str(started))
    host.local_storage.set_item(ACCESS_KEY, str(started))
    analytics, told = listening(host, {"session": {"timeout": 60_000}})
    assert analytics.user().sessionId() == started and not [c for c in told if "session" in c]


def test_sessions_are_off_by_default_and_a_bad_option_warns() -> None:
    assert Analytics(MemoryHost(), "key").user().sessionId() is None
    warnings: list[str] = []
    assert session_timeout({"timeout": -1}, warnings.append) == 30 * 60 * 1000 and len(warnings) == 1


def test_an_anonymous_id_refreshed_by_identify_was_minted() -> None:
    host = MemoryHost()
    analytics, told = listening(host)
    analytics.identify("u1")
    analytics.identify("u2")
    explained = analytics.user().explain()["anonymousId"]
    assert explained["source"] == "minted" and explained["changed"]["reason"] == "identify"
    assert told[-1]["reason"] == "identify"


def test_a_change_another_tab_made_is_told_when_the_page_looks_and_nothing_is_written() -> None:
    """The browser's ``storage`` event makes the page look (``reread_ids``): the change is told
    at once, and looking repairs nothing (a repair between two of the other tab's writes,
    which reach the page one by one, would bring back an id that tab had just removed)."""
    jar, storage = CountingJar(), CountingStorage()
    here = Analytics(MemoryHost(cookies=jar, local_storage=storage), "key")
    told: list[dict[str, Any]] = []
    here.on("identity", told.append)
    there = Analytics(MemoryHost(cookies=jar, local_storage=storage), "key")
    there.identify("u-5")
    written = (len(jar.written), storage.writes)
    here.reread_ids()
    assert [(c["reason"], c["userId"], c["previous"]["userId"]) for c in told] == [("external", "u-5", None)]
    assert (len(jar.written), storage.writes) == written
    storage.remove_item("ajs_user_id")  # the other tab's reset, half arrived: the cookie still says u-5
    written = (len(jar.written), storage.writes)
    here.reread_ids()
    assert told[1:] == [] and (len(jar.written), storage.writes) == written
