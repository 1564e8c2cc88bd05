"""The query-string API: parsing, patterns (JavaScript RegExp in Python re), order of application."""

from __future__ import annotations

import re

import pytest

from analytics_identity.api.querystring import calls_from_query, parse_query, query_from_location
from analytics_identity.options.querystring import JsRegExp, QueryStringRules, compile_js_regexp, rules_from_option
from tests.unit.identity_hosts import cookie, host, local, page

DOC_URL_QUERY = "?ajs_uid=123456789abcd&ajs_event=Clicked%20Email&ajs_aid=abc123&ajs_prop_emailCampaign=First+Touch&ajs_trait_name=Karl+Jr."


def test_parse_decodes_names_values_and_plus_and_keeps_bad_encoding() -> None:
    assert parse_query("?a=1&b=x%20y+z&c=%E0%A4&d&=e&a=2&f=g=h&ajs_trait_first%20name=J") == {
        "a": "2", "b": "x y z", "c": "%E0%A4", "f": "g=h", "ajs_trait_first name": "J",
    }


@pytest.mark.parametrize(
    ("search", "hash", "query"),
    [
        ("?ajs_aid=1", "#x?ajs_aid=2", "?ajs_aid=1"),
        ("", "#/route?ajs_aid=2&b=1", "?ajs_aid=2&b=1"),
        ("?", "#/route?ajs_aid=2", "?ajs_aid=2"),
        ("", "#/route", ""),
        ("", "", ""),
    ],
)
def test_query_from_search_else_from_the_hash(search: str, hash: str, query: str) -> None:
    assert query_from_location(search, hash) == query


def test_calls_from_the_documented_example() -> None:
    calls = calls_from_query(DOC_URL_QUERY, QueryStringRules())
    assert calls.anonymous_id == "abc123" and calls.user_id == "123456789abcd"
    assert calls.traits == {"name": "Karl Jr."}
    assert calls.event == "Clicked Email" and calls.properties == {"emailCampaign": "First Touch"}


def test_disabled_or_empty_asks_for_nothing() -> None:
    assert calls_from_query(DOC_URL_QUERY, QueryStringRules(enabled=False)) == (None, None, {}, None, {})
    assert calls_from_query("?ajs_aid=&ajs_uid=&ajs_event=", QueryStringRules()) == (None, None, {}, None, {})


def test_patterns_reject_values_that_do_not_match() -> None:
    rules = rules_from_option({"aid": JsRegExp("^[a-z0-9]+$", ""), "uid": JsRegExp("^\\d+$", "")}, print)
    calls = calls_from_query("?ajs_aid=abc123&ajs_uid=12ab", rules)
    assert calls.anonymous_id == "abc123" and calls.user_id is None
    calls = calls_from_query("?ajs_aid=ABC&ajs_uid=42", rules)
    assert calls.anonymous_id is None and calls.user_id == "42"


def test_the_default_pattern_is_any_character_but_a_line_terminator() -> None:
    rules = QueryStringRules()
    assert rules.accepts("aid", "x") and not rules.accepts("aid", "\n\r")


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (JsRegExp("^[a-z]+$", ""), "abc\n", False),  # JS $ is the very end, Python's allows a final \n
        (JsRegExp("^[a-z]+$", "m"), "abc\nxyz", True),
        (JsRegExp("^\\d+$", ""), "١٢٣", False),  # \d is ASCII in JavaScript
        (JsRegExp("abc", "i"), "xABCx", True),  # test() searches anywhere
        (JsRegExp("a.c", "s"), "a\nc", True),
        (JsRegExp("^(?<year>\\d{4})-", "g"), "2026-01", True),
        (JsRegExp("[$]", ""), "$", True),
    ],
)
def test_javascript_patterns_behave_as_in_javascript(pattern: JsRegExp, value: str, matches: bool) -> None:
    assert (compile_js_regexp(pattern).search(value) is not None) is matches


@pytest.mark.parametrize("option", [{"aid": JsRegExp("\\p{L}+", "u")}, {"aid": JsRegExp("a", "q")}, {"aid": 5}])
def test_a_pattern_that_cannot_be_used_refuses_every_value_with_a_warning(option: dict[str, object]) -> None:
    warnings: list[str] = []
    rules = rules_from_option(option, warnings.append)
    assert calls_from_query("?ajs_aid=abc&ajs_uid=u", rules)[:2] == (None, "u")
    assert len(warnings) == 1 and "useQueryString.aid" in warnings[0]


def test_python_patterns_and_strings_are_accepted() -> None:
    rules = rules_from_option({"aid": re.compile("^a"), "uid": "^u"}, print)
    assert calls_from_query("?ajs_aid=ab&ajs_uid=xu", rules)[:2] == ("ab", None)


def test_option_values() -> None:
    warnings: list[str] = []
    assert rules_from_option(None, warnings.append).enabled
    assert rules_from_option(True, warnings.append).enabled
    assert not rules_from_option(False, warnings.append).enabled
    assert rules_from_option("yes", warnings.append).enabled and len(warnings) == 1


def test_analytics_applies_the_query_string() -> None:
    on = host()
    analytics = page(on)
    contexts = analytics.queryString(DOC_URL_QUERY)
    identify, track = (ctx["event"] for ctx in contexts)
    assert identify["type"] == "identify" and identify["userId"] == "123456789abcd"
    assert identify["anonymousId"] == "abc123" and identify["traits"] == {"name": "Karl Jr."}
    assert track["event"] == "Clicked Email" and track["properties"] == {"emailCampaign": "First Touch"}
    assert track["anonymousId"] == "abc123" and track["userId"] == "123456789abcd"
    assert cookie(on, "ajs_anonymous_id") == "abc123" and local(on, "ajs_user_traits") == {"name": "Karl Jr."}


def test_a_query_anonymous_id_survives_a_user_change() -> None:
    on = host()
    analytics = page(on)
    analytics.identify("someone-else")
    identify = analytics.queryString("?ajs_aid=from-link&ajs_uid=new-user")[0]["event"]
    assert identify["userId"] == "new-user" and identify["anonymousId"] == "from-link"
    assert analytics.user().anonymousId() == "from-link"


def test_use_query_string_false_ignores_the_query() -> None:
    on = host()
    analytics = page(on, {"useQueryString": False})
    before = analytics.user().anonymousId()
    assert analytics.queryString(DOC_URL_QUERY) == []
    assert analytics.user().anonymousId() == before and analytics.user().id() is None
