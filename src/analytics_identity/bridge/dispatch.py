"""Calls from page JavaScript reaching the instance: dispatch, the snippet's replay, page pinning.

Pure Python behind a small protocol (:class:`Caller`: how a result becomes a
JavaScript value or promise), so it is unit-tested in CPython; the browser
facade only converts arguments and builds the JavaScript object.

Replay: buffered ``setAnonymousId`` and ``on`` run first, then the query
string, then every other call in the order the page made it (analytics-next
groups them by method name; keeping call order is the better rule), and
``ready`` callbacks last. While the buffer replays, calls the page makes (from
a callback, say) wait in line behind the buffered ones, so every call runs in
the order it was made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from ..events.context import Context
from ..host import describe, page_address
from ..identity.entity import READ
from ..api.client import Analytics
from .methods import (
    ACCESSORS,
    ACTIONS,
    BUFFERED_PAGE,
    CHAIN,
    CHAIN_ASYNC,
    ENTITY,
    EVENT,
    LOAD,
    METHODS,
    PROMISE,
    READY,
    Method,
)
from ..api.querystring import query_from_location

__all__ = ["Caller", "Dispatcher"]


class Caller(Protocol):
    """How results reach page JavaScript."""

    #: What an accessor returns for ``None`` (JavaScript ``null``).
    null: Any
    #: ``window.analytics`` itself, which chaining calls return.
    instance: Any

    def value(self, value: Any) -> Any:
        """A Python result as a plain JavaScript value."""
        ...

    def promise(self, value: Any) -> Any:
        """A promise resolved with ``value`` (already a JavaScript value)."""
        ...

    def deferred(self) -> tuple[Any, Callable[[Any], None]]:
        """A pending promise and the function that resolves it."""
        ...


class Dispatcher:
    """The page's calls to one instance, by the methods table."""

    def __init__(self, analytics: Analytics, caller: Caller) -> None:
        self.analytics = analytics
        self._caller = caller
        #: Calls made while the buffer replays, with the resolver of the promise they returned.
        self._waiting: list[tuple[str, list[Any], Callable[[Any], None]]] | None = None
        #: Refused methods already warned about: one warning each per page.
        self._refused: set[str] = set()

    def call(self, name: str, args: list[Any]) -> Any:
        """``window.analytics[name](...args)``, arguments already converted."""
        if self._waiting is not None:
            promise, resolve = self._caller.deferred()
            self._waiting.append((name, args, resolve))
            return promise
        return self._invoke(name, args)

    def _invoke(self, name: str, args: list[Any]) -> Any:
        method = METHODS.get(name)
        if method is None or method.kind in (ENTITY, LOAD):
            self.analytics.host.warn(f"analytics.{name}() is not supported; call ignored")
            return None
        if method.refused:
            if name not in self._refused:
                self._refused.add(name)
                self.analytics.host.warn(f"analytics.{name}() is not supported: {method.refused}; call ignored")
            refused = Context.system(f"analytics.{name}() is not supported")
            return self._shape(method, refused if method.kind == EVENT else None)
        if name == "push":
            entry = args[0] if args else None
            if not (isinstance(entry, list) and entry and isinstance(entry[0], str) and entry[0] != "push"):
                self.analytics.host.warn(f"analytics.push() needs [method, ...args], not {describe(entry)}; call ignored")
                return None
            return self._invoke(entry[0], entry[1:])
        cookies = self.analytics.cookie_header
        cookies.enter(method.reads_identity)  # here, where the stack is shallow
        try:
            result = getattr(self.analytics, name)(*args)
        finally:
            cookies.exit()
        return self._shape(method, result)

    def _shape(self, method: Method, result: Any) -> Any:
        """What analytics-next returns for this method; a refused event call still gets its context."""
        caller = self._caller
        if method.kind == EVENT:
            if not isinstance(result, Context):
                result = Context.refused(method.name, "the call was refused: see the console warning")
            return caller.promise(caller.value(result))
        if method.kind == READY:  # analytics-next's ready() returns a promise
            return caller.promise(None)
        if method.kind == CHAIN:
            return caller.instance
        if method.kind == CHAIN_ASYNC:
            return caller.promise(caller.instance)
        if method.kind == PROMISE:
            return caller.promise(caller.value(result))
        return caller.value(result)

    def accessor(self, kind: str, name: str, args: list[Any]) -> Any:
        """``analytics.user().id(...)`` and friends: no argument reads; ``logout()``, ``reset()`` act."""
        attribute = ACCESSORS[kind].get(name)
        if attribute is None:
            return None
        entity = self.analytics.user() if kind == "user" else self.analytics.group()
        fn = getattr(entity, attribute)
        action = name in ACTIONS
        changes = self.analytics.changes
        changes.enter()  # its identity changes are told as it returns
        try:
            if action or args:
                cookies = self.analytics.cookie_header
                cookies.enter(read_now=True)  # a setter or an action reads, then writes
                try:
                    if action:
                        fn()
                        return None
                    value = self._caller.value(fn(args[0]))
                finally:
                    cookies.exit()
            else:  # a read: one document.cookie read anyway
                value = self._caller.value(fn(READ))
            return self._caller.null if value is None else value
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{kind}().{name} failed: {error}")
            return None
        finally:
            changes.exit()

    # -- the snippet's buffer ----------------------------------------------------

    def replay(self, calls: Sequence[Sequence[Any]]) -> None:
        """Run the snippet's buffered ``[method, *args]`` calls, then the calls made meanwhile."""
        entries = []
        for entry in calls:
            if not entry or not isinstance(entry[0], str):
                self.analytics.host.warn(f"ignored a malformed buffered call: {entry!r:.60}")
                continue
            entries.append((entry[0], list(entry[1:])))
        if self.analytics.settings.initial_pageview:  # analytics-next queues it first of the buffered calls
            entries.insert(0, ("page", []))
        first = [METHODS[name].replay_first if name in METHODS else False for name, _ in entries]
        self._waiting = []
        try:
            for (name, args), early in zip(entries, first):
                if early:
                    self._invoke_buffered(name, args)
            self.apply_query_string()
            for (name, args), early in zip(entries, first):
                if not early and name != "ready":
                    self._invoke_buffered(name, args)
            for name, args in entries:
                if name == "ready":
                    self._invoke_buffered(name, args)
            while self._waiting:
                name, args, resolve = self._waiting.pop(0)
                resolve(self._invoke(name, args))
        finally:
            self._waiting = None
        self.analytics.became_ready()

    def apply_query_string(self) -> None:
        """The page's ``ajs_*`` parameters (in its query, or after a ``?`` in its hash)."""
        page = self.analytics.host.page()
        self.analytics.queryString(query_from_location(page.search, page.hash))

    def _invoke_buffered(self, name: str, args: list[Any]) -> Any:
        """A buffered call, described with the page and time it was made on.

        The snippet appends ``{__bufferedPage: {url, canonical, path,
        search, hash, title, referrer, time}}`` to event calls (``url`` being
        ``location.href``, ``canonical`` the canonical link's ``href`` and
        ``time`` milliseconds since the epoch), so a call replayed after a
        client-side navigation, or by the next page, still carries the page
        and time it was made on.
        """
        marker = args[-1] if args else None
        if not (isinstance(marker, dict) and list(marker) == [BUFFERED_PAGE]):
            return self._invoke(name, args)
        host = self.analytics.host
        facts = marker[BUFFERED_PAGE] if isinstance(marker[BUFFERED_PAGE], dict) else {}
        pinned: dict[str, Any] = {key: str(facts[key]) for key in ("url", "path", "search", "hash", "title", "referrer")
                                  if isinstance(facts.get(key), str)}
        if isinstance(facts.get("time"), (int, float)) and not isinstance(facts["time"], bool):
            pinned["called_at"] = datetime.fromtimestamp(facts["time"] / 1000, timezone.utc)
        current = host.page()
        if "url" in pinned:
            canonical = facts.get("canonical")
            pinned["url"], pinned["path"] = page_address(
                pinned["url"], canonical if isinstance(canonical, str) else None,
                pinned.get("path", current.path), pinned.get("search", current.search))
        host.pinned_page = dataclasses.replace(current, **pinned)
        try:
            return self._invoke(name, args[:-1])
        finally:
            host.pinned_page = None
