"""The cookie store: analytics-next's encoding, the domain probe, renewal and duplicate clean-up.

What is cached about the cookies (the header, its parsed and decoded
values, held writes) lives in the page's one
:class:`~analytics_identity.storage.cookie_header.CookieHeader`, which this
store reads and writes through.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .codec import MAX_COOKIE_BYTES, CookieAttributes, candidate_domains, encode_value, serialize
from .cookie_header import CookieHeader
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
        cookies: CookieHeader,
        attributes: CookieAttributes,
        clock: Callable[[], float],
        warn: Callable[[str], None],
    ) -> None:
        self._cookies = cookies
        self._attributes = attributes
        self._clock = clock
        self._warn = warn
        self._domain: str | None = attributes.domain
        self._probed = attributes.domain is not None
        self._renewed: set[str] = set()
        self._unverified = False
        self._warned: set[str] = set()

    def names(self) -> list[str]:
        """The names of the page's cookies."""
        return list(self._cookies.values())

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)

    def get(self, key: str) -> Any | None:
        held = self._cookies.decoded(key)
        if held is None:
            return None
        value, damaged = held
        if damaged:
            # js-cookie skips such a cookie, so analytics-next falls back to
            # localStorage; doing the same keeps both libraries on one id.
            self._warn_once(f"cookie {key} has broken percent-encoding; ignored it and will rewrite it")
            return None
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value

    def set(self, key: str, value: Any | None) -> None:
        cookies = self._cookies
        if cookies.duplicated(key):
            self._remove_copies(key)
        current = cookies.values().get(key)
        if value is None:
            self._renewed.discard(key)
            if current is not None:
                domain = self._cookie_domain()
                cookies.write(serialize(key, "", self._attributes, domain, self._now(), expire=True))
                if domain:  # also drop a host-only copy another library may have left
                    cookies.write(serialize(key, "", self._attributes, None, self._now(), expire=True))
            return
        encoded = encode_value(value)
        if current == encoded and key in self._renewed:
            return
        cookie = serialize(key, encoded, self._attributes, self._cookie_domain(), self._now())
        if len(cookie.encode("utf-8")) > MAX_COOKIE_BYTES:
            if current is not None:  # a stale cookie would win the next read
                self.set(key, None)
            raise StoreError(f"cookie {key} would exceed {MAX_COOKIE_BYTES} bytes; kept in the other stores")
        # Lists and dicts are copied on reads, so only a string seeds what the next read decodes.
        cookies.write(cookie, value if isinstance(value, str) else None)
        self._renewed.add(key)
        if self._unverified:
            # The first write on a page without cookies tells whether the browser keeps any.
            if cookies.values().get(key) != encoded:
                raise StoreUnavailable("the browser refuses cookies")
            self._unverified = False

    def _remove_copies(self, key: str) -> None:
        """Expire copies of ``key`` another script set on a longer path or host-only.

        The browser lists the cookie with the longest path first, so such a
        copy wins every read and hides what we write. Scripts cannot see a
        cookie's path, so each ancestor of the page's path is tried.
        """
        now = self._now()
        parts = self._cookies.pathname.split("/")
        paths = ["/".join(parts[:i]) for i in range(2, len(parts) + 1)]
        domain = self._cookie_domain()
        for path in (p for p in paths if p and not any(ch in p for ch in ";,\r\n")):
            for where in {None, domain}:
                self._cookies.write(serialize(key, "", replace(self._attributes, path=path), where, now, expire=True))
        if domain:
            self._cookies.write(serialize(key, "", self._attributes, None, now, expire=True))
        self._warn_once(f"found more than one {key} cookie (another path or domain); removed the extra copies")

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

    def _cookie_domain(self) -> str | None:
        if not self._probed:
            self._probed = True
            self._domain = self._probe()
        return self._domain

    def _sticks(self, domain: str | None, now: datetime) -> bool:
        """Write the probe cookie for ``domain``, read it back, remove it."""
        self._cookies.write(serialize(_PROBE, "1", _PROBE_ATTRIBUTES, domain, now))
        if self._cookies.values().get(_PROBE) != "1":
            return False
        self._cookies.write(serialize(_PROBE, "", _PROBE_ATTRIBUTES, domain, now, expire=True))
        return True

    def _probe(self) -> str | None:
        """The widest candidate domain the browser accepts a cookie for.

        ``None`` means a host-only cookie. When nothing sticks and the page
        has no cookie at all, cookies may be refused altogether: the first
        real write is then read back to find out.
        """
        now = self._now()
        for level in candidate_domains(self._cookies.hostname):
            if self._sticks(level, now):
                return level
        self._unverified = not self._cookies.header()
        return None
