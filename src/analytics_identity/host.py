"""What the core needs from the page it runs in, as plain Python protocols.

The browser implementation lives in :mod:`analytics_identity.bridge` (the one
module that imports ``js``); :class:`MemoryHost` serves CPython, tests and
Python programs outside a browser.
"""

from __future__ import annotations

import re
import reprlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from .cookies import parse_cookie_header

__all__ = [
    "CookieJar", "Host", "KeyValueStorage", "MemoryCookieJar", "MemoryHost", "MemoryStorage", "PageInfo", "page_address",
]


class CookieJar(Protocol):
    """``document.cookie``: read the whole header, assign one cookie string."""

    hostname: str
    #: The page's path: another script's cookie on a longer path hides ours.
    pathname: str

    def read(self) -> str: ...

    def write(self, cookie: str) -> None: ...


class KeyValueStorage(Protocol):
    """``window.localStorage``; any method may raise (``SecurityError``, quota)."""

    def get_item(self, key: str) -> str | None: ...

    def set_item(self, key: str, value: str) -> None: ...

    def remove_item(self, key: str) -> None: ...

    def keys(self) -> list[str]:
        """Every key held, in no particular order."""
        ...


@dataclass
class PageInfo:
    """The page facts that go into ``context.page`` and ``context``."""

    url: str = ""
    path: str = ""
    search: str = ""
    hash: str = ""
    title: str = ""
    referrer: str = ""
    user_agent: str = ""
    locale: str = ""
    timezone: str = ""


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def page_address(href: str, canonical: str | None, pathname: str, search: str) -> tuple[str, str]:
    """``context.page.url`` and ``.path``, derived as analytics-next derives them.

    A ``<link rel="canonical">`` with an ``href`` wins, so every copy of a
    page reports one address: the url is that href, plus the page's own query
    when the href has none, and the path is the href's path. Without one, the
    url is the page's address without its fragment and the path is
    ``location.pathname``.
    """
    if not canonical:
        return href.split("#")[0], pathname
    url = canonical if "?" in canonical else canonical + search
    scheme = _SCHEME.match(canonical)
    if scheme is None:  # relative: analytics-next keeps it whole, rooted at "/"
        return url, canonical if canonical.startswith("/") else "/" + canonical
    rest = canonical[scheme.end():]
    if rest.startswith("//"):  # scheme://host/path: the path, "/" when empty
        return url, re.split(r"[?#]", re.sub(r"^//[^/?#]*", "", rest), maxsplit=1)[0] or "/"
    return url, re.split(r"[?#]", rest, maxsplit=1)[0]


class Host(Protocol):
    """Everything the core touches outside Python."""

    cookies: CookieJar
    local_storage: KeyValueStorage

    def page(self) -> PageInfo: ...

    def now(self) -> datetime: ...

    def warn(self, message: str) -> None: ...


@dataclass
class MemoryCookieJar:
    """A cookie jar with browser semantics for names and expiry, kept in memory."""

    hostname: str = "localhost"
    pathname: str = "/"
    jar: dict[str, str] = field(default_factory=dict)
    public_suffixes: frozenset[str] = frozenset({"com", "org", "uk", "co.uk"})
    writes: int = 0

    def read(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def write(self, cookie: str) -> None:
        self.writes += 1
        first, *attrs = cookie.split(";")
        name, _, value = first.partition("=")
        expired = any(
            a.strip().lower().startswith("expires=")
            and datetime.strptime(a.strip()[8:], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
            < datetime.now(timezone.utc)
            for a in attrs
        )
        domain = next((a.strip()[7:] for a in attrs if a.strip().lower().startswith("domain=")), None)
        if domain is not None:
            domain = domain.lstrip(".")
            outside = not (self.hostname == domain or self.hostname.endswith("." + domain))
            if outside or domain in self.public_suffixes:
                return
        if expired:
            self.jar.pop(name.strip(), None)
        else:
            self.jar[name.strip()] = value

    def get(self, name: str) -> str | None:
        return parse_cookie_header(self.read()).get(name)


@dataclass
class MemoryStorage:
    """A dict with the localStorage method names."""

    items: dict[str, str] = field(default_factory=dict)

    def get_item(self, key: str) -> str | None:
        return self.items.get(key)

    def set_item(self, key: str, value: str) -> None:
        self.items[key] = value

    def remove_item(self, key: str) -> None:
        self.items.pop(key, None)

    def keys(self) -> list[str]:
        return list(self.items)


@dataclass
class MemoryHost:
    """A host without a browser: for CPython programs and unit tests."""

    cookies: MemoryCookieJar = field(default_factory=MemoryCookieJar)
    local_storage: KeyValueStorage = field(default_factory=MemoryStorage)
    page_info: PageInfo = field(default_factory=PageInfo)
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    warnings: list[str] = field(default_factory=list)

    def page(self) -> PageInfo:
        return self.page_info

    def now(self) -> datetime:
        return self.clock()

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"analytics-identity: {message}", file=sys.stderr)


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 2, 60, 60


def describe(value: Any) -> str:
    """A short, safe rendering of a bad value for a warning message.

    ``reprlib`` stops at a few levels and characters, so a megabyte string or
    an object nested ten thousand deep cannot blow up the warning itself.
    """
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
