"""The cookie codec: analytics-next's encoding written, analytics-next's and classic's read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analytics_identity.storage.codec import (
    CookieAttributes,
    candidate_domains,
    decode_value,
    encode_value,
    parse_cookie_header,
    serialize,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
UUID = "39ee7ea5-b6d8-4174-b612-04e1ef3fa952"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (UUID, UUID),  # a UUID stands as is
        ("a b@c", "a%20b@c"),
        ("#$&+:<>=/?@[]^`{|}", "#$&+:<>=/?@[]^`{|}"),  # js-cookie decodes these back
        ("a;b,c\\d\"e", "a%3Bb%2Cc%5Cd%22e"),
        ("ünï 😀", "%C3%BCn%C3%AF%20%F0%9F%98%80"),
        ("1234", "%221234%22"),  # would read back as a number: written JSON-quoted
        ("null", "%22null%22"),
        (1234, "1234"),
        ({"a": 1}, "{%22a%22:1}"),
    ],
)
def test_encode_writes_analytics_next_encoding(value: object, written: str) -> None:
    assert encode_value(value) == written


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (UUID, UUID),  # analytics-next
        (f"%22{UUID}%22", UUID),  # classic: encodeURIComponent(JSON.stringify(id))
        (f'"{UUID}"', UUID),  # a quoted cookie value
        ("a%20b@c", "a b@c"),
        ("1234", 1234),  # classic wrote numbers as JSON; ids become strings in the entity
        ("%7B%22id%22%3A%22old%22%7D", {"id": "old"}),
        ("NaN", "NaN"),  # JSON.parse refuses NaN: it stays text
        # The user's document shows the classic example without its closing %22;
        # it reads exactly as analytics-next reads it.
        (f"%22{UUID}", f'"{UUID}'),
    ],
)
def test_decode_reads_analytics_next_and_classic(raw: str, value: object) -> None:
    assert decode_value(raw) == (value, False)


def test_decode_keeps_broken_percent_encoding_and_flags_it() -> None:
    assert decode_value("a%E0%A4b") == ("a%E0%A4b", True)


def test_decode_reads_a_value_nested_deeper_than_the_parser_goes_as_text() -> None:
    assert decode_value("[" * 2000) == ("[" * 2000, False)


def test_parse_cookie_header_first_of_a_repeated_name_wins() -> None:
    assert parse_cookie_header("a=1; b=x=y; a=2; junk; =v") == {"a": "1", "b": "x=y"}


def test_serialize_defaults_one_year_root_path_lax_not_secure() -> None:
    cookie = serialize("ajs_user_id", "u", CookieAttributes(), None, NOW)
    expires = (NOW + timedelta(days=365)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert cookie == f"ajs_user_id=u; expires={expires}; path=/; SameSite=Lax"


def test_serialize_applies_every_cookie_option() -> None:
    attributes = CookieAttributes.from_options(
        {"domain": ".example.com", "maxage": 7, "path": "/app", "sameSite": "strict", "secure": True}
    )
    cookie = serialize("ajs_user_id", "u", attributes, attributes.domain, NOW)
    expires = (NOW + timedelta(days=7)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert cookie == f"ajs_user_id=u; expires={expires}; path=/app; domain=example.com; SameSite=Strict; Secure"


def test_same_site_none_is_always_secure() -> None:
    assert serialize("k", "v", CookieAttributes.from_options({"sameSite": "None"}), None, NOW).endswith(
        "SameSite=None; Secure"
    )


def test_expiring_writes_an_empty_value_in_the_past() -> None:
    cookie = serialize("k", "v", CookieAttributes(), "example.com", NOW, expire=True)
    assert cookie.startswith("k=; expires=Wed, 31 Dec 2025")


@pytest.mark.parametrize(
    "options",
    [{"maxage": "1y"}, {"maxage": True}, {"maxage": float("nan")}, {"maxage": 1e9}, {"path": "/; domain=evil"},
     {"domain": "a,b"}, {"sameSite": "sometimes"}],
)
def test_bad_cookie_options_raise(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CookieAttributes.from_options(options)


@pytest.mark.parametrize(
    ("hostname", "candidates"),
    [
        ("a.b.example.co.uk", ["co.uk", "example.co.uk", "b.example.co.uk", "a.b.example.co.uk"]),
        ("www.example.com", ["example.com", "www.example.com"]),
        ("example.com", ["example.com"]),
        ("localhost", []),
        ("intranet", []),
        ("127.0.0.1", []),
        ("192.168.1.20", []),
        ("[::1]", []),
        ("::1", []),
    ],
)
def test_candidate_domains_widest_first_none_for_ips_localhost_and_single_labels(
    hostname: str, candidates: list[str]
) -> None:
    assert candidate_domains(hostname) == candidates
