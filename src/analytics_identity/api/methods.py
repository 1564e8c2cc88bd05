"""The page API's one methods table: every name ``window.analytics`` answers, and how.

The browser facade builds ``window.analytics`` from it and dispatches only
through it (:mod:`.dispatch`), so a buffered ``["became_ready"]`` or any
other attribute of the instance is refused like an unknown name.
``web/snippet.js`` (its stubs and the calls that keep their page) and
``web/analytics.d.ts`` are checked against it by a unit test.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACCESSORS", "BUFFERED_PAGE", "METHODS", "Method"]

#: How a call is dispatched, and what the page gets back:
#: an event call (a promise of its context), a call returning its value,
#: a call returning the instance (``on``, middleware), ``ready`` (a promise),
#: an entity accessor (``user()``), ``load`` (the instance) or a warning.
EVENT, VALUE, CHAIN, READY, ENTITY, LOAD, UNSUPPORTED = (
    "event", "value", "chain", "ready", "entity", "load", "unsupported")

#: The key of the page facts the snippet appends to buffered event calls.
BUFFERED_PAGE = "__bufferedPage"


@dataclass(frozen=True)
class Method:
    """One name of the page API."""

    name: str
    kind: str
    #: Reads the stored identity: the facade reads ``document.cookie`` at the
    #: call's entry, where a read costs least.
    reads_identity: bool = False
    #: Buffered with the page it was made on (:data:`BUFFERED_PAGE`).
    pins_page: bool = False
    #: Replayed before the query string and the other buffered calls.
    replay_first: bool = False
    #: Called with no argument, the accessor object of this entity.
    entity: str | None = None

    @property
    def buffered(self) -> bool:
        """The snippet has a stub for it (``user()`` and ``load()`` are not buffered)."""
        return self.kind not in (ENTITY, LOAD)


def _event(name: str, entity: str | None = None) -> Method:
    return Method(name, EVENT, reads_identity=True, pins_page=True, entity=entity)


METHODS: dict[str, Method] = {method.name: method for method in (
    _event("identify"), _event("track"), _event("page"), _event("group", entity="group"),
    _event("alias"), _event("screen"),
    Method("reset", VALUE, reads_identity=True),
    Method("setAnonymousId", VALUE, reads_identity=True, replay_first=True),
    Method("ready", READY),
    Method("on", CHAIN, replay_first=True), Method("once", CHAIN), Method("off", CHAIN),
    Method("addSourceMiddleware", CHAIN),
    Method("consent", VALUE, reads_identity=True),
    Method("user", ENTITY, entity="user"),
    Method("load", LOAD),
    *(Method(name, UNSUPPORTED) for name in (
        "debug", "addDestinationMiddleware", "trackClick", "trackLink", "trackForm", "trackSubmit",
        "pageview", "register", "deregister")),
)}

#: ``analytics.user()`` / ``analytics.group()`` accessors: page name → attribute of the entity.
ACCESSORS: dict[str, dict[str, str]] = {
    "user": {"id": "id", "traits": "traits", "anonymousId": "anonymous_id"},
    "group": {"id": "id", "traits": "traits"},
}
