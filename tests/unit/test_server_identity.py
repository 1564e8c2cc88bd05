"""read_identity and the server's anonymousId cookie: the browser core's reading and writing, on a server."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics_identity.server import Identity, read_identity
from analytics_identity.server.identity_cookies import IdentityCookies, cookie_domain
from tests.unit.identity_hosts import CountingJar, host, page

UUID = "39ee7ea5-b6d8-4174-b612-04e1ef3fa952"
OTHER = "0b5c8a63-5a4e-4d8c-9f8e-2f4d6b0e1c7a"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", Identity()),
        (f"ajs_anonymous_id={UUID}", Identity(UUID)),  # analytics-next: raw
        (f"ajs_anonymous_id=%22{UUID}%22", Identity(UUID)),  # classic: encodeURIComponent(JSON.stringify(id))
        (f'ajs_anonymous_id="{UUID}"', Identity(UUID)),  # a quoted cookie value
        (f"ajs_anonymous_id=%22{UUID}%22; ajs_user_id=%22u-1%22; ajs_group_id=%22g-1%22", Identity(UUID, "u-1", "g-1")),
        ("ajs_user_id=12345; ajs_group_id=%2212345%22", Identity(None, "12345", "12345")),  # number and quoted number
        ("ajs_user=%7B%22id%22%3A%22old%22%2C%22traits%22%3A%7B%7D%7D", Identity(None, "old")),  # legacy classic
        ("ajs_user=%22bare%22", Identity(None, "bare")),
        ("ajs_user=%7B%22id%22%3A%22old%22%7D; ajs_user_id=new", Identity(None, "new")),  # current cookie wins
        (f"_sio={UUID}----u-9", Identity(UUID)),  # the socket.io era
        (f"_sio=legacy----u; ajs_anonymous_id={OTHER}", Identity(OTHER)),
        # Unusable values count as absent, as in the browser core.
        ("ajs_anonymous_id=null; ajs_user_id=undefined; ajs_group_id=", Identity()),
        ("ajs_anonymous_id=%7B%22a%22%3A1%7D; ajs_user_id=true", Identity()),
        ("ajs_anonymous_id=a%E0%A4b", Identity()),  # broken percent-encoding
        (f"ajs_anonymous_id={UUID}; ajs_anonymous_id={OTHER}", Identity(UUID)),  # the longest path comes first
    ],
)
def test_read_identity_reads_every_format_the_browser_core_reads(header: str, expected: Identity) -> None:
    assert read_identity(header) == expected


def test_read_identity_takes_asgi_bytes_and_wsgi_latin_1() -> None:
    utf8 = "ajs_user_id=ünï".encode()
    assert read_identity(utf8).user_id == "ünï"
    assert read_identity(utf8.decode("latin-1")).user_id == "ünï"  # PEP 3333: headers arrive as Latin-1 text
    assert read_identity("ajs_user_id=ünï😀").user_id == "ünï😀"  # a server that decoded them already
    assert read_identity("ajs_user_id=ünï").user_id == "ünï"
    assert read_identity(None) == Identity()


def browser_reads(cookies: dict[str, str]) -> Identity:
    """What the browser core reads from the same cookies (fresh localStorage)."""
    on = host("shop.example.com")
    on.cookies.jar.update(cookies)  # type: ignore[attr-defined]
    analytics = page(on)
    user = analytics.user()
    return Identity(user.anonymousId() if on.cookies.jar.get("ajs_anonymous_id") else None,  # type: ignore[attr-defined]
                    user.id(), analytics.group().id())


_NAMES = st.sampled_from(["ajs_anonymous_id", "ajs_user_id", "ajs_group_id", "ajs_user", "_sio", "other"])
# Anything a cookie value may hold, weighted towards the formats' own characters.
_VALUES = st.text(st.one_of(st.sampled_from('%"{}[]:,-2AEF'),
                            st.characters(blacklist_categories=("Cs",), blacklist_characters=";")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, max_size=5))
def test_read_identity_agrees_with_the_browser_core(cookies: dict[str, str]) -> None:
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    server = read_identity(header.encode())  # as the browser sends it
    browser = browser_reads(cookies)
    assert server.user_id == browser.user_id
    assert server.group_id == browser.group_id
    if server.anonymous_id is not None:
        assert server.anonymous_id == browser.anonymous_id


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.text(st.sampled_from("%\"{[;=ajs_useridnonymous"), max_size=3000)))
def test_read_identity_never_raises(header: str | bytes) -> None:
    identity = read_identity(header)
    assert all(value is None or isinstance(value, str) and value.encode("utf-8") for value in vars(identity).values())


def test_read_identity_survives_deep_nesting_and_huge_headers() -> None:
    assert read_identity("ajs_user_id=" + "%5B" * 2000) == Identity(None, "[" * 2000)
    assert read_identity("ajs_user=" + "[" * 5000).user_id is None  # an id must be a string or a number
    assert read_identity(f"ajs_anonymous_id={UUID}; " + "x=y; " * 100_000).anonymous_id == UUID


# -- the cookie the server writes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host_header", "domain"),
    [
        ("shop.example.com", "example.com"),
        ("a.b.shop.example.co.uk:8443", "example.co.uk"),
        ("app.example.test:8000", "example.test"),  # an unknown TLD counts as a public suffix, as in Chromium
        ("me.github.io", "me.github.io"),  # a private suffix (github.io) takes no cookie either
        ("github.io", None),
        ("Example.COM.", "example.com"),
        ("localhost:8000", None),
        ("127.0.0.1:8000", None),
        ("[::1]:8000", None),
        ("intranet", None),
        ("evil;domain=x.com", None),
        ("", None),
    ],
)
def test_cookie_domain_is_the_registrable_domain_the_core_probes_for(host_header: str, domain: str | None) -> None:
    assert cookie_domain(host_header) == domain


@pytest.mark.parametrize("options", [None, {"maxage": 30, "sameSite": "None", "path": "/"},
                                     {"domain": "example.co.uk", "secure": True}])
def test_the_server_writes_the_cookie_strings_the_browser_core_writes(options: dict | None) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    on = host("shop.example.co.uk", jar=CountingJar(public_suffixes=frozenset({"uk", "co.uk"})))
    on.clock = now.timestamp
    analytics = page(on, {"cookie": options} if options else {})
    analytics.identify("u-1")
    analytics.group("g-1")
    ids = Identity(analytics.user().anonymousId(), "u-1", "g-1")
    browser = {c.split("=", 1)[0]: c for c in on.cookies.ours() if not c.startswith("ajs_anonymous_id=;")}  # type: ignore[attr-defined]
    server = IdentityCookies(options, clock=lambda: now).set_cookies(ids, "shop.example.co.uk", "text/html", [])
    assert server == [browser["ajs_anonymous_id"], browser["ajs_user_id"], browser["ajs_group_id"]]


def test_numeric_looking_ids_are_written_json_quoted_as_the_core_does() -> None:
    (cookie,) = IdentityCookies().set_cookies(Identity("12345"), "localhost", "text/html", [])
    assert cookie.startswith("ajs_anonymous_id=%2212345%22; expires=")
    assert read_identity(cookie.split(";")[0]).anonymous_id == "12345"


@pytest.mark.parametrize("content_type", [None, "application/json", "text/javascript", "image/png", "text/plain",
                                          "application/xhtml+xml", "text/htmlx"])
def test_no_cookie_but_on_html_documents(content_type: str | None) -> None:
    assert IdentityCookies().set_cookies(Identity(UUID, "u", "g"), "localhost", content_type, []) == []


def test_at_most_one_cookie_of_each_name_per_response() -> None:
    cookies = IdentityCookies()
    ids = Identity(UUID, "u-1")
    assert cookies.set_cookies(ids, "localhost", "TEXT/HTML", ["ajs_anonymous_id=x; path=/"])[0].startswith(
        "ajs_user_id=u-1;")
    assert len(cookies.set_cookies(ids, "localhost", "text/html", ["session=1; HttpOnly"])) == 2


def test_a_cookie_the_browser_would_drop_is_not_sent() -> None:
    assert IdentityCookies().set_cookies(Identity("😀" * 500), "localhost", "text/html", []) == []


def test_with_renew_false_the_browser_core_leaves_a_cookie_that_holds_its_value_to_the_server() -> None:
    """``cookie: {renew: false}``: no script write (which Safari would cap at 7 days) unless a value changes."""
    (set_cookie,) = IdentityCookies().set_cookies(Identity(UUID), "shop.example.com", "text/html", [])
    for renew, writes in ((True, [set_cookie.split(";")[0]]), (False, [])):
        on = host("shop.example.com")
        on.cookies.jar["ajs_anonymous_id"] = UUID  # type: ignore[attr-defined]
        analytics = page(on, {"cookie": {"renew": renew}})
        assert analytics.user().anonymousId() == UUID
        analytics.track("Viewed")
        assert [c.split(";")[0] for c in on.cookies.ours() if c.startswith("ajs_anonymous_id=")] == writes  # type: ignore[attr-defined]
        assert on.local_storage.items["ajs_anonymous_id"] == json.dumps(UUID)  # type: ignore[attr-defined]
        analytics.identify("u-2")  # a change is still written
        assert on.cookies.jar["ajs_user_id"] == "u-2"  # type: ignore[attr-defined]


def test_identify_mints_a_uuid4_only_when_the_visitor_has_none() -> None:
    cookies = IdentityCookies()
    assert cookies.identify(f"ajs_anonymous_id={UUID}; ajs_user_id=u") == Identity(UUID, "u")
    minted = {cookies.identify("ajs_user_id=u").anonymous_id for _ in range(50)}
    assert len(minted) == 50 and all(len(value) == 36 and value[14] == "4" for value in minted)


@pytest.mark.parametrize("options", [{"maxage": "1y"}, {"sameSite": "sometimes"}, {"domain": "a;b"}, {"maxage": 1e12},
                                     {"renew": "no"}])
def test_bad_cookie_options_fail_when_the_site_starts(options: dict) -> None:
    with pytest.raises(ValueError):
        IdentityCookies(options)


def test_the_server_package_imports_nothing_from_the_browser_layer_or_any_framework() -> None:
    code = ("import sys, analytics_identity.server as s; "
            "from analytics_identity.server.identity_cookies import cookie_domain; "
            "s.IdentityMiddleware(None); s.WSGIIdentityMiddleware(None); s.read_identity('a=b'); "
            "cookie_domain('shop.example.com'); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('js', 'pyodide', 'starlette', 'flask', 'django') "
            "or m.startswith('analytics_identity.browser')]; "
            "print(bad); sys.exit(bool(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
