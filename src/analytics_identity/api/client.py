"""The ``Analytics`` object: the one instance behind ``window.analytics``.

Methods keep analytics-next's names, flexible arguments and return values
(an ``{"event": …}`` context for event calls). Python callers may use the
snake_case aliases. Nothing here raises into the caller: a bad call is
ignored with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..delivery import Network
from ..events.build import build_event, page_context
from ..events.context import Context
from ..events.middleware import Middleware
from ..host import Host, PageInfo
from ..identity.entity import READ, Group, User
from ..identity.server_login import apply_server_login
from ..options import Settings
from ..version import __version__
from .arguments import merge_options, resolve_alias, resolve_page, resolve_track, resolve_user
from .classic import ClassicCalls, ClassicMethods
from .compose import compose
from .entry import guarded
from .listeners import Listeners
from .querystring import calls_from_query

__all__ = ["Analytics"]


class Analytics(Listeners, ClassicMethods):
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
        parts = compose(host, self.settings, network)
        self.local_storage = parts.local_storage
        self.delivery = parts.delivery
        self.cookie_header = parts.cookie_header
        self.changes = parts.changes
        self.identity = parts.identity
        self._emitter = parts.emitter
        self._middleware = parts.middleware
        self._consent = parts.consent
        self._user = parts.user
        self._group = parts.group
        self._server_login = parts.server_login
        #: ``trackLink``/``trackForm``, ``timeout`` and ``pageview`` (:class:`.classic.ClassicMethods`).
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
        login = self._server_login() if self.settings.user.persist and self._consent.may_store else None
        self.identity.begin(login)
        if login is not None:
            with self.changes.because("external"):
                apply_server_login(login, self._user, self._group)
            self.identity.from_server(login)
        if self.settings.user.persist:
            self._user.anonymous_id()
        self._consent.start()
        self.identity.end()

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

    @guarded
    def reread_ids(self) -> None:
        """Another tab wrote an id (the browser's ``storage`` event): listeners hear the change now."""
        self.identity.reread()

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
        """Whether the page may write to cookies and localStorage now (persistence on, consent given):
        web/loader.mjs reads it before saving the start-up state on the visitor's device."""
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

    # Pythonic aliases for Python pages.
    set_anonymous_id = setAnonymousId
    query_string = queryString
    add_source_middleware = addSourceMiddleware
