"""Property tests of the cookie codec (hypothesis).

Any string we write must read back identically both by our own decoder and
by analytics-next's reading rules (js-cookie: strip one pair of surrounding
quotes, decode each ``%XX`` run as UTF-8 or skip the cookie, then
``JSON.parse`` else the raw text), and no value may ever add a second cookie
or an attribute to the string assigned to ``document.cookie``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics_identity.storage.codec import CookieAttributes, decode_value, encode_value, parse_cookie_header, serialize

#: RFC 6265 cookie-octet: no whitespace, DQUOTE, comma, semicolon or backslash.
COOKIE_OCTETS = re.compile(r"^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$")
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ATTRIBUTES = CookieAttributes()
HOSTILE = [
    "x; domain=evil.example; path=/",
    "x\r\nSet-Cookie: y=1",
    "a=b, c=d",
    '"quoted"',
    "%E0%A4%A",
    "%41%42",
    "100%",
    "1234",
    "null",
    "undefined",
    "true",
    "NaN",
    "Infinity",
    "-0",
    " 12 ",
    "{}",
    '{"a":1}',
    "[1]",
    "\\",
    "é😀",
    "\0",
    "",
]

# Full Unicode except lone surrogates, which no browser string can percent-encode.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
tricky_text = st.lists(
    st.sampled_from(list(';=, "\\%\r\n\t{}[]:0123456789aAéЖ😀') + ["%2", "%E0%A4", "null"]), max_size=20
).map("".join)
strings = st.one_of(any_text, tricky_text, st.sampled_from(HOSTILE))


class _NotJson(ValueError):
    pass


def _strict_json(text: str) -> Any:
    """``JSON.parse``: Python's json also accepts NaN and Infinity, JavaScript does not."""

    def refuse(name: str) -> Any:
        raise _NotJson(name)

    return json.loads(text, parse_constant=refuse)


def analytics_next_read(raw: str) -> Any:
    """Read a raw cookie value the way analytics-next 1.84 (js-cookie 3) does.

    Returns ``SKIPPED`` when js-cookie's ``decodeURIComponent`` would throw
    (it then ignores the cookie entirely).
    """
    if raw.startswith('"'):
        raw = raw[1:-1]

    def run(match: re.Match[str]) -> str:
        return bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8")

    try:
        text = re.sub(r"(%[0-9A-Fa-f]{2})+", run, raw)
    except UnicodeDecodeError:
        return SKIPPED
    try:
        return _strict_json(text)
    except ValueError:
        return text


SKIPPED = object()


def js_cookie_write(value: str) -> str:
    """analytics-next's write of a string: encodeURIComponent, some characters decoded back."""
    encoded = quote(value, safe="-_.!~*'()", encoding="utf-8")
    for char in "#$&+:<>=/?@[]^`{|}":
        encoded = encoded.replace(quote(char, safe=""), char)
    return encoded


def classic_write(value: str) -> str:
    """Classic analytics.js: ``encodeURIComponent(JSON.stringify(value))``."""
    return quote(json.dumps(value, ensure_ascii=False), safe="-_.!~*'()", encoding="utf-8")


@settings(max_examples=600, deadline=None)
@given(strings)
@example("x; domain=evil.example; path=/")
@example("x\r\nSet-Cookie: y=1")
def test_any_string_reads_back_identically_by_us_and_by_analytics_next(value: str) -> None:
    raw = encode_value(value)
    assert decode_value(raw) == (value, False)
    assert analytics_next_read(raw) == value


@settings(max_examples=600, deadline=None)
@given(strings)
def test_no_string_adds_a_cookie_or_an_attribute(value: str) -> None:
    cookie = serialize("ajs_anonymous_id", encode_value(value), ATTRIBUTES, None, NOW)
    name_value, *attributes = cookie.split("; ")
    name, _, raw = name_value.partition("=")
    assert name == "ajs_anonymous_id"
    assert COOKIE_OCTETS.match(raw), raw
    assert [a.split("=")[0] for a in attributes] == ["expires", "path", "SameSite"]
    assert cookie.count(";") == 3
    assert parse_cookie_header(name_value) == {"ajs_anonymous_id": raw}


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
))
def test_json_values_read_back_identically(value: Any) -> None:
    raw = encode_value(value)
    assert COOKIE_OCTETS.match(raw)
    assert decode_value(raw) == (value, False)
    assert analytics_next_read(raw) == value


@settings(max_examples=400, deadline=None)
@given(strings)
def test_values_written_by_analytics_next_and_classic_read_back(value: str) -> None:
    expected = analytics_next_read(js_cookie_write(value))
    assert decode_value(js_cookie_write(value)) == (expected, False)
    assert decode_value(classic_write(value)) == (value, False)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("%0123456789abcdefABCDEFxyz\"")), max_size=30))
def test_any_raw_cookie_decodes_without_raising(raw: str) -> None:
    value, damaged = decode_value(raw)
    if analytics_next_read(raw) is SKIPPED:
        assert damaged
    else:
        assert not damaged and value == analytics_next_read(raw)
