"""analytics-next's flexible call signatures resolved into fixed ones."""

from __future__ import annotations

import pytest

from analytics_identity.api.arguments import resolve_alias, resolve_page, resolve_track, resolve_user
from analytics_identity.identity.entity import InvalidId


def callback(ctx: object) -> None:
    """A page callback."""


def test_track_name_properties_options_callback() -> None:
    assert resolve_track("E", {"p": 1}, {"o": 1}, callback) == ("E", {"p": 1}, {"o": 1}, callback)
    assert resolve_track("E", callback) == ("E", {}, {}, callback)
    assert resolve_track({"event": "E", "properties": {"p": 1}}, {"o": 1}) == ("E", {"p": 1}, {"o": 1}, None)


@pytest.mark.parametrize("args", [(), ("",), (None,), (12,), ({"properties": {}},)])
def test_track_without_a_name_raises(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        resolve_track(*args)


def test_page_strings_are_names_and_objects_properties_then_options() -> None:
    assert resolve_page() == (None, None, {}, {}, None)
    assert resolve_page("Home") == (None, "Home", {}, {}, None)
    assert resolve_page("Docs", "Intro", {"p": 1}, {"o": 1}, callback) == ("Docs", "Intro", {"p": 1}, {"o": 1}, callback)
    # The user's document: page({}, {anonymousId}) is properties then options.
    assert resolve_page({}, {"anonymousId": "ABC-123-XYZ"}) == (None, None, {}, {"anonymousId": "ABC-123-XYZ"}, None)


def test_user_id_may_be_left_out_and_numbers_become_strings() -> None:
    assert resolve_user("u", {"t": 1}, {"o": 1}, callback) == ("u", {"t": 1}, {"o": 1}, callback)
    assert resolve_user({"t": 1}, {"o": 1}) == (None, {"t": 1}, {"o": 1}, None)
    assert resolve_user(12345, {"t": 1}) == ("12345", {"t": 1}, {}, None)
    assert resolve_user(None, {"t": 1}) == (None, {"t": 1}, {}, None)
    assert resolve_user(callback) == (None, {}, {}, callback)


@pytest.mark.parametrize("bad", [True, "", "  ", [1]])
def test_user_id_that_is_not_an_id_raises(bad: object) -> None:
    with pytest.raises(InvalidId):
        resolve_user(bad, {"t": 1})


def test_alias_to_from_options() -> None:
    assert resolve_alias("to") == ("to", None, {}, None)
    assert resolve_alias("to", "from", {"o": 1}, callback) == ("to", "from", {"o": 1}, callback)
    assert resolve_alias(42, 7) == ("42", "7", {}, None)
    assert resolve_alias("to", {"o": 1}) == ("to", None, {"o": 1}, None)


@pytest.mark.parametrize("args", [("",), ("  ",), ("to", ""), ("x" * 5000,)])
def test_alias_with_an_unusable_id_raises_rather_than_shifting_arguments(args: tuple[object, ...]) -> None:
    with pytest.raises(InvalidId):
        resolve_alias(*args)
