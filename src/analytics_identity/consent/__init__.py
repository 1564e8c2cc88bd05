"""Consent and privacy: the visitor's decision and what it allows (see docs/privacy.md)."""

from .state import Change, ConsentRules, ConsentState, PreferencesError

__all__ = ["Change", "ConsentRules", "ConsentState", "PreferencesError"]
