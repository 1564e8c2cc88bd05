"""The real ``document.cookie``, ``window.localStorage`` and page facts, behind the core's host protocols.

Looked up on every call, never at import time: both can throw ``SecurityError``
in sandboxed frames.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import js

from ..host import PageInfo, page_address
from .elements import bind
from .ffi import create_proxy, jsnull

__all__ = ["BrowserCookieJar", "BrowserHost", "BrowserStorage"]


@functools.cache
def _window() -> tuple[Any, Any]:
    """``location`` and ``document``, looked up on first use (never at import):
    the same objects for the life of the page, while each ``js.X`` lookup is
    another round trip into JavaScript."""
    return js.location, js.document


class BrowserCookieJar:
    """``document.cookie``, plain: every read and write reaches the page
    (:class:`~analytics_identity.storage.CookieHeader` decides how few there are)."""

    def __init__(self) -> None:
        #: The microtask that ends a task, and the function it runs (one
        #: long-lived proxy: a new one per task would leak).
        self._ending: Any = None
        self._ends: Callable[[], None] | None = None

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

    def after_task(self, fn: Callable[[], None]) -> None:
        """The task ends when the page's code returns to the event loop: a microtask then runs ``fn``."""
        if self._ending is None or fn != self._ends:
            self._ends, self._ending = fn, create_proxy(fn)
        js.queueMicrotask(self._ending)


class BrowserStorage:
    """``window.localStorage``; a missing key is ``jsnull`` in Pyodide 314."""

    @functools.cached_property
    def _storage(self) -> Any:
        """Looked up on first use, not at import (it throws ``SecurityError`` in
        sandboxed frames, and then stays uncached so every call reports it);
        kept afterwards because each lookup is a round trip into JavaScript."""
        return js.window.localStorage

    # Each method bound once: a method looked up on a proxy is one more
    # round trip into JavaScript on every call.
    @functools.cached_property
    def _get(self) -> Any:
        return self._storage.getItem.bind(self._storage)

    @functools.cached_property
    def _set(self) -> Any:
        return self._storage.setItem.bind(self._storage)

    @functools.cached_property
    def _remove(self) -> Any:
        return self._storage.removeItem.bind(self._storage)

    def get_item(self, key: str) -> str | None:
        value = self._get(key)
        return value if isinstance(value, str) else None

    def set_item(self, key: str, value: str) -> None:
        self._set(key, value)

    def remove_item(self, key: str) -> None:
        self._remove(key)

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
        # pathname, search and hash are parts of href: taken from it rather
        # than read, each read being another call into JavaScript.
        href = str(location.href)
        parts = urlsplit(href)
        search = f"?{parts.query}" if parts.query else ""
        url, path = page_address(href, canonical if isinstance(canonical, str) else None, parts.path or "/", search)
        facts = self._document_facts
        return PageInfo(
            url=url,
            path=path,
            search=search,
            hash=f"#{parts.fragment}" if parts.fragment else "",
            title=str(document.title),
            referrer=facts.referrer,
            user_agent=facts.user_agent,
            locale=facts.locale,
            timezone=facts.timezone,
        )

    @staticmethod
    def now() -> float:
        """``Date.now()`` in seconds: the page's one clock (the delivery's timers read it too).

        Read through ``time.time()``, which Pyodide's C library answers with
        ``Date.now()`` itself: ~1 µs, against ~3-24 µs through a proxy of ``js.Date``.
        """
        return time.time()

    def global_privacy_control(self) -> bool:
        return getattr(js.navigator, "globalPrivacyControl", None) is True

    def warn(self, message: str) -> None:
        js.console.warn(f"analytics-identity: {message}")

    def log(self, message: str) -> None:
        js.console.log(f"analytics-identity: {message}")

    def bind(self, kind: str, targets: Any, fire: Callable[[Any], None], delay_ms: Callable[[], float]) -> int:
        return bind(kind, targets, fire, delay_ms)


#: A request that has not been answered after this long counts as failed
#: (and is retried); shorter than the delivery lease, so no other tab resends
