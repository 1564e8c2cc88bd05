"""The consent state machine and the ``consent`` / ``disable`` / ``anonymizeIp`` load options."""

from __future__ import annotations

from typing import Any

import pytest

from analytics_identity.options.settings import Settings
from analytics_identity.consent import ConsentRules, ConsentState, PreferencesError

REQUIRED = ConsentRules(required=True)


def settings(options: dict[str, Any]) -> tuple[Settings, list[str]]:
    warnings: list[str] = []
    return Settings.from_options("key", options, warnings.append), warnings


def test_pending_until_the_category_is_named_then_granted_or_denied() -> None:
    state = ConsentState(REQUIRED, gpc=False)
    assert state.snapshot() == {"state": "pending", "categoryPreferences": {}, "gpc": False}
    assert not state.allowed and state.holds and state.stamp() is None
    state.update({"Advertising": True})  # not the rules' category: still undecided
    assert state.state == "pending" and not state.allowed
    state.update({"Analytics": True})
    assert state.state == "granted" and state.allowed and not state.holds
    assert state.stamp() == {"categoryPreferences": {"Advertising": True, "Analytics": True}}
    state.update({"Analytics": False})
    assert state.state == "denied" and not state.allowed and not state.holds


def test_true_and_false_set_every_known_category() -> None:
    state = ConsentState(REQUIRED, gpc=False)
    state.update({"Advertising": True, "Functional": False})
    state.update(False)
    assert state.category_preferences == {"Advertising": False, "Functional": False, "Analytics": False}
    state.update(True)
    assert state.category_preferences == {"Advertising": True, "Functional": True, "Analytics": True}
    assert state.state == "granted"


def test_a_chosen_category_is_the_one_that_allows() -> None:
    state = ConsentState(ConsentRules(required=True, category="Marketing"), gpc=False)
    state.update({"Analytics": True})
    assert state.state == "pending"
    state.update({"Marketing": True})
    assert state.allowed


def test_drop_does_not_hold() -> None:
    state = ConsentState(ConsentRules(required=True, pending="drop"), gpc=False)
    assert not state.allowed and not state.holds


def test_without_required_everything_is_allowed_and_decisions_still_stamp() -> None:
    state = ConsentState(ConsentRules(), gpc=False)
    assert state.allowed and state.state == "pending"
    state.update(False)
    assert state.state == "denied" and state.allowed
    assert state.stamp() == {"categoryPreferences": {"Analytics": False}}


def test_gpc_forces_its_categories_false_whatever_the_page_says() -> None:
    state = ConsentState(REQUIRED, gpc=True)
    assert state.stamp() == {"categoryPreferences": {"Advertising": False}, "gpc": True}
    state.update(True)
    assert state.category_preferences == {"Analytics": True, "Advertising": False}
    assert state.state == "granted" and state.snapshot()["gpc"] is True
    state.update({"Advertising": True})
    assert state.category_preferences["Advertising"] is False


def test_gpc_denies_the_configured_categories() -> None:
    state = ConsentState(ConsentRules(required=True, gpc_denies=("Analytics", "Sale")), gpc=True)
    state.update(True)
    assert state.category_preferences == {"Analytics": False, "Sale": False}
    assert state.state == "denied" and not state.allowed


def test_gpc_deny_is_a_full_denial_from_the_start_even_without_required() -> None:
    state = ConsentState(ConsentRules(gpc="deny"), gpc=True)
    assert state.state == "denied" and not state.allowed and not state.holds
    change = state.update(True)
    assert change.after == "denied" and not change.allowed_after
    assert set(state.category_preferences.values()) == {False}


def test_gpc_deny_without_the_signal_changes_nothing() -> None:
    state = ConsentState(ConsentRules(gpc="deny"), gpc=False)
    assert state.allowed and state.state == "pending"


def test_changes_report_what_they_allow_and_when_an_update_event_is_due() -> None:
    state = ConsentState(REQUIRED, gpc=False)
    grant = state.update(True)
    assert (grant.before, grant.after, grant.allowed_before, grant.allowed_after) == ("pending", "granted", False, True)
    assert not grant.update_event  # the first grant is not an update
    assert not state.update(True).update_event  # nothing changed
    assert state.update({"Advertising": False}).update_event
    revoke = state.update(False)
    assert revoke.after == "denied" and not revoke.update_event  # nothing may be sent any more


@pytest.mark.parametrize("value", [None, "yes", 1, [], {"Analytics": "true"}, {"Analytics": None}, {1: True}])
def test_a_bad_value_raises_and_changes_nothing(value: Any) -> None:
    state = ConsentState(REQUIRED, gpc=False)
    state.update({"Functional": True})
    with pytest.raises(PreferencesError):
        state.update(value)
    assert state.category_preferences == {"Functional": True}


def test_consent_option_is_read_into_rules() -> None:
    read, warnings = settings({"consent": {"required": True, "category": "Measurement", "pending": "drop",
                                           "gpc": "deny", "gpcDenies": ["Sale"]}})
    assert read.consent == ConsentRules(True, "Measurement", "drop", "deny", ("Sale",)) and warnings == []
    assert settings({})[0].consent == ConsentRules()


@pytest.mark.parametrize("option", ["yes", True, {"required": "yes"}, {"required": 1}])
def test_an_unreadable_consent_option_requires_consent(option: Any) -> None:
    read, warnings = settings({"consent": option})
    assert read.consent.required and len(warnings) == 1


def test_bad_consent_fields_fall_back_to_defaults_with_a_warning() -> None:
    read, warnings = settings({"consent": {"required": True, "category": "", "pending": "later",
                                           "gpc": "ignore", "gpcDenies": "Advertising"}})
    assert read.consent == ConsentRules(required=True) and len(warnings) == 4


def test_disable_true_or_a_function_returning_true_disables_and_persists_nothing() -> None:
    seen: list[Any] = []
    assert settings({"disable": True})[0].disabled
    assert settings({"disable": lambda options: seen.append(options) or True})[0].disabled
    assert seen and seen[0]["disable"]  # the function got the load options
    for value in (False, "true", 1, lambda options: False, None):
        assert not settings({"disable": value})[0].disabled
    assert not settings({"disable": True})[0].persist


def test_a_disable_function_that_throws_disables_with_a_warning() -> None:
    def broken(options: Any) -> bool:
        raise RuntimeError("consent tool not ready")

    read, warnings = settings({"disable": broken})
    assert read.disabled and "consent tool not ready" in warnings[0]


def test_anonymize_ip_option() -> None:
    assert settings({"anonymizeIp": True})[0].anonymize_ip
    assert not settings({})[0].anonymize_ip and not settings({"anonymizeIp": "yes"})[0].anonymize_ip
