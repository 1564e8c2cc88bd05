"""The one module that touches ``js`` and ``pyodide``: the browser host.

It gives the core the real ``document.cookie`` and ``window.localStorage``
(looked up on every call, never at import time, since both can throw
``SecurityError`` in sandboxed frames), converts values between JavaScript
and Python, and serves the JavaScript facade in ``loader.mjs``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import js
from pyodide.ffi import JsBigInt, JsException, JsProxy, create_once_callable, create_proxy, jsnull, to_js

from .client import Analytics
from .delivery import KEEPALIVE_BYTES, Network, Reply, Request
from .entity import READ
from .host import PageInfo, page_address
from .jsonsafe import MAX_DEPTH, NotJson
from .querystring import JsRegExp, query_from_location
from .replay import replay

__all__ = ["BrowserCookieJar", "BrowserHost", "BrowserStorage", "Core", "install", "load", "shared_instance"]


@functools.cache
def _window() -> tuple[Any, Any]:
    """``location`` and ``document``, looked up on first use (never at import):
    the same objects for the life of the page, while each ``js.X`` lookup is
    another round trip into JavaScript."""
    return js.location, js.document


class BrowserCookieJar:
    """``document.cookie``."""

    @property
    def hostname(self) -> str:
        return str(js.location.hostname)

    @property
    def pathname(self) -> str:
        return str(js.location.pathname)

    def read(self) -> str:
        return str(_window()[1].cookie)

    def write(self, cookie: str) -> None:
        _window()[1].cookie = cookie


class BrowserStorage:
    """``window.localStorage``; a missing key is ``jsnull`` in Pyodide 314."""

    @functools.cached_property
    def _storage(self) -> Any:
        """Looked up on first use, not at import (it throws ``SecurityError`` in
        sandboxed frames, and then stays uncached so every call reports it);
        kept afterwards because each lookup is a round trip into JavaScript."""
        return js.window.localStorage

    def get_item(self, key: str) -> str | None:
        value = self._storage.getItem(key)
        return value if isinstance(value, str) else None

    def set_item(self, key: str, value: str) -> None:
        self._storage.setItem(key, value)

    def remove_item(self, key: str) -> None:
        self._storage.removeItem(key)

    def keys(self) -> list[str]:
        return [str(key) for key in js.Object.keys(self._storage)]


class BrowserHost:
    """The live page."""

    def __init__(self) -> None:
        self.cookies = BrowserCookieJar()
        self.local_storage = BrowserStorage()
        #: While a buffered call replays: the page it was made on.
        self.pinned_page: PageInfo | None = None

    @functools.cached_property
    def _document_facts(self) -> PageInfo:
        """What stays the same for the life of the document, read once: every
        read crosses into JavaScript, and building ``Intl.DateTimeFormat``
        alone costs more than the rest of an event's page facts."""
        return PageInfo(
            referrer=str(js.document.referrer),
            user_agent=str(js.navigator.userAgent),
            locale=str(js.navigator.language),
            timezone=str(js.Intl.DateTimeFormat().resolvedOptions().timeZone),
        )

    def page(self) -> PageInfo:
        if self.pinned_page is not None:
            return self.pinned_page
        location, document = _window()
        link = document.querySelector("link[rel='canonical']")
        canonical = None if link is jsnull else link.getAttribute("href")
        search = str(location.search)
        url, path = page_address(str(location.href), canonical if isinstance(canonical, str) else None,
                                 str(location.pathname), search)
        facts = self._document_facts
        return PageInfo(
            url=url,
            path=path,
            search=search,
            hash=str(location.hash),
            title=str(document.title),
            referrer=facts.referrer,
            user_agent=facts.user_agent,
            locale=facts.locale,
            timezone=facts.timezone,
        )

    def now(self) -> datetime:
        return datetime.fromtimestamp(js.Date.now() / 1000, timezone.utc)

    def warn(self, message: str) -> None:
        js.console.warn(f"analytics-identity: {message}")


#: A request that has not been answered after this long counts as failed
#: (and is retried); shorter than the delivery lease, so no other tab resends
#: an event that is still in flight.
SEND_TIMEOUT_MS = 10_000


class FetchTransport:
    """``fetch`` for delivery; small bodies use ``keepalive`` so they outlive the page."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        #: Bytes of keepalive bodies in flight: the browser refuses a keepalive
        #: request that would take the page over 64 KiB, so bigger ones go without.
        self._keepalive_bytes = 0

    def _init(self, request: Request, keepalive: bool) -> Any:
        return to_js_value({"method": "POST", "headers": request.headers, "body": request.body,
                            "keepalive": keepalive, "credentials": "omit"})

    def send(self, request: Request, done: Callable[[Reply], None]) -> None:
        asyncio.ensure_future(self._post(request, done))

    async def _post(self, request: Request, done: Callable[[Reply], None]) -> None:
        size = len(request.body.encode())
        keepalive = request.keepalive and self._keepalive_bytes + size <= KEEPALIVE_BYTES
        self._keepalive_bytes += size if keepalive else 0
        try:
            init = self._init(request, keepalive)
            init.signal = js.AbortSignal.timeout(SEND_TIMEOUT_MS)
            response = await js.fetch(request.url, init)
            status = int(response.status)
            error = "" if status < 400 else str(await response.text())[:200]
            reply = Reply(status, _retry_after(response.headers.get("Retry-After")), error)
        except Exception as error:  # noqa: BLE001 - offline, refused, aborted: all retried
            reply = Reply(0, None, str(error)[:200])
        finally:
            self._keepalive_bytes -= size if keepalive else 0
        try:
            done(reply)
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self._warn(f"delivery failed: {type(error).__name__}: {error}")

    def send_final(self, request: Request) -> None:
        """``fetch`` with keepalive; ``sendBeacon`` when the browser refuses that."""
        try:
            js.fetch(request.url, self._init(request, True)).catch(_ignore())
        except Exception:  # noqa: BLE001 - keepalive quota used up: a beacon is the last resort
            js.navigator.sendBeacon(request.url, request.body)


@functools.cache
def _ignore() -> Any:
    """A JavaScript no-op for promises whose outcome nobody will see."""
    return create_proxy(lambda *_: None)


def _retry_after(value: Any) -> float | None:
    """``Retry-After`` in seconds, from either of its forms (seconds or an HTTP date)."""
    if not isinstance(value, str) or not value.strip():
        return None
    if value.strip().isdigit():
        return float(value.strip())
    moment = js.Date.parse(value)
    return max((moment - js.Date.now()) / 1000, 0.0) if moment == moment else None  # NaN: unparsable


class BrowserTimers:
    """``Date.now`` and ``setTimeout``; a timer callback never throws into the page."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn

    def now(self) -> float:
        return float(js.Date.now()) / 1000

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        pending = True

        def fire() -> None:
            nonlocal pending
            pending = False
            try:
                fn()
            except Exception as error:  # noqa: BLE001 - nothing throws into the page
                self._warn(f"delivery failed: {type(error).__name__}: {error}")

        proxy = create_once_callable(fire)
        handle = js.setTimeout(proxy, max(int(delay * 1000), 0))

        def cancel() -> None:
            nonlocal pending
            if pending:
                pending = False
                js.clearTimeout(handle)
                proxy.destroy()

        return cancel


def browser_network(warn: Callable[[str], None]) -> Network:
    return Network(FetchTransport(warn), BrowserTimers(warn))


def watch_page(analytics: Analytics) -> None:
    """Send what is queued when the page is hidden or closed, and when the network returns."""
    delivery = analytics.delivery

    def on_event(event: Any) -> None:
        try:
            if event.type == "pagehide":
                delivery.page_hide()
            elif event.type == "online" or js.document.visibilityState == "hidden":
                delivery.flush()
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            analytics.host.warn(f"delivery failed: {type(error).__name__}: {error}")

    listener = create_proxy(on_event)
    js.window.addEventListener("pagehide", listener)
    js.window.addEventListener("online", listener)
    js.document.addEventListener("visibilitychange", listener)


def to_js_value(value: Any) -> Any:
    """Python results as plain JavaScript values (objects, not Maps)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return to_js(value, dict_converter=_from_entries, create_pyproxies=False)


#: Looked up once: every event's result is converted with it (``js.Object.fromEntries``
#: is two round trips into JavaScript).
_from_entries = js.Object.fromEntries


class JsFunction:
    """A page function called from Python with JavaScript arguments."""

    def __init__(self, fn: JsProxy) -> None:
        self._fn = fn

    def __call__(self, *args: Any) -> Any:
        return from_js(self._fn(*(self._argument(a) for a in args)))

    @staticmethod
    def _argument(value: Any) -> Any:
        """Like :func:`to_js_value`, but functions at the top of an object stay
        callable (middleware's ``next``); each may be called once."""
        if not isinstance(value, dict) or not any(callable(v) for v in value.values()):
            return to_js_value(value)
        target = to_js_value({k: v for k, v in value.items() if not callable(v)})
        for key, fn in value.items():
            if callable(fn):
                setattr(target, key, create_once_callable(lambda *xs, fn=fn: fn(*(from_js(x) for x in xs))))
        return target

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsFunction) and bool(js.Object.is_(self._fn, other._fn))

    def __hash__(self) -> int:
        return id(JsFunction)


def from_js(value: Any) -> Any:
    """JavaScript arguments as Python values, read the way ``JSON.stringify`` reads them.

    Functions stay callable (callbacks, middleware) and ``null`` is ``None``.
    Inside objects ``undefined`` and symbols vanish (``null`` in arrays), an
    object with ``toJSON`` (a Date) gives its result, a RegExp becomes a :class:`~analytics_identity.querystring.JsRegExp`
    (load options hold them), and what JSON cannot hold (``BigInt``, a cycle,
    nesting past :data:`~analytics_identity.jsonsafe.MAX_DEPTH`, a getter that
    throws) becomes :class:`~analytics_identity.jsonsafe.NotJson`, which the
    core drops with one warning. ``to_py`` is not used: it overflows the
    JavaScript stack on deep objects and leaves an object with an own
    ``constructor`` key unconverted.
    """
    return _from_js(value, 0, set())


_OMIT: Any = object()
#: JavaScript built-ins ``_from_js`` calls for every value: looked up once,
#: since each ``js.X.y`` lookup is another round trip into JavaScript.
_is_array = js.Array.isArray
_get = js.Reflect.get
_keys = js.Object.keys
_to_string = js.Object.prototype.toString


#: How :func:`_from_js` treats values of each Python type, found once per
#: type: ``isinstance`` against Pyodide's ``JsProxy``/``JsBigInt`` runs a
#: Python-level metaclass check, which cost more than the rest of a
#: conversion. A JavaScript string, number, boolean or ``undefined`` arrives
#: as a plain ``str``, ``int``, ``float``, ``bool`` or ``None``.
_KINDS: dict[type, str] = {str: "plain", int: "plain", float: "plain", bool: "plain", type(None): "plain"}


def _kind(cls: type) -> str:
    """``"plain"``, ``"bigint"`` (an ``int`` subclass) or ``"proxy"``."""
    kind = _KINDS.get(cls)
    if kind is None:
        kind = "bigint" if issubclass(cls, JsBigInt) else "proxy" if issubclass(cls, JsProxy) else "plain"
        _KINDS[cls] = kind
    return kind


def _from_js(value: Any, depth: int, ancestors: set[int]) -> Any:
    if value is jsnull:
        return None
    kind = _kind(type(value))
    if kind == "bigint":
        return int(value) if depth == 0 else NotJson("a BigInt")
    if kind == "plain":
        return value  # str, bool, int, float, None for undefined, or a Python value
    typeof = value.typeof
    if typeof == "function":
        return JsFunction(value)
    if typeof != "object":  # a symbol
        return value if depth == 0 else _OMIT
    if depth >= MAX_DEPTH:
        return NotJson(f"nested deeper than {MAX_DEPTH} levels")
    identity = value.js_id
    if identity in ancestors:
        return NotJson("a cycle")
    ancestors.add(identity)
    try:
        if _is_array(value):
            items = (_from_js(_get(value, i), depth + 1, ancestors) for i in range(int(value.length)))
            return [None if item is _OMIT else item for item in items]
        to_json = _get(value, "toJSON")
        if _kind(type(to_json)) == "proxy" and to_json.typeof == "function":
            return _from_js(to_json.call(value), depth, ancestors)
        if str(_to_string.call(value)) == "[object RegExp]":
            return JsRegExp(str(value.source), str(value.flags))
        result: dict[str, Any] = {}
        for key in _keys(value):
            raw = _get(value, key)
            item = _OMIT if raw is None else _from_js(raw, depth + 1, ancestors)  # None: undefined
            if item is not _OMIT:
                result[str(key)] = item
        return result
    except JsException as error:
        return NotJson(f"reading it threw {error.name}")
    finally:
        ancestors.discard(identity)


def resolved(value: Any) -> Any:
    """A JavaScript promise of ``value``.

    Built with ``new Promise``: Pyodide hands a promise returned by a
    JavaScript call (``Promise.resolve``) to Python as a future, which would
    reach the page as a proxy instead of a ``Promise``. The executor is one
    long-lived proxy, which the constructor calls at once: a new proxy per
    promise cost as much again as the rest.
    """
    _RESOLVER.value = value
    try:
        return js.Promise.new(_resolver_proxy())
    finally:
        _RESOLVER.value = None


class _Resolver:
    """The executor of every promise :func:`resolved` builds."""

    value: Any = None

    def __call__(self, resolve: Any, _reject: Any) -> None:
        resolve(self.value)


_RESOLVER = _Resolver()


@functools.cache
def _resolver_proxy() -> Any:
    return create_proxy(_RESOLVER)


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
            values = [from_js(a) for a in args]
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
            if not args:  # a read: one document.cookie read anyway
                value = to_js_value(fn(READ))
            else:
                argument = from_js(args[0])
                with self.analytics.held_cookies():  # the setter reads, then writes
                    self.analytics.read_cookies_now()
                    value = to_js_value(fn(argument))
            return jsnull if value is None else value
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{kind}().{accessor} failed: {error}")
            return None

    def replay(self, buffered: Any) -> None:
        """Run the snippet's buffered calls, then the calls made meanwhile."""
        calls = [[from_js(item) for item in entry] for entry in buffered]
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

_instance: Core | None = None


def install(write_key: Any = None, options: Any = None) -> Core:
    """Create the page's one instance and make it ``window.analytics``.

    Called by ``loader.mjs`` after the boot, or by :func:`load` /
    ``from analytics_identity import analytics`` in a Python page. Without
    arguments it takes what the page passed to the snippet's
    ``analytics.load()``, if anything. Calls the snippet buffered are
    replayed once; a page whose ``window.analytics`` is already live (another
    runtime won the race) keeps it.
    """
    global _instance
    if _instance is None:
        buffer = getattr(js.window, "analytics", None)
        buffered = buffer if isinstance(buffer, JsProxy) and not getattr(buffer, "initialized", False) else None
        if write_key is None and buffered is not None:
            write_key, options = getattr(buffered, "_writeKey", ""), getattr(buffered, "_loadOptions", None)
        host = BrowserHost()
        _instance = Core(Analytics(host, str(write_key or ""), from_js(options) or {}, browser_network(host.warn)))
        watch_page(_instance.analytics)
        if buffer is None or buffered is not None:
            js.window.analytics = _instance.facade()
            if buffered is not None:
                _instance.replay(buffered)
            else:  # a Python page without the snippet: the query string still applies
                _instance._apply_query_string()
    elif write_key is not None:
        _instance.analytics.host.warn("analytics is already loaded; the new load options are ignored")
    return _instance


def load(write_key: str = "", **options: Any) -> Analytics:
    """``analytics.load(writeKey, options)`` for a Python page, with keyword options."""
    return install(write_key, options).analytics


def shared_instance() -> Analytics:
    """``from analytics_identity import analytics`` in a Python page."""
    return install().analytics
