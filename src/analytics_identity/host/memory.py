"""In-memory hosts: the page of CPython programs and of the unit tests.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .page import PageInfo
from .protocols import KeyValueStorage

__all__ = ["MemoryCookieJar", "MemoryHost", "MemoryStorage"]


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
        return self.jar.get(name)

    def after_task(self, fn: Callable[[], None]) -> None:
        """No event loop here, and reads cost nothing: every access is a task of its own, ended at once."""
        fn()


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
    clock: Callable[[], float] = time.time
    warnings: list[str] = field(default_factory=list)
    pinned_page: PageInfo | None = None
    #: The Global Privacy Control signal of the visitor's browser.
    gpc: bool = False
    #: ``debug(true)`` lines.
    logs: list[str] = field(default_factory=list)
    #: ``trackLink``/``trackForm`` bindings: ``(kind, element, fire, delay_ms)``.
    bound: list[tuple[str, Any, Callable[[Any], None], Callable[[], float]]] = field(default_factory=list)

    def page(self) -> PageInfo:
        return self.page_info if self.pinned_page is None else self.pinned_page

    def now(self) -> float:
        return self.clock()

    def global_privacy_control(self) -> bool:
        return self.gpc

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"analytics-identity: {message}", file=sys.stderr)

    def log(self, message: str) -> None:
        self.logs.append(message)
        print(f"analytics-identity: {message}", file=sys.stderr)

    def bind(self, kind: str, targets: Any, fire: Callable[[Any], None], delay_ms: Callable[[], float]) -> int:
        """No document here: the bindings are kept (``bound``) for a caller to fire."""
        elements = list(targets) if isinstance(targets, (list, tuple)) else [targets]
        self.bound.extend((kind, element, fire, delay_ms) for element in elements)
        return len(elements)
