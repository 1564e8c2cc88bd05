"""The instance's identity extras: the start's comparison, ``explain()``, sessions and the hand-off.

:class:`~analytics_identity.api.client.Analytics` calls these at a few
points (its start, each event, ``reset()``); the rules themselves live in
:mod:`analytics_identity.identity` (``changes``, ``explain``, ``session``,
``handoff``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..identity.changes import IdentityChanges
from ..identity.entity import Entity, Group, User, stored_id
from ..identity.explain import before_server, compare_at_start, explain, held
from ..identity.server_login import decided_by_server
from ..identity.session import Sessions

if TYPE_CHECKING:
    from ..host import Host
    from ..identity.handoff import CrossDomain
    from ..storage import CookieHeader, PageStores

__all__ = ["IdentityExtras"]


class IdentityExtras:
    """What ``identity`` events, ``explain()``, ``sessionId()`` and ``crossDomain`` need of the instance."""

    def __init__(self, host: Host, snapshot: CookieHeader, stores: PageStores, user: User, group: Group,
                 changes: IdentityChanges, may_store: Callable[[], bool], consent: Callable[[], dict[str, Any]],
                 *, persist: bool, cross_domain: CrossDomain | None, sessions: Sessions | None) -> None:
        """``may_store``: whether cookies and localStorage may be written now; ``consent``: its snapshot;
        ``persist``: whether the page keeps identity at all (``explain()`` says so)."""
        self._host = host
        self._snapshot = snapshot
        self._stores = stores
        self._user = user
        self._group = group
        self.changes = changes
        self._may_store = may_store
        self._consent = consent
        self._persist = persist
        self.cross_domain = cross_domain
        #: ``history.replaceState`` to a new query string: set by the browser.
        self.replace_search: Callable[[str], None] | None = None
        self.sessions = sessions
        if sessions is not None:
            user.sessions = sessions.current
        for entity in (user, group):
            entity.explainer = self._explain

    def _header(self) -> str:
        return self._snapshot.header()

    def begin(self, login: dict[str, Any] | None) -> None:
        """The start, before anything is minted: note what the stores' disagreements became, adopt a hand-off.

        ``login``: the server's message taken at this start, if any. The ids
        it decides are neither compared nor repaired here: its application
        changes them (``external``), from what the page held.
        """
        user, group = self._user, self._group
        decided = {} if login is None else decided_by_server(login)
        for entity, field, key, read in ((user, "anonymousId", User.ANONYMOUS_KEY, user.held_anonymous_id),
                                         (user, "userId", user.keys.id, user.id),
                                         (group, "groupId", group.keys.id, group.id)):
            if self.changes.known[field] is None:  # not already restored from a legacy cookie
                found = held(entity.id_storage, key, self._header, stored_id)
                if field in decided:
                    before_server(self.changes, field, found, decided[field], read)
                else:
                    compare_at_start(self.changes, field, found, read())
        if self.cross_domain is not None:
            self._land()

    def from_server(self, message: dict[str, Any]) -> None:
        """The ids a server login or logout set (its applied ``message``) came from the server."""
        for field in ("userId", "anonymousId"):
            value = message[field]
            if value is not None and self.changes.known[field] == value:
                self.changes.facts[field].source = "server"

    def end(self) -> None:
        """The start is done: the session touched, the start's changes told."""
        if self.sessions is not None:
            self.sessions.touch()
        self.changes.start()

    def _land(self) -> None:
        host = self._host
        page = host.page()
        landing = self.cross_domain.land(page.search, page.referrer, host.now())
        if landing.warning is not None:
            host.warn(landing.warning)
        if landing.anonymous_id is not None:
            with self.changes.because("linked"):
                self._user.anonymous_id(landing.anonymous_id)
        if landing.search is not None and self.replace_search is not None:
            try:
                self.replace_search(landing.search)
            except Exception as error:  # noqa: BLE001 - the address bar is the page's
                host.warn(f"could not take the hand-off out of the address: {error}")

    def watched_keys(self) -> frozenset[str]:
        """The localStorage keys of the three ids: another tab writing one changed an id here too."""
        return frozenset({User.ANONYMOUS_KEY, self._user.keys.id, self._group.keys.id})

    def reread(self) -> None:
        """Look at the three ids (minting nothing): one another tab changed is told as ``external``
        now, not at this page's next call.

        Only looks: nothing is repaired or written. The other tab's writes
        reach this page one by one (the cookie at once, each localStorage key
        in its own message), so a repair made between two of them would
        write back an id the other tab had just removed.
        """
        for entity, field, key in ((self._user, "anonymousId", User.ANONYMOUS_KEY),
                                   (self._user, "userId", self._user.keys.id),
                                   (self._group, "groupId", self._group.keys.id)):
            self.changes.seen(field, stored_id(entity.id_storage.get(key)))

    def hand_off(self, href: str, here: str) -> str | None:
        """The parameter's value for a link or GET form to ``href``, when it leads to another
        listed domain and the page may store identity (consent given)."""
        if self.cross_domain is None or not self._may_store() or not self.cross_domain.leads_away(href, here):
            return None
        return self.cross_domain.value(self._user.anonymous_id(), self._host.now())

    def stamp(self, event: dict[str, Any]) -> None:
        """Each event: the session renewed and written where Segment's plugin writes it."""
        if self.sessions is not None:
            self.sessions.stamp(event)

    def reset(self) -> None:
        if self.sessions is not None:
            self.sessions.reset()

    def _explain(self, entity: Entity) -> dict[str, Any]:
        stores = self._stores
        snapshot = self._snapshot
        snapshot.enter(read_now=True)
        try:
            cookie = stores.cookie if "cookie" in (s.name for s in entity.id_storage.stores) else None
            page = {
                "consent": self._consent(),
                "persistence": {
                    "persist": self._persist,
                    "mayStore": self._may_store(),
                    "stores": [s.name for s in entity.id_storage.stores],
                    "unavailable": sorted(stores.failures.broken),
                },
            }
            if self.sessions is not None and isinstance(entity, User):
                page["sessionId"] = self.sessions.current()
            return explain(entity, self._header, cookie, snapshot.hostname, page)
        finally:
            snapshot.exit()
