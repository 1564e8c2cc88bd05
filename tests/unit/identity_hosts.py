"""Hosts for identity tests: a browser page whose cookies and localStorage work, or not.

A "page" is one :class:`Analytics` on a host; a reload is a new
:class:`Analytics` on the same host (the same jar and localStorage), which is
exactly what a browser keeps between page loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from analytics_identity.api.client import Analytics
from analytics_identity.storage.codec import decode_value
from analytics_identity.host import MemoryCookieJar, MemoryHost, MemoryStorage


class SecurityError(Exception):
    """What a sandboxed frame raises on ``document.cookie`` or ``localStorage``."""


@dataclass
class CountingJar(MemoryCookieJar):
    """``document.cookie`` that counts reads and keeps every string written."""

    reads: int = 0
    written: list[str] = field(default_factory=list)

    def read(self) -> str:
        self.reads += 1
        return super().read()

    def write(self, cookie: str) -> None:
        self.written.append(cookie)
        super().write(cookie)

    def ours(self) -> list[str]:
        """Writes other than the domain probe."""
        return [c for c in self.written if not c.startswith("__tld__=")]


@dataclass
class RefusingJar(CountingJar):
    """Cookies disabled by the user: reads give ``""`` and writes are dropped."""

    def read(self) -> str:
        self.reads += 1
        return ""

    def write(self, cookie: str) -> None:
        self.written.append(cookie)


@dataclass
class ThrowingJar(CountingJar):
    """A sandboxed frame: every access raises."""

    def read(self) -> str:
        self.reads += 1
        raise SecurityError("The document is sandboxed and lacks the 'allow-same-origin' flag.")

    def write(self, cookie: str) -> None:
        raise SecurityError("The document is sandboxed and lacks the 'allow-same-origin' flag.")


@dataclass
class CountingStorage(MemoryStorage):
    """``localStorage`` that counts reads and writes."""

    reads: int = 0
    writes: int = 0

    def get_item(self, key: str) -> str | None:
        self.reads += 1
        return super().get_item(key)

    def set_item(self, key: str, value: str) -> None:
        self.writes += 1
        super().set_item(key, value)

    def remove_item(self, key: str) -> None:
        self.writes += 1
        super().remove_item(key)


@dataclass
class ThrowingStorage(CountingStorage):
    """localStorage disabled: every access raises."""

    def get_item(self, key: str) -> str | None:
        raise SecurityError("Access is denied for this document.")

    def set_item(self, key: str, value: str) -> None:
        raise SecurityError("Access is denied for this document.")

    def remove_item(self, key: str) -> None:
        raise SecurityError("Access is denied for this document.")


@dataclass
class FullStorage(CountingStorage):
    """localStorage over quota: reads work, writes raise."""

    def set_item(self, key: str, value: str) -> None:
        raise OSError("QuotaExceededError: the quota has been exceeded.")


def host(hostname: str = "localhost", jar: CountingJar | None = None, storage: CountingStorage | None = None) -> MemoryHost:
    jar = jar or CountingJar()
    jar.hostname = hostname
    return MemoryHost(cookies=jar, local_storage=storage or CountingStorage())


def page(on: MemoryHost, options: dict[str, Any] | None = None) -> Analytics:
    """Load a page on ``on`` (a reload when ``on`` was used before)."""
    return Analytics(on, "write-key", options or {})


def cookie(on: MemoryHost, name: str) -> Any:
    """The cookie's value as analytics-next reads it (``None`` when absent)."""
    raw = on.cookies.jar.get(name)  # type: ignore[attr-defined]
    return None if raw is None else decode_value(raw)[0]


def raw_cookie(on: MemoryHost, name: str) -> str | None:
    """The raw cookie value as the browser holds it."""
    return on.cookies.jar.get(name)  # type: ignore[attr-defined]


def local(on: MemoryHost, key: str) -> Any:
    """The parsed localStorage value, or ``None``."""
    raw = on.local_storage.items.get(key)  # type: ignore[attr-defined]
    return None if raw is None else json.loads(raw)


def raw_local(on: MemoryHost, key: str) -> str | None:
    return on.local_storage.items.get(key)  # type: ignore[attr-defined]
