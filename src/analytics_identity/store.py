"""Stores for identity values and the priority list that composes them.

One small :class:`Store` interface (``get``; ``set`` where ``None`` removes),
three implementations, and :class:`PriorityStorage`, which reads the first
store that has a value and writes every store. When stores disagree the
cookie wins (it is shared across subdomains while localStorage is per
origin; analytics-next issue #706) and every store is rewritten.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
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

__all__ = [
    "CookieStore",
    "LocalStorageStore",
    "MemoryStore",
    "PriorityStorage",
    "Store",
    "StoreError",
    "StoreFailures",
    "StoreUnavailable",
]

_PROBE = "__tld__"
#: The probe cookie carries no options of the page: a plain cookie on ``/``
#: tells whether a domain (or the host) accepts cookies at all.
_PROBE_ATTRIBUTES = CookieAttributes(max_age_days=1)


class StoreError(Exception):
    """A store refused one value it can never hold (for example an oversized cookie)."""


class StoreUnavailable(Exception):
    """A store found out it cannot work on this page (cookies disabled)."""


class Store(Protocol):
    """A place that holds JSON-able values by key."""

    name: str

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any | None) -> None:
        """Store ``value``; ``None`` removes the key."""


class MemoryStore:
    """Values for the life of the page; the store that always works.

    Objects are copied in and out, as the other stores do by serialising, so
    a caller changing a returned traits dict cannot change what is stored.
    """

    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        value = self._values.get(key)
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value

    def set(self, key: str, value: Any | None) -> None:
        if value is None:
            self._values.pop(key, None)
        else:
            self._values[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value


class LocalStorageStore:
    """JSON values in ``localStorage``; a raw unquoted string is accepted on read.

    The first write of the page is read back: storage that accepts writes
    and keeps nothing (as some private modes did) is then reported as
    unavailable, so memory keeps the page's identity instead of a fresh id
    being minted on every read.
    """

    name = "localStorage"

    def __init__(self, backend: KeyValueStorage) -> None:
        self._backend = backend
        self._verified = False

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
            return
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as error:
            raise StoreError(f"{key} is not JSON ({error}); kept for this page only") from None
        self._backend.set_item(key, text)
        if not self._verified:
            if self._backend.get_item(key) != text:
                raise StoreUnavailable("localStorage does not keep what is written")
            self._verified = True


class CookieStore:
    """First-party cookies in analytics-next's encoding.

    Writes only when the value changes, plus one renewal per key per page: a
    ``document.cookie`` read right after a write is a synchronous round trip
    to the browser's network process, so needless writes make every later
    read slow. The widest domain that accepts cookies is probed once, on the
    first write, and cached for the page; the same probe finds out when the
    browser refuses cookies altogether.
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
        self._unverified = False
        self._holds = 0
        self._held = False
        self._header = ""
        self._parsed: dict[str, str] = {}
        #: Decoded values of ``_parsed``, by key, as :meth:`get` needed them.
        self._decoded: dict[str, tuple[Any, bool]] = {}
        self._duplicated: set[str] = set()
        self._copies_warned: set[str] = set()
        self._damaged_warned: set[str] = set()

    def _raw(self, key: str) -> str | None:
        """The raw value of ``key``."""
        return self._cookies().get(key)

    def _cookies(self) -> dict[str, str]:
        """The parsed header; parsed again only when it changed, read again only when not held."""
        if self._held:
            return self._parsed
        header = self._jar.read()
        self._held = self._holds > 0
        if header != self._header:
            self._header = header
            self._parsed = parse_cookie_header(header)
            self._decoded.clear()
            names = Counter(part.strip().partition("=")[0] for part in header.split(";"))
            self._duplicated = {name for name, count in names.items() if count > 1}
        return self._parsed

    @contextmanager
    def held(self) -> Iterator[None]:
        """Read ``document.cookie`` at most once in the block (each read is a browser call).

        The client holds it for each public call, the browser bridge for
        each call from the page (``analytics.user().id(x)`` too). The held
        copy is only ever our own code's view while it runs: it is dropped
        by every write of ours and whenever a block ends, and nothing is held
        while page code runs inside the block (:meth:`page_code`): a
        listener or middleware may assign ``document.cookie`` and then call
        ``analytics`` again, and that call must read what it changed. Blocks
        nest; an inner one uses the copy of the outer one.
        """
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            self._held = False

    def read_now(self) -> None:
        """Read the header at once, inside a :meth:`held` block.

        For the browser bridge, at the entry of a call from the page: in
        headless Chromium a ``document.cookie`` read from Python costs more the
        deeper the WebAssembly stack is (measured: ~37 µs at the entry, ~170 µs
        ten C-level calls deeper; ``document.title`` hardly changes), and each
        call through C (a context manager, a bound method called with
        ``*args``) adds frames. A store that fails to read fails again where
        the core reads, and is reported there.
        """
        with suppress(Exception):
            self._cookies()

    @contextmanager
    def page_code(self) -> Iterator[None]:
        """Page code (listeners, middleware, callbacks) runs in the block: hold nothing meanwhile."""
        holds, self._holds, self._held = self._holds, 0, False
        try:
            yield
        finally:
            self._holds, self._held = holds, False

    def _write(self, cookie: str) -> None:
        self._held = False
        self._jar.write(cookie)

    def get(self, key: str) -> Any | None:
        raw = self._raw(key)
        if raw is None:
            return None
        decoded = self._decoded.get(key)
        if decoded is None:
            # Kept until the header changes: decoding a UUID (percent runs,
            # then a JSON.parse that fails) costs more than the read of a held header.
            decoded = self._decoded[key] = decode_value(raw)
        value, damaged = decoded
        if damaged:
            # js-cookie skips such a cookie, so analytics-next falls back to
            # localStorage; doing the same keeps both libraries on one id.
            if key not in self._damaged_warned:
                self._damaged_warned.add(key)
                self._warn(f"cookie {key} has broken percent-encoding; ignored it and will rewrite it")
            return None
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value

    def set(self, key: str, value: Any | None) -> None:
        current = self._raw(key)
        if key in self._duplicated:
            self._remove_copies(key)
            current = self._raw(key)
        if value is None:
            self._renewed.discard(key)
            if current is not None:
                domain = self._cookie_domain()
                self._write(serialize(key, "", self._attributes, domain, self._clock(), expire=True))
                if domain:  # also drop a host-only copy another library may have left
                    self._write(serialize(key, "", self._attributes, None, self._clock(), expire=True))
            return
        encoded = encode_value(value)
        if current == encoded and key in self._renewed:
            return
        cookie = serialize(key, encoded, self._attributes, self._cookie_domain(), self._clock())
        if len(cookie.encode("utf-8")) > MAX_COOKIE_BYTES:
            if current is not None:  # a stale cookie would win the next read
                self.set(key, None)
            raise StoreError(f"cookie {key} would exceed {MAX_COOKIE_BYTES} bytes; kept in the other stores")
        self._write(cookie)
        self._renewed.add(key)
        if self._unverified:
            # The first write on a page without cookies tells whether the browser keeps any.
            if self._raw(key) != encoded:
                raise StoreUnavailable("the browser refuses cookies")
            self._unverified = False

    def _remove_copies(self, key: str) -> None:
        """Expire copies of ``key`` another script set on a longer path or host-only.

        The browser lists the cookie with the longest path first, so such a
        copy wins every read and hides what we write. Scripts cannot see a
        cookie's path, so each ancestor of the page's path is tried.
        """
        now = self._clock()
        parts = self._jar.pathname.split("/")
        paths = ["/".join(parts[:i]) for i in range(2, len(parts) + 1)]
        domain = self._cookie_domain()
        for path in (p for p in paths if p and not any(ch in p for ch in ";,\r\n")):
            for where in {None, domain}:
                self._write(serialize(key, "", replace(self._attributes, path=path), where, now, expire=True))
        if domain:
            self._write(serialize(key, "", self._attributes, None, now, expire=True))
        if key not in self._copies_warned:
            self._copies_warned.add(key)
            self._warn(f"found more than one {key} cookie (another path or domain); removed the extra copies")

    def renew(self, key: str, value: Any) -> None:
        """Push the expiry of a cookie that holds ``value`` a year ahead, once per page.

        Costs nothing after the first time: reads keep the cookie alive
        without a ``document.cookie`` write (and the slow read that follows
        one) on every call.
        """
        if key not in self._renewed:
            self.set(key, value)

    def _cookie_domain(self) -> str | None:
        if not self._probed:
            self._probed = True
            self._domain = self._probe()
        return self._domain

    def _sticks(self, domain: str | None, now: datetime) -> bool:
        """Write the probe cookie for ``domain``, read it back, remove it."""
        self._write(serialize(_PROBE, "1", _PROBE_ATTRIBUTES, domain, now))
        if parse_cookie_header(self._jar.read()).get(_PROBE) != "1":
            return False
        self._write(serialize(_PROBE, "", _PROBE_ATTRIBUTES, domain, now, expire=True))
        return True

    def _probe(self) -> str | None:
        """The widest candidate domain the browser accepts a cookie for.

        ``None`` means a host-only cookie. When nothing sticks and the page
        has no cookie at all, cookies may be refused altogether: the first
        real write is then read back to find out.
        """
        now = self._clock()
        for level in candidate_domains(self._jar.hostname):
            if self._sticks(level, now):
                return level
        self._unverified = not self._jar.read()
        return None


class StoreFailures:
    """Store failures of the page, shared by every priority list.

    Each failing store is reported once. A store that fails to read (a
    ``SecurityError`` in a sandboxed frame, cookies refused) is skipped from
    then on, so a broken store costs one exception per page, not one per
    call; a failed write (a full quota) only skips that write.
    """

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        self._warned: set[str] = set()
        self.broken: set[str] = set()

    def report(self, store: Store, action: str, error: Exception) -> None:
        if isinstance(error, StoreError):
            message = str(error)
        else:
            if action == "read" or isinstance(error, StoreUnavailable):
                self.broken.add(store.name)
            message = f"{store.name} is unavailable ({action} failed: {error}); using the other stores"
            if store.name in self._warned:
                return
            self._warned.add(store.name)
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)


def _present(value: Any) -> Any | None:
    """A blanked-out value (``""``, as some consent scripts leave) counts as none."""
    return None if value == "" else value


class PriorityStorage:
    """Stores in priority order: read the first value, write them all.

    Memory backs up the stores that persist, for pages where they fail. Once
    a value has landed in one of them, finding it only in memory means
    another tab (a ``reset()`` there) or the visitor removed it: memory then
    forgets it too instead of writing it back.
    """

    def __init__(self, stores: Sequence[Store], failures: StoreFailures) -> None:
        self.stores = list(stores)
        self._failures = failures
        self._landed: set[str] = set()
        self._cookie = next((store for store in self.stores if isinstance(store, CookieStore)), None)
        #: Per key, the value every store was made to hold in this page: while
        #: the cookie still holds it, reading the cookie alone is enough.
        self._synced: dict[str, Any] = {}

    def _only_in_memory(self, key: str, holders: list[Store]) -> bool:
        """True when the value was removed from the persisting stores elsewhere; memory forgets it."""
        if key in self._landed and all(store.name == MemoryStore.name for store in holders):
            self._landed.discard(key)
            for store in holders:
                self._write(store, key, None)
            return True
        return False

    def _read_all(self, key: str) -> list[tuple[Store, Any | None]]:
        values = []
        for store in self.stores:
            if store.name in self._failures.broken:
                continue
            try:
                values.append((store, store.get(key)))
            except Exception as error:  # noqa: BLE001 - any storage failure is skipped
                self._failures.report(store, "read", error)
        return values

    def get(self, key: str) -> Any | None:
        """The value of the first store that has one, without repairing the others."""
        holders = [(store, value) for store, value in self._read_all(key) if _present(value) is not None]
        if not holders or self._only_in_memory(key, [store for store, _ in holders]):
            return None
        return holders[0][1]

    def get_and_sync(self, key: str, clean: Callable[[Any], Any | None] = _present) -> Any | None:
        """Read every store; the cookie's value wins, else the first one found.

        ``clean`` turns a raw stored value into the value (or ``None`` when
        unusable, e.g. an id that is an object). Every store holding something
        else is rewritten with the winner, and the cookie is renewed.

        Once the stores agree, later reads in the page look at the cookie
        only, as long as it holds that value: the cookie wins anyway, and each
        store read is a call into the browser on every event.
        """
        synced = self._synced.pop(key, None)
        if synced is not None and self._cookie_value(key, clean) == synced:
            self._synced[key] = synced
            return synced
        values = [(store, raw, clean(raw)) for store, raw in self._read_all(key)]
        usable = [(store, value) for store, _, value in values if value is not None]
        if not usable or self._only_in_memory(key, [store for store, _ in usable]):
            return None
        winner = next((value for store, value in usable if store.name == CookieStore.name), usable[0][1])
        agreed = True
        for store, raw, _ in values:
            if raw != winner:
                agreed = self._write(store, key, winner) and agreed
            elif isinstance(store, CookieStore):
                self._renew(store, key, winner)
        if agreed and len(values) == len(self.stores):
            self._synced[key] = winner
        return winner

    def _cookie_value(self, key: str, clean: Callable[[Any], Any | None]) -> Any | None:
        """The cookie's usable value, when the list has a working cookie store."""
        if self._cookie is None or self._cookie.name in self._failures.broken:
            return None
        try:
            return clean(self._cookie.get(key))
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(self._cookie, "read", error)
            return None

    def set(self, key: str, value: Any | None) -> None:
        """Write ``value`` to every store; ``None`` removes it everywhere."""
        self._synced.pop(key, None)
        agreed = True
        for store in self.stores:
            if store.name not in self._failures.broken:
                agreed = self._write(store, key, value) and agreed
        if agreed and value is not None and self._cookie is not None:
            self._synced[key] = value

    def _write(self, store: Store, key: str, value: Any | None) -> bool:
        """Write one store; ``False`` when it failed (reported)."""
        try:
            store.set(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(store, "write", error)
            return False
        if store.name != MemoryStore.name:
            if value is None:
                self._landed.discard(key)
            else:
                self._landed.add(key)
        return True

    def _renew(self, store: CookieStore, key: str, value: Any) -> None:
        try:
            store.renew(key, value)
        except Exception as error:  # noqa: BLE001 - any storage failure is skipped
            self._failures.report(store, "write", error)
            return
        if store.name != MemoryStore.name:
            if value is None:
                self._landed.discard(key)
            else:
                self._landed.add(key)
