"""The consent state machine: what the visitor decided, and what that allows.

Pure data and rules, no side effects: :class:`~analytics_identity.api.consent.ConsentControl`
applies each :class:`Change` to the stores, the delivery and the held events.

The page reports decisions (``analytics.consent(true | false | {Category: bool})``);
the browser reports Global Privacy Control (``navigator.globalPrivacyControl``),
which no page call can override. The library keeps no decision of its own
across pages: the site's consent tool passes it on every page, and until
then the state is ``pending``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..host import describe

__all__ = ["ConsentRules", "ConsentState", "Change", "PreferencesError"]

State = Literal["pending", "granted", "denied"]


@dataclass(frozen=True)
class ConsentRules:
    """The ``consent`` load option."""

    #: Nothing stored or sent until ``category`` is granted.
    required: bool = False
    #: The category that allows storing and sending.
    category: str = "Analytics"
    #: Events made before the decision: kept in memory (``"hold"``) or dropped.
    pending: Literal["hold", "drop"] = "hold"
    #: ``"deny"``: Global Privacy Control denies everything; ``None``: only ``gpc_denies``.
    gpc: Literal["deny"] | None = None
    #: Categories Global Privacy Control forces to ``False``.
    gpc_denies: tuple[str, ...] = ("Advertising",)


class PreferencesError(ValueError):
    """``consent(x)`` with something other than a boolean or ``{Category: boolean}``."""


@dataclass(frozen=True)
class Change:
    """What one ``consent(...)`` call changed."""

    before: State
    after: State
    #: Storing and sending allowed, before and after.
    allowed_before: bool
    allowed_after: bool
    preferences_changed: bool

    @property
    def update_event(self) -> bool:
        """Send ``Segment Consent Preference Updated``: preferences changed after a grant, and may still be sent."""
        return self.before == "granted" and self.preferences_changed and self.allowed_after


class ConsentState:
    """Preferences by category, the Global Privacy Control signal, and the rules.

    ``categoryPreferences`` is what the page said, with the categories
    Global Privacy Control denies forced to ``False``. The state is
    ``pending`` until the page names the rules' category (``true``/``false``
    name every known category), then ``granted`` or ``denied`` by that
    category's value; with ``gpc: "deny"`` and the signal on, it is
    ``denied`` from the start and stays so.
    """

    def __init__(self, rules: ConsentRules, gpc: bool) -> None:
        self.rules = rules
        self.gpc = gpc
        self._chosen: dict[str, bool] = {}

    @property
    def _gpc_denies_all(self) -> bool:
        return self.gpc and self.rules.gpc == "deny"

    @property
    def category_preferences(self) -> dict[str, bool]:
        preferences = dict(self._chosen)
        if self.gpc:
            denied = {*preferences, self.rules.category, *self.rules.gpc_denies} if self._gpc_denies_all \
                else self.rules.gpc_denies
            preferences.update(dict.fromkeys(denied, False))
        return preferences

    @property
    def state(self) -> State:
        if self._gpc_denies_all:
            return "denied"
        if self.rules.category not in self._chosen:
            return "pending"
        return "granted" if self.category_preferences[self.rules.category] else "denied"

    @property
    def enforced(self) -> bool:
        """Whether the state decides storing and sending (else they always happen)."""
        return self.rules.required or self._gpc_denies_all

    @property
    def allowed(self) -> bool:
        """Identity may be written to cookies and localStorage, and events sent."""
        return not self.enforced or self.state == "granted"

    @property
    def holds(self) -> bool:
        """Events made now wait in memory for a decision (rather than being sent or dropped)."""
        return not self.allowed and self.state == "pending" and self.rules.pending == "hold"

    def snapshot(self) -> dict[str, Any]:
        """``analytics.consent()``: ``{state, categoryPreferences, gpc}``."""
        return {"state": self.state, "categoryPreferences": self.category_preferences, "gpc": self.gpc}

    def stamp(self) -> dict[str, Any] | None:
        """``context.consent`` for events, or ``None`` while no preference is known."""
        preferences = self.category_preferences
        if not preferences and not self.gpc:
            return None
        return {"categoryPreferences": preferences, **({"gpc": True} if self.gpc else {})}

    def update(self, preferences: Any) -> Change:
        """Apply ``consent(preferences)``; raises :class:`PreferencesError` for a bad value (nothing changes)."""
        chosen = self._parse(preferences)
        before, allowed_before, old = self.state, self.allowed, self.category_preferences
        self._chosen.update(chosen)
        return Change(before, self.state, allowed_before, self.allowed, self.category_preferences != old)

    def _parse(self, preferences: Any) -> dict[str, bool]:
        if isinstance(preferences, bool):
            return dict.fromkeys({*self._chosen, self.rules.category}, preferences)
        if not isinstance(preferences, dict) or not all(
            isinstance(name, str) and isinstance(value, bool) for name, value in preferences.items()
        ):
            raise PreferencesError(f"consent takes true, false or {{Category: true | false}}, not {describe(preferences)}")
        return dict(preferences)
