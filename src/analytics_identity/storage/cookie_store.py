"""The cookie store: analytics-next's encoding, the domain probe, renewal and duplicate clean-up.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from ..host.protocols import CookieJar
from .codec import (
    MAX_COOKIE_BYTES,
    CookieAttributes,
    candidate_domains,
    decode_value,
    encode_value,
    parse_cookie_header,
    serialize,
)
from .stores import StoreError, StoreUnavailable

__all__ = ["CookieStore"]


_PROBE = "__tld__"
#: The probe cookie carries no options of the page: a plain cookie on ``/``
#: tells whether a domain (or the host) accepts cookies at all.
_PROBE_ATTRIBUTES = CookieAttributes(max_age_days=1)



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
    persistent = True

    def __init__(
        self,
        jar: CookieJar,
        attributes: CookieAttributes,
        clock: Callable[[], float],
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
        self._header = ""
        self._parsed: dict[str, str] = {}
        #: Decoded values by key, with the raw value each was decoded from:
        #: kept across header changes (a write of ours changes the header
        #: without changing the other cookies), and seeded by our own writes.
        self._decoded: dict[str, tuple[str, tuple[Any, bool]]] = {}
        self._duplicated: set[str] = set()
        #: Cookies assigned so far: tells :meth:`set` whether its write was the only one since a parse.
        self._writes = 0
        self._copies_warned: set[str] = set()
        self._damaged_warned: set[str] = set()
        #: When each cookie was last written by this page (seconds): its expiry, for ``explain()``.
        self.written_at: dict[str, float] = {}

    def names(self) -> list[str]:
        """The names of the page's cookies."""
        return list(self._cookies())

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    def _raw(self, key: str) -> str | None:
        """The raw value of ``key``."""
        return self._cookies().get(key)

    def _cookies(self) -> dict[str, str]:
        """The parsed header, parsed again only when it changed.

        The jar is the call's :class:`~analytics_identity.api.entry.CookieSnapshot`:
        within a public call this reads ``document.cookie`` once.
        """
        header = self._jar.read()
        if header != self._header:
            self._header = header
            self._parsed = parse_cookie_header(header)
            names = Counter(part.strip().partition("=")[0] for part in header.split(";"))
            self._duplicated = {name for name, count in names.items() if count > 1}
        return self._parsed

    def get(self, key: str) -> Any | None:
        raw = self._raw(key)
        if raw is None:
            return None
        held = self._decoded.get(key)
        if held is None or held[0] != raw:
            # Decoding a UUID (percent runs, then a JSON.parse that fails)
            # costs more than the read of a held header.
            held = self._decoded[key] = (raw, decode_value(raw))
        value, damaged = held[1]
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
                self._write(serialize(key, "", self._attributes, domain, self._now(), expire=True))
                if domain:  # also drop a host-only copy another library may have left
                    self._write(serialize(key, "", self._attributes, None, self._now(), expire=True))
            return
        encoded = encode_value(value)
        if current == encoded and key in self._renewed:
            return
        synced = self._writes
        cookie = serialize(key, encoded, self._attributes, self._cookie_domain(), self._now())
        if len(cookie.encode("utf-8")) > MAX_COOKIE_BYTES:
            if current is not None:  # a stale cookie would win the next read
                self.set(key, None)
            raise StoreError(f"cookie {key} would exceed {MAX_COOKIE_BYTES} bytes; kept in the other stores")
        header = self._write(cookie)
        self._renewed.add(key)
        self.written_at[key] = self._clock()
        if header is not None and self._writes == synced + 1 and key not in self._duplicated:
            # Our only write since the header was parsed, and the jar's copy
            # took it: that copy is the header parsed, with this one value new.
            self._header = header
            self._parsed[key] = encoded
        if isinstance(value, str):  # what the next read decodes (lists and dicts are copied on reads)
            self._decoded[key] = (encoded, (value, False))
        if self._unverified:
            # The first write on a page without cookies tells whether the browser keeps any.
            if self._raw(key) != encoded:
                raise StoreUnavailable("the browser refuses cookies")
            self._unverified = False

    def _write(self, cookie: str) -> str | None:
        self._writes += 1
        return self._jar.write(cookie)

    def _remove_copies(self, key: str) -> None:
        """Expire copies of ``key`` another script set on a longer path or host-only.

        The browser lists the cookie with the longest path first, so such a
        copy wins every read and hides what we write. Scripts cannot see a
        cookie's path, so each ancestor of the page's path is tried.
        """
        now = self._now()
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
        one) on every call. Nothing at all with ``cookie.renew: false``, where
        the site's server renews the cookie (a script write would bring
        Safari's 7-day cap back).
        """
        if key not in self._renewed and self._attributes.renew:
            self.set(key, value)

    def placement(self) -> tuple[str | None, bool, CookieAttributes]:
        """The cookie domain (probed now if not yet), whether the ``cookie.domain`` option named it,
        and the attributes written."""
        return self._cookie_domain(), self._attributes.domain is not None, self._attributes

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
        now = self._now()
        for level in candidate_domains(self._jar.hostname):
            if self._sticks(level, now):
                return level
        self._unverified = not self._jar.read()
        return None
