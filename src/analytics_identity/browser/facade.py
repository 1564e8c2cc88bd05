"""The ``window.analytics`` facade: the page's one instance, its buffer replay and per-call entry.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import js
from pyodide.ffi import (
    create_once_callable,
    create_proxy,
    jsnull,
)

from ..api.client import Analytics
from ..api.querystring import query_from_location
from ..api.replay import replay
from ..host import page_address
from ..identity.entity import READ
from .conversion import arguments_from_js, resolved, to_js_value
from .host import BrowserHost

__all__ = ["BUFFERED_PAGE", "METHODS", "Core"]


class Core:
    """The page's one instance behind the ``window.analytics`` facade.

    While the snippet's buffer replays, calls the page makes (from a
    callback, say) wait in line behind the buffered ones, so every call runs
    in the order it was made.
    """

    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics
        self._waiting: list[tuple[str, list[Any], Any]] | None = None

    def call(self, method: str, *args: Any) -> Any:
        """``window.analytics[method](...args)``: never throws into the page."""
        try:
            values = arguments_from_js(args)
            if self._waiting is not None:
                resolvers: list[Any] = []
                later = js.Promise.new(create_once_callable(lambda resolve, _reject: resolvers.append(resolve)))
                self._waiting.append((method, values, resolvers[0]))
                return later
            return self._invoke(method, values)
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{method}() failed: {type(error).__name__}: {error}")
            return None

    def _invoke(self, method: str, args: list[Any]) -> Any:
        fn = getattr(self.analytics, method, None)
        if method.startswith("_") or not callable(fn):
            self.analytics.host.warn(f"analytics.{method}() is not supported; call ignored")
            return None
        with self.analytics.held_cookies():
            if method in READS_IDENTITY:
                self.analytics.read_cookies_now()  # here, where the stack is shallow
            result = fn(*args)
        if method == "ready":  # analytics-next's ready() returns a promise
            return resolved(None)
        if isinstance(result, dict) and "event" in result:
            return resolved(to_js_value(result))
        return None if isinstance(result, Analytics) else to_js_value(result)

    def entity(self, kind: str, accessor: str, *args: Any) -> Any:
        """``analytics.user().id(...)`` and friends; no argument reads."""
        entity = self.analytics.user() if kind == "user" else self.analytics._group
        fn = {"id": entity.id, "traits": entity.traits, "anonymousId": getattr(entity, "anonymous_id", None)}.get(accessor)
        if fn is None:
            return None
        try:
            values = arguments_from_js(args)
            if not values:  # a read (also `id(undefined)`): one document.cookie read anyway
                value = to_js_value(fn(READ))
            else:
                argument = values[0]
                with self.analytics.held_cookies():  # the setter reads, then writes
                    self.analytics.read_cookies_now()
                    value = to_js_value(fn(argument))
            return jsnull if value is None else value
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{kind}().{accessor} failed: {error}")
            return None

    def replay(self, buffered: Any) -> None:
        """Run the snippet's buffered calls, then the calls made meanwhile."""
        calls = [arguments_from_js(tuple(entry)) for entry in buffered]
        self._waiting = []
        try:
            replay(calls, self._invoke_buffered, self._apply_query_string, self.analytics.host.warn)
            while self._waiting:
                method, args, resolve = self._waiting.pop(0)
                resolve(self._invoke(method, args))
        finally:
            self._waiting = None
        self.analytics.became_ready()

    def _invoke_buffered(self, method: str, args: list[Any]) -> Any:
        """A buffered call, described with the page it was made on.

        The snippet appends ``{__bufferedPage: {url, canonical, path,
        search, hash, title, referrer}}`` to event calls (``url`` being
        ``location.href`` and ``canonical`` the canonical link's ``href``),
        so a call replayed after a client-side navigation still carries the
        page it was made on.
        """
        marker = args[-1] if args else None
        host = self.analytics.host
        if not (isinstance(marker, dict) and list(marker) == [BUFFERED_PAGE] and isinstance(host, BrowserHost)):
            return self._invoke(method, args)
        facts = marker[BUFFERED_PAGE] if isinstance(marker[BUFFERED_PAGE], dict) else {}
        pinned = {name: str(facts[name]) for name in ("url", "path", "search", "hash", "title", "referrer")
                  if isinstance(facts.get(name), str)}
        current = host.page()
        if "url" in pinned:
            canonical = facts.get("canonical")
            pinned["url"], pinned["path"] = page_address(
                pinned["url"], canonical if isinstance(canonical, str) else None,
                pinned.get("path", current.path), pinned.get("search", current.search))
        host.pinned_page = dataclasses.replace(current, **pinned)
        try:
            return self._invoke(method, args[:-1])
        finally:
            host.pinned_page = None

    def _apply_query_string(self) -> None:
        """The page's ``ajs_*`` parameters, between buffered ``setAnonymousId``/``on`` and the rest."""
        self.analytics.queryString(query_from_location(str(js.location.search), str(js.location.hash)))

    def facade(self) -> Any:
        """The JavaScript object that becomes ``window.analytics``.

        Built here rather than in JavaScript so that a Python page
        (PyScript) and the script-tag loader install the very same thing.
        """
        api = js.Object.new()
        api.initialized = True
        for method in METHODS:
            setattr(api, method, create_proxy(functools.partial(self.call, method)))
        accessors = {kind: js.Object.new() for kind in ("user", "group")}
        for kind, target in accessors.items():
            for name in ("id", "traits", "anonymousId") if kind == "user" else ("id", "traits"):
                setattr(target, name, create_proxy(functools.partial(self.entity, kind, name)))
        group_call = functools.partial(self.call, "group")
        api.user = create_proxy(lambda: accessors["user"])
        api.group = create_proxy(lambda *args: group_call(*args) if args else accessors["group"])
        api.load = create_proxy(lambda *args: api)
        return api


#: The key of the page facts the snippet appends to buffered event calls.
BUFFERED_PAGE = "__bufferedPage"

#: The page API methods that read the stored identity: :meth:`Core._invoke`
#: reads the cookie header on entry, where it costs least.
READS_IDENTITY = frozenset({"identify", "track", "page", "group", "screen", "alias", "reset", "setAnonymousId"})

#: The page API methods (the snippet's stubs); unsupported ones warn once called.
METHODS = (
    "identify", "track", "page", "alias", "reset", "ready", "setAnonymousId", "on", "once", "off",
    "debug", "addSourceMiddleware", "addDestinationMiddleware", "trackClick", "trackLink", "trackForm",
    "trackSubmit", "pageview", "screen", "register", "deregister",
)
