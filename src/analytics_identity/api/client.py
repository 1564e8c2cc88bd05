"""The ``Analytics`` object: the one instance behind ``window.analytics``.

Methods keep analytics-next's names, flexible arguments and return values
(an ``{"event": …}`` context for event calls). Python callers may use the
snake_case aliases. Nothing here raises into the caller: a bad call is
ignored with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from ..version import __version__
from ..consent import ConsentState
from ..delivery import Delivery, Network
from ..events.build import build_event, page_context
from ..events.context import Context
from ..events.emitter import Emitter
from ..events.middleware import Middleware, SourceMiddleware
from ..host import Host, PageInfo
from ..identity.changes import IdentityChanges
from ..identity.entity import READ, Group, User
from ..identity.server_login import apply_server_login
from ..storage.gate import GatedStorage, StorageGate
from .arguments import merge_options, resolve_alias, resolve_page, resolve_track, resolve_user
from .classic import ClassicCalls
from .consent import ConsentControl
from .entry import guarded
from .identity import IdentityExtras
from .querystring import calls_from_query
from ..storage import CookieHeader, PageStores
from ..options import Settings

__all__ = ["Analytics"]


class Analytics:
    """Identity and events for one page.

    Python callers use the same methods as page JavaScript, with the same
    arguments, plus options as keywords and snake_case names
    (``analytics.track("Clicked", {"a": 1}, anonymous_id="x")``,
    ``analytics.user().anonymous_id()``, ``analytics.set_anonymous_id(…)``).
    """

    def __init__(
        self,
        host: Host,
        write_key: str = "",
        options: dict[str, Any] | None = None,
        network: Network | None = None,
        *,
        start: bool = True,
    ) -> None:
        """``network`` is the browser's fetch and timers; without one (CPython)
        events are kept in memory (:class:`~analytics_identity.delivery.MemoryTransport`).
        ``start=False`` leaves :meth:`start` to the caller (the browser's install,
        which first takes the page's first-visit lock)."""
        self.host = host
        self.settings = Settings.from_options(write_key, options, host.warn)
        state = ConsentState(self.settings.consent, host.global_privacy_control())
        #: The one gate every write to cookies and localStorage passes: closed until consent allows.
        gate = StorageGate(open=state.allowed)
        #: localStorage through the gate, for the delivery's queue and the handover
        #: (:mod:`.handover`); ``None`` without persistence.
        self.local_storage = GatedStorage(host.local_storage, gate) if self.settings.persist else None
        self.delivery = Delivery(
            self.settings.endpoint,
            self.settings.delivery,
            self.local_storage,
            network or Network(),
            host.warn,
            dropped=self._dropped,
        )
        self._middleware = SourceMiddleware(host.warn)
        self._emitter = Emitter(host.warn)
        #: ``debug(true)``: every event is logged on the console.
        self._debug = False
        #: ``document.cookie`` as every store reads it: at most once per public call and task.
        self.cookie_header = CookieHeader(host.cookies)
        stores = PageStores(self.cookie_header, host.local_storage, self.settings.cookie, host.now, host.warn, gate)
        self._consent = ConsentControl(state, self.settings, stores, self.delivery, host.warn)
        #: Why each id changed: the ``identity`` event (:mod:`analytics_identity.identity.changes`).
        self.changes = IdentityChanges(host.now, self._emit, host.log)
        user = stores.for_entity(self.settings.user.stores, self.settings.user.keys.id,
                                 self.settings.user.keys.traits)
        self._user = User(self.settings.user.keys, user.ids, user.traits, host.warn, user.legacy, self.changes)
        group = stores.for_entity(self.settings.group.stores, self.settings.group.keys.id,
                                  self.settings.group.keys.traits)
        self._group = Group(self.settings.group.keys, group.ids, group.traits, host.warn, self.changes)
        self.identity = IdentityExtras(self.settings, host, self.cookie_header, stores, self._user, self._group,
                                       self.changes, lambda: self.may_store, self.consent)
        #: A login or logout the site's server did since the last page (``IdentityMiddleware``).
        self._server_login = partial(apply_server_login, user.legacy, self._user, self._group, host.warn)
        #: ``trackLink``/``trackForm``, ``timeout`` and ``pageview``: their guarded entries are below.
        self.classic = ClassicCalls(host, self.track, self.page)
        #: Set by the browser's install while :meth:`start` waits for the
        #: first-visit lock: Python's first use of the instance runs it at once.
        self.start_pending: Callable[[], None] | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Apply a login or logout the site's server did since the last page,
        mint the anonymousId (during initialization, as the user's document
        promises) and send what earlier pages left queued. ``identity``
        listeners hear what the start changed once it is done (the server's
        login or logout as ``external``)."""
        self.identity.begin()
        if self.settings.user.persist:
            if self._consent.may_store:
                with self.changes.because("external"):
                    self.identity.from_server(self._server_login())
            self._user.anonymous_id()
        self._consent.start()
        self.identity.end()

    def _dropped(self, events: list[dict[str, Any]], reason: str) -> None:
        """Events the delivery gave up on: ``on("error")`` listeners hear of each,
        with analytics-next's ``{code: "delivery_failure", reason, ctx}``."""
        for event in events:
            self._emit("error", {"code": "delivery_failure", "reason": reason, "ctx": {"event": event}})

    # -- identity -----------------------------------------------------------

    def user(self) -> User:
        """The current user: ``id()``, ``anonymousId()``, ``traits()``."""
        if self.start_pending is not None:
            self.start_pending()
        return self._user

    @guarded
    def setAnonymousId(self, id: Any = READ) -> str | None:
        """Set (or with no argument read) the anonymousId; returns it."""
        return self._user.anonymous_id(id)

    @guarded
    def queryString(self, query: str) -> list[Context]:
        """Apply ``?ajs_aid=…&ajs_uid=…&ajs_trait_*=…&ajs_event=…&ajs_prop_*=…``.

        Runs on load with the page's own query (or the ``?…`` in its hash),
        after buffered ``setAnonymousId`` and ``on`` calls and before the
        rest; ``useQueryString`` turns it off or restricts the ids accepted.
        When both an anonymousId and a user id are given, the identify call
        carries that anonymousId even if the user id changed (analytics-next
        would refresh it away).
        """
        calls = calls_from_query(query, self.settings.query_string)
        results: list[Context] = []
        with self.changes.because("query"):
            if calls.anonymous_id is not None:
                self.setAnonymousId(calls.anonymous_id)
            if calls.user_id is not None:
                options = {} if calls.anonymous_id is None else {"anonymousId": calls.anonymous_id}
                results.append(self.identify(calls.user_id, calls.traits, options))
        if calls.event is not None:
            results.append(self.track(calls.event, calls.properties))
        return [context for context in results if context is not None]

    @guarded
    def reset(self) -> None:
        """Forget user and group: ids, anonymousId and traits, from every store."""
        self._user.reset()
        self._group.reset()
        self.identity.reset()
        self._emit("reset")

    # -- events ---------------------------------------------------------------

    def _apply_identity_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """``options.anonymousId`` persists for every later call.

        It is taken out of the options: the event then carries the stored
        anonymousId, which is that value, or the current one when the value
        was not a valid id (and was refused with a warning).
        """
        if options.get("anonymousId") is None:
            return options
        options = dict(options)
        with self.changes.because("options"):
            self._user.anonymous_id(options.pop("anonymousId"))
        return options

    def _dispatch(self, event_type: str, fields: dict[str, Any], options: dict[str, Any],
                  callback: Callable[..., Any] | None, page: PageInfo | None = None) -> Context:
        """Build, pass through middleware and queue one event; ``page``: the
        page facts when the caller already read them."""
        options = self._apply_identity_options(options)
        page = self.host.page() if page is None else page
        event = build_event(
            event_type,
            fields,
            options,
            user_id=self._user.id(),
            anonymous_id=self._user.anonymous_id(),
            page=page,
            now=page.called_at or datetime.fromtimestamp(self.host.now(), timezone.utc),
            version=__version__,
        )
        self._consent.stamp(event)
        self.identity.stamp(event)
        context = Context(event)

        def dispatched(final: dict[str, Any] | None) -> None:
            if final is None:
                context.failure = "dropped by a source middleware"
            else:
                context["event"] = final
                context.failure = self._consent.route(final)
            if self._debug:
                self.host.log(f"{event_type}: {context.failure or 'handed to delivery'} {final or event}")
            if callback is not None:
                try:
                    callback(context)
                except Exception as error:  # noqa: BLE001 - page callbacks must not break the library
                    self.host.warn(f"{event_type} callback raised {type(error).__name__}: {error}")

        self._middleware.run(event, dispatched)
        return context

    @guarded
    def identify(self, *args: Any, **options: Any) -> Context:
        """``identify(userId?, traits?, options?, callback?)``.

        ``options.anonymousId`` is applied after the user: when the user id
        changes, the anonymousId is refreshed first and the given one then
        replaces the fresh one, so the event carries the id the caller asked for.
        """
        user_id, traits, positional, callback = resolve_user(*args)
        options = merge_options(positional, options)
        self._user.identify(user_id, traits)
        context = self._dispatch("identify", {"traits": self._user.traits()}, options, callback)
        self._emit("identify", self._user.id(), traits, options)
        return context

    @guarded
    def track(self, *args: Any, **options: Any) -> Context:
        """``track(event, properties?, options?, callback?)``."""
        name, properties, positional, callback = resolve_track(*args)
        options = merge_options(positional, options)
        context = self._dispatch("track", {"event": name, "properties": properties}, options, callback)
        self._emit("track", name, properties, options)
        return context

    @guarded
    def page(self, *args: Any, **options: Any) -> Context:
        """``page(category?, name?, properties?, options?, callback?)``."""
        category, name, properties, positional, callback = resolve_page(*args)
        options = merge_options(positional, options)
        info = self.host.page()
        properties = {**page_context(info), **properties}
        if name is not None:
            properties.setdefault("name", name)
        if category is not None:
            properties.setdefault("category", category)
        fields = {"properties": properties, "name": name, "category": category}
        context = self._dispatch("page", fields, options, callback, info)
        self._emit("page", category, name, properties, options)
        return context

    def group(self, *args: Any, **options: Any) -> Group | Context | None:
        """With no argument the Group object; otherwise ``group(groupId?, traits?, options?, callback?)``."""
        if not args and not options:
            if self.start_pending is not None:
                self.start_pending()
            return self._group
        return self._group_call(*args, **options)

    @guarded
    def _group_call(self, *args: Any, **options: Any) -> Context:
        group_id, traits, positional, callback = resolve_user(*args)
        options = merge_options(positional, options)
        self._group.identify(group_id, traits)
        fields = {"groupId": self._group.id(), "traits": self._group.traits()}
        context = self._dispatch("group", fields, options, callback)
        self._emit("group", self._group.id(), traits, options)
        return context

    @guarded
    def screen(self, *args: Any) -> Context:
        """``screen(category?, name?, properties?, options?, callback?)``, as for apps."""
        category, name, properties, options, callback = resolve_page(*args)
        fields = {"properties": properties, "name": name, "category": category}
        context = self._dispatch("screen", fields, options, callback)
        self._emit("screen", category, name, properties, options)
        return context

    @guarded
    def alias(self, *args: Any, **options: Any) -> Context:
        """``alias(userId, previousId?, options?, callback?)``; sends ``userId: to``."""
        to, previous, positional, callback = resolve_alias(*args)
        options = merge_options(positional, options)
        if to is None:
            raise ValueError("alias needs the new user id")
        previous = previous or self._user.id() or self._user.anonymous_id()
        context = self._dispatch("alias", {"previousId": previous}, {**options, "userId": to}, callback)
        self._emit("alias", to, previous, options)
        return context

    # -- analytics.js' classic calls (:mod:`.classic`) ---------------------------

    @guarded
    def trackLink(self, links: Any, event: Any, properties: Any = None, options: Any = None) -> Analytics:
        """Track a click on each of ``links`` (an element, a list, a jQuery object)."""
        self.classic.bind("link", "trackLink", links, event, properties, options)
        return self

    @guarded
    def trackForm(self, forms: Any, event: Any, properties: Any = None, options: Any = None) -> Analytics:
        """Track the submission of each of ``forms``, then submit it."""
        self.classic.bind("form", "trackForm", forms, event, properties, options)
        return self

    trackClick = trackLink
    trackSubmit = trackForm

    @guarded
    def timeout(self, ms: Any) -> None:
        """How long ``trackLink``/``trackForm`` hold the navigation, in ms."""
        self.classic.set_timeout(ms)

    @guarded
    def pageview(self, url: Any) -> Analytics:
        """analytics.js' ``pageview(url)``: a page call with ``path: url``."""
        self.classic.pageview(url)
        return self

    # -- consent --------------------------------------------------------------

    @guarded
    def consent(self, preferences: Any = READ) -> dict[str, Any]:
        """``consent(true | false | {Category: bool})`` decides; no argument reads.

        Returns ``{state, categoryPreferences, gpc}``. A change of preferences
        after a grant is told with one ``Segment Consent Preference Updated``
        track event, as Segment's consent tools do.
        """
        if preferences is not READ and self._consent.update(preferences).update_event:
            self.track("Segment Consent Preference Updated")
        return self._consent.state.snapshot()

    @property
    def may_store(self) -> bool:
        """Whether the page may write to cookies and localStorage now (persistence on, consent given)."""
        return self.settings.persist and self._consent.may_store

    # -- middleware and delivery ---------------------------------------------------

    @guarded
    def addSourceMiddleware(self, fn: Middleware) -> Analytics:
        """Run ``fn({payload: {obj: event}, next, integrations})`` on every event before delivery."""
        self._middleware.add(fn)
        return self

    @guarded
    def flush(self) -> None:
        """Send every queued event now (CPython has no timers to do it later)."""
        self.delivery.flush()

    # -- listeners --------------------------------------------------------------

    @guarded
    def on(self, name: str, listener: Callable[..., Any]) -> Analytics:
        self._emitter.on(name, listener)
        return self

    @guarded
    def once(self, name: str, listener: Callable[..., Any]) -> Analytics:
        self._emitter.once(name, listener)
        return self

    @guarded
    def off(self, name: str, listener: Callable[..., Any] | None = None) -> Analytics:
        """Without a listener, every listener of ``name`` goes."""
        self._emitter.off(name, listener)
        return self

    @guarded
    def debug(self, toggle: Any = True) -> Analytics:
        """``debug(true)``: log each event on the console as it is handed to delivery or dropped,
        and each identity change with its reason."""
        self._debug = self.changes.debug = toggle is True
        return self

    def _emit(self, name: str, *args: Any) -> None:
        """Tell the page's listeners."""
        self._emitter.emit(name, *args)

    def became_ready(self) -> None:
        """Tell ``on('ready')`` listeners; the host calls it once the snippet's calls have run."""
        self._emit("ready")

    @guarded
    def ready(self, callback: Callable[..., Any] | None = None) -> None:
        """The instance exists only once ready, so the callback runs now."""
        if callback is not None:
            callback()

    # Pythonic aliases for Python pages.
    set_anonymous_id = setAnonymousId
    query_string = queryString
    add_source_middleware = addSourceMiddleware
    track_link = trackLink
    track_form = trackForm
