"""The page API's one methods table: every name ``window.analytics`` answers, and how.

The browser facade builds ``window.analytics`` from it and dispatches only
through it (:mod:`.dispatch`), so a buffered ``["became_ready"]`` or any
other attribute of the instance is refused like an unknown name. The build
writes what the JavaScript needs of it into ``web/snippet.js`` (the stubs,
the calls that keep their page, those kept for the next page) and
``web/loader.mjs`` (the return kinds its disabled stand-in answers with):
:mod:`analytics_identity.tooling.page_api`. ``web/analytics.d.ts`` is
checked against it by a unit test.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACCESSORS", "ACTIONS", "BUFFERED_PAGE", "METHODS", "Method"]

#: What the page gets back: an event call's promise of its context, the
#: call's value, the instance (``on``, ``trackLink``: chaining), a promise of
#: the instance (``addSourceMiddleware``, ``pageview``), a promise of the value
#: (``flush``), ``ready``'s promise, an entity accessor (``user()``) or, for
#: ``load``, the instance. A refused method returns the same shape.
EVENT, VALUE, CHAIN, CHAIN_ASYNC, PROMISE, READY, ENTITY, LOAD = (
    "event", "value", "chain", "chain-async", "promise", "ready", "entity", "load")

#: The key of the page facts the snippet appends to buffered event calls.
BUFFERED_PAGE = "__bufferedPage"

#: Why the methods about destinations and plugins are refused.
NO_DESTINATIONS = ("there are no device-mode destinations or plugins here (events go to Segment's API, "
                   "whose cloud-mode destinations still apply; see docs/migrating.md)")
#: Why analytics-next's deprecated no-op stubs are refused.
NO_OP = "it does nothing in analytics-next either (a deprecated analytics.js stub)"


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
    #: The first argument stays a JavaScript value: the DOM elements ``trackLink`` binds to.
    elements: bool = False
    #: Why the method is refused (one console warning, naming it); empty when it works.
    refused: str = ""
    #: The snippet stubs it (analytics.js' snippet does not stub the deprecated no-ops).
    stubbed: bool = True
    #: A buffered call the next page replays when this one leaves before it is ready
    #: (events and identity changes; see :mod:`.handover`).
    kept: bool = False

    @property
    def buffered(self) -> bool:
        """The snippet has a stub for it (``user()`` and ``load()`` are not buffered)."""
        return self.stubbed and self.kind not in (ENTITY, LOAD)


def _event(name: str, entity: str | None = None) -> Method:
    return Method(name, EVENT, reads_identity=True, pins_page=True, entity=entity, kept=True)


METHODS: dict[str, Method] = {method.name: method for method in (
    _event("identify"), _event("track"), _event("page"), _event("group", entity="group"),
    _event("alias"), _event("screen"),
    Method("pageview", CHAIN_ASYNC, reads_identity=True, pins_page=True, kept=True),
    *(Method(name, CHAIN, elements=True) for name in ("trackLink", "trackClick", "trackForm", "trackSubmit")),
    Method("reset", VALUE, reads_identity=True, kept=True),
    Method("setAnonymousId", VALUE, reads_identity=True, replay_first=True, kept=True),
    Method("queryString", PROMISE, reads_identity=True, stubbed=False),
    Method("ready", READY),
    Method("on", CHAIN, replay_first=True), Method("once", CHAIN), Method("off", CHAIN),
    Method("debug", CHAIN, replay_first=True),
    Method("timeout", VALUE), Method("flush", PROMISE),
    Method("addSourceMiddleware", CHAIN_ASYNC),
    Method("consent", VALUE, reads_identity=True),
    Method("user", ENTITY, entity="user"),
    Method("load", LOAD),
    Method("register", EVENT, refused=NO_DESTINATIONS), Method("deregister", EVENT, refused=NO_DESTINATIONS),
    Method("addDestinationMiddleware", CHAIN_ASYNC, refused=NO_DESTINATIONS),
    Method("addIntegrationMiddleware", VALUE, refused=NO_DESTINATIONS),
    # After load, analytics.js' `push([method, ...args])` calls the method (the buffer is an array before).
    Method("push", VALUE, stubbed=False),
    Method("emit", CHAIN, refused="listeners hear the library's own events only", stubbed=False),
    Method("use", CHAIN, refused=NO_DESTINATIONS, stubbed=False),
    *(Method(name, CHAIN_ASYNC, refused=NO_OP, stubbed=False) for name in ("initialize", "init")),
    Method("noConflict", CHAIN, refused="a page has one instance here, always window.analytics", stubbed=False),
    Method("normalize", VALUE, refused="events are normalized as they are built", stubbed=False),
    *(Method(name, VALUE, refused=NO_OP, stubbed=False) for name in (
        "log", "listeners", "addEventListener", "removeAllListeners", "removeListener", "removeEventListener",
        "hasListeners", "add", "addIntegration")),
)}

#: ``analytics.user()`` / ``analytics.group()`` accessors: page name → attribute of the entity.
#: ``id``, ``traits`` and ``anonymousId`` read with no argument and write with one;
#: the :data:`ACTIONS` take none; ``explain`` and ``sessionId`` only read.
ACCESSORS: dict[str, dict[str, str]] = {
    "user": {"id": "id", "traits": "traits", "anonymousId": "anonymous_id", "logout": "logout", "reset": "reset",
             "load": "load", "explain": "explain", "sessionId": "session_id"},
    "group": {"id": "id", "traits": "traits", "logout": "logout", "reset": "reset", "load": "load",
              "explain": "explain"},
}
ACTIONS = frozenset({"logout", "reset", "load"})
