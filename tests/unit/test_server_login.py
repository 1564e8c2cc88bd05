"""Login and logout on the server: the page's next load ends where the browser core's own calls would.

Each test runs a page of the core on a fake browser (cookie jar and
localStorage), then a server request on the same cookies that logs in or
out, applies its ``Set-Cookie`` headers to the jar, loads the next page and
compares it with a twin browser that made the same call itself.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from analytics_identity import Analytics
from analytics_identity.identity.server_login import SERVER_LOGIN_COOKIE
from analytics_identity.server import RequestIdentity
from analytics_identity.server.identity_cookies import IdentityCookies
from tests.documented import ROOT, fenced
from tests.unit.identity_hosts import host, local, page, raw_cookie

HOST = "shop.example.com"


def header(on: Any) -> str:
    return on.cookies.read()


def respond(on: Any, view: Any, content_type: str = "application/json") -> tuple[RequestIdentity, list[str]]:
    """One request of the browser ``on`` to a view; the response's cookies land in its jar."""
    cookies = IdentityCookies()
    identity, allowed = cookies.request(header(on))
    assert allowed
    view(identity)
    set_cookies = cookies.set_cookies(identity, HOST, content_type, [])
    for value in set_cookies:
        on.cookies.write(value)
    return identity, set_cookies


def state(on: Any) -> dict[str, Any]:
    analytics = page(on)
    user, group = analytics.user(), analytics.group()
    return {"userId": user.id(), "traits": user.traits(), "groupId": group.id(), "groupTraits": group.traits(),
            "anonymousId": user.anonymousId()}


def visited(traits: dict[str, Any] | None = None, user: str | None = "u-1") -> Any:
    """A browser whose page identified ``user`` with ``traits`` and joined a group."""
    on = host(HOST)
    analytics = page(on)
    if user is not None:
        analytics.identify(user, traits or {"name": "Jane"})
    analytics.group("g-1", {"plan": "team"})
    return on


@pytest.mark.parametrize(("user_id", "traits"), [("u-1", {"plan": "pro"}), ("u-2", {"plan": "pro"}), ("u-2", None),
                                                 (None, {"plan": "pro"})])
def test_a_server_identify_ends_where_the_page_s_identify_would(user_id: str | None, traits: dict | None) -> None:
    browser, server = visited(), visited()
    before = state(server)
    page(browser).identify(user_id, traits)
    expected = state(browser)

    identity, _ = respond(server, lambda identity: identity.identify(user_id, traits))
    after = state(server)
    assert {k: v for k, v in after.items() if k != "anonymousId"} == {k: v for k, v in expected.items()
                                                                      if k != "anonymousId"}
    changed = user_id not in (None, "u-1")
    assert (after["anonymousId"] != before["anonymousId"]) is changed  # a different user: a fresh anonymousId
    assert after["anonymousId"] == identity.anonymous_id  # the one the server minted and reported
    assert raw_cookie(server, SERVER_LOGIN_COOKIE) is None  # applied once
    assert state(server) == after  # and the page after next agrees


def test_a_server_reset_ends_where_analytics_reset_would() -> None:
    on = visited()
    on.cookies.write("ajs_user=%7B%22id%22%3A%22old%22%7D; path=/")  # classic's cookie must not bring the user back
    identity, _ = respond(on, lambda identity: identity.reset())
    assert identity.user_id is None and identity.group_id is None
    after = state(on)
    assert after == {"userId": None, "traits": {}, "groupId": None, "groupTraits": {},
                     "anonymousId": identity.anonymous_id}
    for key in ("ajs_user_id", "ajs_user_traits", "ajs_group_id", "ajs_group_properties"):
        assert local(on, key) is None
    assert raw_cookie(on, "ajs_user") is None
    assert IdentityCookies().request(header(on))[0].user_id is None  # the server reads the same


def test_a_login_on_a_new_visitor_keeps_the_anonymous_id_the_server_minted() -> None:
    on = host(HOST)
    identity, _ = respond(on, lambda identity: identity.identify("user_123", {"plan": "pro"}))
    assert state(on) == {"userId": "user_123", "traits": {"plan": "pro"}, "groupId": None, "groupTraits": {},
                         "anonymousId": identity.anonymous_id}


def test_two_server_calls_before_the_page_loads_fold_into_one() -> None:
    on = visited()
    respond(on, lambda identity: identity.reset())
    respond(on, lambda identity: identity.identify("u-2", {"a": 1}))
    identity, _ = respond(on, lambda identity: identity.identify("u-2", {"b": 2}))
    assert state(on) == {"userId": "u-2", "traits": {"a": 1, "b": 2}, "groupId": None, "groupTraits": {},
                         "anonymousId": identity.anonymous_id}


def test_a_request_without_login_sets_nothing_but_documents_ids() -> None:
    on = visited()
    assert respond(on, lambda identity: None)[1] == []
    assert [c.split("=", 1)[0] for c in respond(on, lambda identity: None, "text/html")[1]] == [
        "ajs_anonymous_id", "ajs_user_id", "ajs_group_id"]


def test_bad_input_is_logged_and_keeps_the_visitor(caplog: pytest.LogCaptureFixture) -> None:
    on = visited()
    with caplog.at_level(logging.WARNING, "analytics_identity"):
        identity, _ = respond(on, lambda identity: identity.identify({"not": "an id"}, {"ok": 1, "bad": object()}))
    assert identity.user_id == "u-1"
    assert state(on)["traits"] == {"name": "Jane", "ok": 1}
    assert "identify id ignored" in caplog.text and "traits" in caplog.text


def test_traits_too_large_for_a_cookie_stay_out_and_the_login_holds(caplog: pytest.LogCaptureFixture) -> None:
    on = visited()
    with caplog.at_level(logging.WARNING, "analytics_identity"):
        _, cookies = respond(on, lambda identity: identity.identify("u-2", {"bio": "x" * 5000}))
    assert all(len(c.encode()) <= 4096 for c in cookies)
    assert state(on)["userId"] == "u-2" and state(on)["traits"] == {}  # a new user: the old traits are gone
    assert "over 4096 bytes" in caplog.text


def test_a_refusing_allow_keeps_the_server_from_logging_in(caplog: pytest.LogCaptureFixture) -> None:
    cookies = IdentityCookies(allow=lambda jar: False)
    identity, allowed = cookies.request("")
    with caplog.at_level(logging.WARNING, "analytics_identity"):
        identity.identify("u-1")
    assert not allowed and identity.user_id is None and "allow() refused" in caplog.text


def test_a_broken_message_is_ignored_with_a_warning() -> None:
    on = visited()
    on.cookies.write(f"{SERVER_LOGIN_COOKIE}=%5B1%5D; path=/")
    analytics = page(on)
    assert analytics.user().id() == "u-1"
    assert raw_cookie(on, SERVER_LOGIN_COOKIE) is None
    assert any(SERVER_LOGIN_COOKIE in message for message in on.warnings)


def test_the_documented_login_and_logout_run_as_written() -> None:
    identity, _ = IdentityCookies().request("")
    first = identity.anonymous_id
    request = SimpleNamespace(state=SimpleNamespace(analytics_identity=identity))
    exec(fenced("example:server-login", ROOT / "docs" / "server.md"), {"request": request})  # noqa: S102
    assert (identity.user_id, identity.group_id) == (None, None) and identity.anonymous_id != first
    assert SERVER_LOGIN_COOKIE + "={%22reset%22:true" in IdentityCookies().set_cookies(identity, HOST, None, [])[-1]


def test_explain_names_the_server_as_the_source_of_the_ids_its_login_set() -> None:
    on = visited()
    identity, _ = respond(on, lambda identity: identity.identify("u-2", {"plan": "pro"}))
    user = page(on).user().explain()
    assert (user["userId"]["value"], user["userId"]["source"]) == ("u-2", "server")
    assert (user["anonymousId"]["value"], user["anonymousId"]["source"]) == (identity.anonymous_id, "server")


@pytest.mark.parametrize("call", ["identify", "reset"])
def test_a_server_login_or_logout_is_told_as_external_not_as_a_repair(call: str) -> None:
    """The server's cookies disagree with the page's localStorage until the page applies the
    message: that disagreement is the server's change (``external``), not a ``synced`` store."""
    on = visited()
    before = page(on).user().id()
    respond(on, lambda identity: identity.identify("u-2") if call == "identify" else identity.reset())
    analytics = Analytics(on, "write-key", start=False)
    told: list[dict[str, Any]] = []
    analytics.on("identity", told.append)
    analytics.start()
    changes = [change for change in told if change["previous"]["userId"] != change["userId"]]
    assert [(c["reason"], c["previous"]["userId"], c["userId"]) for c in changes] == [
        ("external", before, "u-2" if call == "identify" else None)]
    assert analytics.user().explain()["userId"]["changed"]["reason"] == "external"
