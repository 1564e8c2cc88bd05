"""The instance's collaborators, built in one place and in the one order that works.

The pieces depend on each other in a fixed order: consent decides the storage
gate, the gate guards every store, the stores hold the user and the group, and
the identity extras watch both. Building them in one function keeps that order
visible and hands each piece plain values and callables, never the instance
itself (analytics-next builds its stores the same way, in one
``initializeStorages``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..consent import ConsentState
from ..delivery import Delivery, Network
from ..events.emitter import Emitter
from ..events.middleware import SourceMiddleware
from ..host import Host
from ..identity.changes import IdentityChanges
from ..identity.entity import Group, User
from ..identity.server_login import take_server_login
from ..identity.session import Sessions
from ..options import Settings
from ..storage import CookieHeader, PageStores
from ..storage.gate import GatedStorage, StorageGate
from .consent import ConsentControl
from .identity import IdentityExtras

__all__ = ["Parts", "compose"]


@dataclass(frozen=True)
class Parts:
    """What :class:`~analytics_identity.api.client.Analytics` is made of."""

    #: localStorage through the gate, for the delivery's queue and the hand-over; ``None`` without persistence.
    local_storage: GatedStorage | None
    delivery: Delivery
    middleware: SourceMiddleware
    emitter: Emitter
    #: ``document.cookie`` as every store reads it: at most once per public call and task.
    cookie_header: CookieHeader
    consent: ConsentControl
    #: Why each id changed: the ``identity`` event.
    changes: IdentityChanges
    user: User
    group: Group
    identity: IdentityExtras
    #: Takes the message of a login or logout the site's server did since the last page (``IdentityMiddleware``).
    server_login: Callable[[], dict[str, Any] | None]


def compose(host: Host, settings: Settings, network: Network | None) -> Parts:
    """Build the parts for ``settings`` on ``host``; ``network`` is the browser's fetch and
    timers (without one, in CPython, events are kept in memory)."""
    emitter = Emitter(host.warn)
    state = ConsentState(settings.consent, host.global_privacy_control())
    #: The one gate every write to cookies and localStorage passes: closed until consent allows.
    gate = StorageGate(open=state.allowed)
    local_storage = GatedStorage(host.local_storage, gate) if settings.persist else None

    def dropped(events: list[dict[str, Any]], reason: str) -> None:
        """Events the delivery gave up on: ``on("error")`` listeners hear of each,
        with analytics-next's ``{code: "delivery_failure", reason, ctx}``."""
        for event in events:
            emitter.emit("error", {"code": "delivery_failure", "reason": reason, "ctx": {"event": event}})

    delivery = Delivery(settings.endpoint, settings.delivery, local_storage, network or Network(), host.warn,
                        dropped=dropped)
    cookie_header = CookieHeader(host.cookies)
    stores = PageStores(cookie_header, host.local_storage, settings.cookie, host.now, host.warn, gate)
    consent = ConsentControl(state, settings, stores, delivery, host.warn)
    changes = IdentityChanges(host.now, emitter.emit, host.log)
    users = stores.for_entity(settings.user.stores, settings.user.keys.id, settings.user.keys.traits)
    user = User(settings.user.keys, users.ids, users.traits, host.warn, users.legacy, changes)
    groups = stores.for_entity(settings.group.stores, settings.group.keys.id, settings.group.keys.traits)
    group = Group(settings.group.keys, groups.ids, groups.traits, host.warn, changes)

    def may_store() -> bool:
        """Whether cookies and localStorage may be written now (persistence on, consent given)."""
        return settings.persist and consent.may_store

    sessions = None if settings.session_timeout is None else Sessions(
        settings.session_timeout, host.local_storage, may_store, host.now,
        lambda change: changes.tell("session", change))
    identity = IdentityExtras(host, cookie_header, stores, user, group, changes, may_store, state.snapshot,
                              persist=settings.persist, cross_domain=settings.cross_domain, sessions=sessions)
    return Parts(
        local_storage=local_storage,
        delivery=delivery,
        middleware=SourceMiddleware(host.warn),
        emitter=emitter,
        cookie_header=cookie_header,
        consent=consent,
        changes=changes,
        user=user,
        group=group,
        identity=identity,
        server_login=partial(take_server_login, users.legacy, host.warn),
    )
