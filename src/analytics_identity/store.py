"""Stores for identity values and the priority list that composes them.

One small :class:`Store` interface (``get``; ``set`` where ``None`` removes),
three implementations, and :class:`PriorityStorage`, which reads the first
store that has a value and writes every store. When stores disagree the first
in priority order wins (the cookie by default, because it is shared across
subdomains while localStorage is per origin) and every store is rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from .cookies import (
    MAX_COOKIE_BYTES,
    CookieAttributes,
    candidate_domains,
    decode_value,
    encode_value,
    parse_cookie_header,
    serialize,
)
from .host import CookieJar, KeyValueStorage

__all__ = ["CookieStore", "LocalStorageStore", "MemoryStore", "PriorityStorage", "Store", "StoreError"]

_PROBE = "__tld__"


class StoreError(Exception):
    """A store refused a value it can never hold (for example an oversized cookie)."""


class Store(Protocol):
    """A place that holds JSON-able values by key."""

    name: str

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any | None) -> None:
        """Store ``value``; ``None`` removes the key."""


class MemoryStore:
    """Values for the life of the page; the store that always works."""

    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return self._values.get(key)

    def set(self, key: str, value: Any | None) -> None:
        if value is None:
            self._values.pop(key, None)
        else:
            self._values[key] = value


class LocalStorageStore:
    """JSON values in ``localStorage``; a raw unquoted string is accepted on read."""

    name = "localStorage"

    def __init__(self, backend: KeyValueStorage) -> None:
        self._backend = backend

    def get(self, key: str) -> Any | None:
        raw = self._backend.get_item(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def set(self, key: str, value: Any | None) -> None:
        if value is None:
            self._backend.remove_item(key)
        else:
            self._backend.set_item(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class CookieStore:
    """First-party cookies in analytics-next's encoding.

    Writes only when the value changes, plus one renewal per key per page: a
    ``document.cookie`` read right after a write is a synchronous round trip
    to the browser's network process, so needless writes make every later
    read slow. The widest domain that accepts cookies is probed once, on the
    first write, and cached for the page.
    """

    name = "cookie"

    def __init__(
        self,
        jar: CookieJar,
        attributes: CookieAttributes,
        clock: Callable[[], datetime],
        warn: Callable[[str], None],
    ) -> None:
        self._jar = jar
        self._attributes = attributes
        self._clock = clock
        self._warn = warn
        self._domain: str | None = attributes.domain
        self._probed = attributes.domain is not None
        self._renewed: set[str] = set()
        self._damaged_warned: set[str] = set()

    def get(self, key: str) -> Any | None:
        raw = parse_cookie_header(self._jar.read()).get(key)
        if raw is None:
            return None
        value, damaged = decode_value(raw)
        if damaged and key not in self._damaged_warned:
            self._damaged_warned.add(key)
            self._warn(f"cookie {key} has broken percent-encoding; read it as best we could")
        return value

    def set(self, key: str, value: Any | None) -> None:
        current = parse_cookie_header(self._jar.read()).get(key)
        domain = self._cookie_domain()
        if value is None:
            if current is not None:
                self._jar.write(serialize(key, "", self._attributes, domain, self._clock(), expire=True))
                if domain:  # also drop a host-only copy another library may have left
                    self._jar.write(serialize(key, "", self._attributes, None, self._clock(), expire=True))
            self._renewed.discard(key)
            return
        encoded = encode_value(value)
        if current == encoded and key in self._renewed:
            return
        cookie = serialize(key, encoded, self._attributes, domain, self._clock())
        if len(cookie.encode("utf-8")) > MAX_COOKIE_BYTES:
            raise StoreError(f"cookie {key} would exceed {MAX_COOKIE_BYTES} bytes; kept in the other stores")
        self._jar.write(cookie)
        self._renewed.add(key)

    def _cookie_domain(self) -> str | None:
        if not self._probed:
            self._probed = True
            self._domain = self._probe_domain()
        return self._domain

    def _probe_domain(self) -> str | None:
        """The first candidate domain the browser accepts a cookie for."""
        now = self._clock()
        for level in candidate_domains(self._jar.hostname):
            self._jar.write(serialize(_PROBE, "1", self._attributes, level, now))
            if parse_cookie_header(self._jar.read()).get(_PROBE) == "1":
                self._jar.write(serialize(_PROBE, "", self._attributes, level, now, expire=True))
                return level
        return None


class PriorityStorage:
    """Stores in priority order: read the first value, write them all.

    A store that raises is skipped with one warning per store, so a
    ``SecurityError`` or a full quota never reaches the page and memory
    always works.
    """

    def __init__(self, stores: Sequence[Store], warn: Callable[[str], None]) -> None:
        self.stores = list(stores)
        self._warn = warn
        self._warned: set[str] = set()

    def _failed(self, store: Store, action: str, error: Exception) -> None:
        if isinstance(error, StoreError):
            self._warn(str(error))
            return
        if store.name not in self._warned:
            self._warned.add(store.name)
            self._warn(f"{store.name} is unavailable ({action} failed: {error}); using the other stores")

    def _read_all(self, key: str) -> list[tuple[Store, Any | None]]:
        values = []
        for store in self.stores:
            try:
                values.append((store, store.get(key)))
            except Exception as error:  # noqa: BLE001 - any storage failure is skipped
                self._failed(store, "read", error)
        return values

    def get(self, key: str) -> Any | None:
        """The value of the first store that has one, without repairing the others."""
        for _, value in self._read_all(key):
            if value is not None:
                return value
        return None

    def get_and_sync(self, key: str) -> Any | None:
        """Read, then rewrite every store to the winning value (and renew the cookie)."""
        values = self._read_all(key)
        winner = next((value for _, value in values if value is not None), None)
        if winner is not None:
            for store, value in values:
                if value != winner or store.name == CookieStore.name:
                    self._write(store, key, winner)
        return winner

    def set(self, key: str, value: Any | None) -> None:
        """Write ``value`` to every store; ``None`` removes it everywhere."""
        for store in self.stores:
            self._write(store, key, value)

    def _write(self, store: Store, key: str, value: Any | None) -> None:
        try:
            store.set(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failed(store, "write", error)
