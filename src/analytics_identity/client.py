"""The ``Analytics`` object: the one instance behind ``window.analytics``.

Methods keep analytics-next's names, flexible arguments and return values
(an ``{"event": …}`` context for event calls). Python callers may use the
snake_case aliases. Nothing here raises into the caller: a bad call is
ignored with a warning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from . import __version__
from .arguments import resolve_alias, resolve_page, resolve_track, resolve_user
from .delivery import Delivery, Endpoint, Network, Strategy
from .emitter import Emitter
from .entity import READ, Group, InvalidId, User
from .events import build_event
from .host import Host
from .jsonsafe import json_safe
from .middleware import Middleware, SourceMiddleware
from .settings import Settings, Storages

__all__ = ["Analytics"]

Context = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])


def _guarded(method: F) -> F:
    """Turn any exception into one warning: nothing throws into the host page."""

    @functools.wraps(method)
    def wrapper(self: Analytics, *args: Any, **kwargs: Any) -> Any:
        try:
            # Traits, properties and options: JSON.stringify's rules, up front.
            args = tuple(json_safe(a, self.host.warn, f"{method.__name__} argument {i + 1}")
                         if isinstance(a, (dict, list)) else a for i, a in enumerate(args))
            kwargs = {k: json_safe(v, self.host.warn, f"{method.__name__} option {k}")
                      if isinstance(v, (dict, list)) else v for k, v in kwargs.items()}
            return method(self, *args, **kwargs)
        except (InvalidId, ValueError, TypeError) as error:
            self.host.warn(f"{method.__name__} ignored: {error}")
        except Exception as error:  # noqa: BLE001 - last line of defence for the page
            self.host.warn(f"{method.__name__} failed: {type(error).__name__}: {error}")
        return None

    return wrapper  # type: ignore[return-value]


class Analytics:
    """Identity and events for one page."""

    def __init__(
        self,
        host: Host,
        write_key: str = "",
        options: dict[str, Any] | None = None,
        network: Network | None = None,
    ) -> None:
        """``network`` is the browser's fetch and timers; without one (CPython)
        events are kept in memory (:class:`~analytics_identity.delivery.MemoryTransport`)."""
        self.host = host
        self.settings = Settings.from_options(write_key, options, host.warn)
        self.delivery = Delivery(
            Endpoint(self.settings.protocol, self.settings.api_host, self.settings.write_key),
            Strategy.from_options(self.settings.options.get("deliveryStrategy"), host.warn),
            host.local_storage if self.settings.persist else None,
            network or Network(),
            host.warn,
        )
        self._middleware = SourceMiddleware(host.warn)
        self._emitter = Emitter(host.warn)
        storages = Storages(self.settings, host)
        user_ids, user_traits = storages.for_entity(self.settings.user)
        self._user = User(self.settings.user.keys, user_ids, user_traits, host.warn, storages.legacy_cookies())
        group_ids, group_traits = storages.for_entity(self.settings.group)
        self._group = Group(self.settings.group.keys, group_ids, group_traits, host.warn)
        if self.settings.persist and self.settings.user.persist:
            # Minted during initialization, as the user's document promises.
            self._user.anonymous_id()
        self.delivery.start()

    # -- identity -----------------------------------------------------------

    def user(self) -> User:
        """The current user: ``id()``, ``anonymousId()``, ``traits()``."""
        return self._user

    @_guarded
    def setAnonymousId(self, id: Any = READ) -> str | None:
        """Set (or with no argument read) the anonymousId; returns it."""
        return self._user.anonymous_id(id)

    @_guarded
    def reset(self) -> None:
        """Forget user and group: ids, anonymousId and traits, from every store."""
        self._user.reset()
        self._group.reset()
        self._emitter.emit("reset")

    # -- events ---------------------------------------------------------------

    def _apply_identity_options(self, options: dict[str, Any]) -> None:
        """``options.anonymousId`` persists for every later call."""
        if options.get("anonymousId") is not None:
            self._user.anonymous_id(options["anonymousId"])

    def _dispatch(self, event_type: str, fields: dict[str, Any], options: dict[str, Any],
                  callback: Callable[..., Any] | None) -> Context:
        self._apply_identity_options(options)
        event = build_event(
            event_type,
            fields,
            options,
            user_id=self._user.id(),
            anonymous_id=self._user.anonymous_id(),
            page=self.host.page(),
            now=self.host.now(),
            version=__version__,
        )

        context = {"event": event}

        def dispatched(final: dict[str, Any] | None) -> None:
            if final is not None:
                context["event"] = final
                self.delivery.enqueue(final)
            if callback is not None:
                try:
                    callback(context)
                except Exception as error:  # noqa: BLE001 - page callbacks must not break the library
                    self.host.warn(f"{event_type} callback raised {type(error).__name__}: {error}")

        self._middleware.run(event, dispatched)
        return context

    @_guarded
    def identify(self, *args: Any) -> Context:
        """``identify(userId?, traits?, options?, callback?)``."""
        user_id, traits, options, callback = resolve_user(*args)
        self._apply_identity_options(options)
        self._user.identify(user_id, traits)
        context = self._dispatch("identify", {"traits": self._user.traits()}, options, callback)
        self._emitter.emit("identify", self._user.id(), traits, options)
        return context

    @_guarded
    def track(self, *args: Any) -> Context:
        """``track(event, properties?, options?, callback?)``."""
        name, properties, options, callback = resolve_track(*args)
        context = self._dispatch("track", {"event": name, "properties": properties}, options, callback)
        self._emitter.emit("track", name, properties, options)
        return context

    @_guarded
    def page(self, *args: Any) -> Context:
        """``page(category?, name?, properties?, options?, callback?)``."""
        category, name, properties, options, callback = resolve_page(*args)
        info = self.host.page()
        properties = {
            "path": info.path, "referrer": info.referrer, "search": info.search,
            "title": info.title, "url": info.url, **properties,
        }
        if name is not None:
            properties.setdefault("name", name)
        if category is not None:
            properties.setdefault("category", category)
        fields = {"properties": properties, "name": name, "category": category}
        context = self._dispatch("page", fields, options, callback)
        self._emitter.emit("page", category, name, properties, options)
        return context

    def group(self, *args: Any) -> Group | Context | None:
        """With no argument the Group object; otherwise ``group(groupId?, traits?, options?, callback?)``."""
        if not args:
            return self._group
        return self._group_call(*args)

    @_guarded
    def _group_call(self, *args: Any) -> Context:
        group_id, traits, options, callback = resolve_user(*args)
        self._group.identify(group_id, traits)
        fields = {"groupId": self._group.id(), "traits": self._group.traits()}
        context = self._dispatch("group", fields, options, callback)
        self._emitter.emit("group", self._group.id(), traits, options)
        return context

    @_guarded
    def screen(self, *args: Any) -> Context:
        """``screen(category?, name?, properties?, options?, callback?)``, as for apps."""
        category, name, properties, options, callback = resolve_page(*args)
        fields = {"properties": properties, "name": name, "category": category}
        context = self._dispatch("screen", fields, options, callback)
        self._emitter.emit("screen", category, name, properties, options)
        return context

    @_guarded
    def alias(self, *args: Any) -> Context:
        """``alias(userId, previousId?, options?, callback?)``; sends ``userId: to``."""
        to, previous, options, callback = resolve_alias(*args)
        if to is None:
            raise ValueError("alias needs the new user id")
        previous = previous or self._user.id() or self._user.anonymous_id()
        context = self._dispatch("alias", {"previousId": previous}, {**options, "userId": to}, callback)
        self._emitter.emit("alias", to, previous, options)
        return context

    # -- middleware and delivery ---------------------------------------------------

    @_guarded
    def addSourceMiddleware(self, fn: Middleware) -> Analytics:
        """Run ``fn({payload: {obj: event}, next, integrations})`` on every event before delivery."""
        self._middleware.add(fn)
        return self

    @_guarded
    def flush(self) -> None:
        """Send every queued event now (CPython has no timers to do it later)."""
        self.delivery.flush()

    # -- listeners --------------------------------------------------------------

    @_guarded
    def on(self, name: str, listener: Callable[..., Any]) -> Analytics:
        self._emitter.on(name, listener)
        return self

    @_guarded
    def once(self, name: str, listener: Callable[..., Any]) -> Analytics:
        self._emitter.once(name, listener)
        return self

    @_guarded
    def off(self, name: str, listener: Callable[..., Any]) -> Analytics:
        self._emitter.off(name, listener)
        return self

    @_guarded
    def ready(self, callback: Callable[..., Any] | None = None) -> None:
        """The instance exists only once ready, so the callback runs now."""
        if callback is not None:
            callback()

    # Pythonic aliases for Python pages.
    set_anonymous_id = setAnonymousId
    add_source_middleware = addSourceMiddleware
