"""The one module that touches ``js`` and ``pyodide``: the browser host.

It gives the core the real ``document.cookie`` and ``window.localStorage``
(looked up on every call, never at import time, since both can throw
``SecurityError`` in sandboxed frames), converts values between JavaScript
and Python, and serves the JavaScript facade in ``loader.mjs``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import js
from pyodide.ffi import JsProxy, to_js

from .client import Analytics
from .entity import READ
from .host import PageInfo
from .replay import replay

__all__ = ["BrowserCookieJar", "BrowserHost", "BrowserStorage", "Core", "shared_instance", "start"]


class BrowserCookieJar:
    """``document.cookie``."""

    @property
    def hostname(self) -> str:
        return str(js.location.hostname)

    def read(self) -> str:
        return str(js.document.cookie)

    def write(self, cookie: str) -> None:
        js.document.cookie = cookie


class BrowserStorage:
    """``window.localStorage``; a missing key is ``jsnull`` in Pyodide 314."""

    def get_item(self, key: str) -> str | None:
        value = js.window.localStorage.getItem(key)
        return value if isinstance(value, str) else None

    def set_item(self, key: str, value: str) -> None:
        js.window.localStorage.setItem(key, value)

    def remove_item(self, key: str) -> None:
        js.window.localStorage.removeItem(key)


class BrowserHost:
    """The live page."""

    def __init__(self) -> None:
        self.cookies = BrowserCookieJar()
        self.local_storage = BrowserStorage()

    def page(self) -> PageInfo:
        location = js.location
        canonical = js.document.querySelector("link[rel='canonical']")
        href = str(canonical.getAttribute("href")) if isinstance(canonical, JsProxy) else str(location.href)
        return PageInfo(
            url=href.split("#")[0],
            path=str(location.pathname),
            search=str(location.search),
            hash=str(location.hash),
            title=str(js.document.title),
            referrer=str(js.document.referrer),
            user_agent=str(js.navigator.userAgent),
            locale=str(js.navigator.language),
            timezone=str(js.Intl.DateTimeFormat().resolvedOptions().timeZone),
        )

    def now(self) -> datetime:
        return datetime.fromtimestamp(js.Date.now() / 1000, timezone.utc)

    def warn(self, message: str) -> None:
        js.console.warn(f"analytics-identity: {message}")


def to_js_value(value: Any) -> Any:
    """Python results as plain JavaScript values (objects, not Maps)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return to_js(value, dict_converter=js.Object.fromEntries, create_pyproxies=False)


class JsFunction:
    """A page function called from Python with JavaScript arguments."""

    def __init__(self, fn: JsProxy) -> None:
        self._fn = fn

    def __call__(self, *args: Any) -> Any:
        return from_js(self._fn(*(to_js_value(a) for a in args)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsFunction) and bool(js.Object.is_(self._fn, other._fn))

    def __hash__(self) -> int:
        return id(JsFunction)


def from_js(value: Any) -> Any:
    """JavaScript arguments as Python values; functions stay callable, null is None."""
    if not isinstance(value, JsProxy):
        return value
    if value.typeof == "function":
        return JsFunction(value)
    if value.typeof == "object" and not value:  # jsnull
        return None
    converted = value.to_py()
    return None if isinstance(converted, JsProxy) and converted.typeof == "object" and not converted else converted


class Core:
    """What ``loader.mjs`` calls: every facade method lands here."""

    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics

    def call(self, method: str, args: Any) -> Any:
        """``window.analytics[method](...args)``."""
        return self._invoke(method, [from_js(a) for a in args])

    def _invoke(self, method: str, args: list[Any]) -> Any:
        fn = getattr(self.analytics, method, None)
        if method.startswith("_") or not callable(fn):
            self.analytics.host.warn(f"analytics.{method}() is not supported; call ignored")
            return None
        result = fn(*args)
        if isinstance(result, dict) and "event" in result:
            return js.Promise.resolve(to_js_value(result))
        return None if isinstance(result, Analytics) else to_js_value(result)

    def entity(self, kind: str, accessor: str, args: Any) -> Any:
        """``analytics.user().id(...)`` and friends; no argument reads."""
        entity = self.analytics.user() if kind == "user" else self.analytics._group
        fn = {"id": entity.id, "traits": entity.traits, "anonymousId": getattr(entity, "anonymous_id", None)}.get(accessor)
        if fn is None:
            return None
        try:
            return to_js_value(fn(from_js(args[0]) if len(args) else READ))
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{kind}().{accessor} failed: {error}")
            return None

    def replay(self, buffered: Any) -> None:
        """Run the snippet's buffered calls."""
        calls = [[from_js(item) for item in entry] for entry in buffered]
        replay(calls, self._invoke, lambda: None, self.analytics.host.warn)


_instance: Core | None = None


def start(write_key: str, options: Any) -> Core:
    """Create the page's one instance (called by ``loader.mjs``)."""
    global _instance
    if _instance is None:
        _instance = Core(Analytics(BrowserHost(), str(write_key or ""), from_js(options) or {}))
    return _instance


def shared_instance() -> Analytics:
    """``from analytics_identity import analytics`` in a Python page."""
    return start("", None).analytics
