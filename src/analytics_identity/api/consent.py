"""Consent applied to the page: the storage gate, the delivery and the events made before a decision.

:class:`~analytics_identity.consent.ConsentState` says what is allowed;
this module does it. Granting opens the storage gate (the identity kept in
memory is written at once), starts the delivery and sends the held events,
stamped with the preferences that allowed them. Denying or revoking drops
the held events, stops the delivery and removes every key the library owns;
the identity stays in memory for the rest of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..consent import Change, ConsentState
from ..delivery import Delivery
from ..identity.entity import User
from ..storage import PageStores
from ..options import Settings

__all__ = ["ANONYMOUS_IP", "ConsentControl"]

#: ``context.ip`` with ``anonymizeIp``: Segment's documented way to say "store no address".
ANONYMOUS_IP = "0.0.0.0"
#: Events held in memory while consent is pending (the oldest dropped past it).
MAX_HELD = 100


class ConsentControl:
    """Where each finished event goes (sent, held or dropped), and what each decision changes."""

    def __init__(self, state: ConsentState, settings: Settings, stores: PageStores, delivery: Delivery,
                 warn: Callable[[str], None]) -> None:
        self.state = state
        self._stores = stores
        self._delivery = delivery
        #: Keys of ours without the ``ajs_`` prefix: custom ``cookie.key``/``localStorage.key``, classic cookies.
        self._owned = {User.SIO_KEY, settings.user.keys.legacy, *(key for entity in (settings.user, settings.group)
                                                                 for key in (entity.keys.id, entity.keys.traits))}
        self._disabled = settings.disabled
        self._anonymize_ip = settings.anonymize_ip
        self._warn = warn
        #: Events made while the decision is pending (``consent.pending: "hold"``), oldest first.
        self._held: list[dict[str, Any]] = []
        self._overflow_warned = False

    @property
    def may_store(self) -> bool:
        """The storage gate is open: cookies and localStorage may be written now."""
        return self._stores.gate.open and not self._disabled

    @property
    def _sending(self) -> bool:
        return self.state.allowed and not self._disabled

    def start(self) -> None:
        """At load: send (and adopt what earlier pages left queued), wait for a decision, or forget."""
        if self.state.enforced and self.state.state == "denied":
            self._stores.forget(self._owned)
        elif self._sending:
            self._delivery.start()

    def stamp(self, event: dict[str, Any]) -> None:
        """``context.consent`` (when preferences are known) and, with ``anonymizeIp``, ``context.ip``."""
        context = event.get("context")
        if not isinstance(context, dict):
            context = event["context"] = {}
        consent = self.state.stamp()
        if consent is not None:
            given = context.get("consent")
            context["consent"] = {**given, **consent} if isinstance(given, dict) else consent
        if self._anonymize_ip:
            context["ip"] = ANONYMOUS_IP

    def route(self, event: dict[str, Any]) -> str | None:
        """A finished event (after middleware): queued for delivery, held for a decision, or dropped.

        Returns why it was dropped (the context's ``failedDelivery()``), ``None`` otherwise.
        """
        if self._sending:
            self._delivery.enqueue(event)
        elif self.state.holds and not self._disabled:
            if len(self._held) >= MAX_HELD:
                self._held.pop(0)
                if not self._overflow_warned:
                    self._overflow_warned = True
                    self._warn(f"more than {MAX_HELD} events wait for consent; dropped the oldest")
            self._held.append(event)
        else:
            return "analytics is disabled" if self._disabled else f"consent is {self.state.state}"
        return None

    def update(self, preferences: Any) -> Change:
        """``consent(preferences)``: apply the decision to the stores, the delivery and the held events."""
        change = self.state.update(preferences)
        if change.allowed_after and not change.allowed_before:
            self._grant()
        elif not change.allowed_after and change.after == "denied" and change.before != "denied":
            self._deny()
        return change

    def _grant(self) -> None:
        if self._disabled:
            return
        self._stores.gate.allow()
        self._delivery.start()
        held, self._held = self._held, []
        for event in held:
            self.stamp(event)
            self._delivery.enqueue(event)

    def _deny(self) -> None:
        self._held.clear()
        self._delivery.stop()
        self._stores.forget(self._owned)
