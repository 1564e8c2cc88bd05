"""Where the page's cookies go: the widest domain that takes them, and no other copy.

analytics-next writes its cookies on the widest domain the browser accepts
(``.example.com`` from ``shop.example.com``), found by writing a probe
cookie on each candidate; this module holds that probe, done once per page
on the first write, and the removal of copies of one of our cookies that
another script left on a longer path or host-only, which would otherwise
win every read. :class:`~analytics_identity.storage.cookie_store.CookieStore`
asks it where to write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from .codec import CookieAttributes, candidate_domains, serialize
from .cookie_header import CookieHeader

__all__ = ["CookiePlacement"]

_PROBE = "__tld__"
#: The probe cookie carries no options of the page: a plain cookie on ``/``
#: tells whether a domain (or the host) accepts cookies at all.
_PROBE_ATTRIBUTES = CookieAttributes(max_age_days=1)


class CookiePlacement:
    """The cookie domain of the page (``cookie.domain``, or probed once), and the clean-up of stray copies."""

    def __init__(self, cookies: CookieHeader, attributes: CookieAttributes, now: Callable[[], datetime]) -> None:
        self._cookies = cookies
        self._attributes = attributes
        self._now = now
        self._domain: str | None = attributes.domain
        self._probed = attributes.domain is not None
        #: Nothing stuck and the page had no cookie at all: the browser may refuse
        #: cookies altogether, which the store's first real write finds out.
        self.unverified = False

    def domain(self) -> str | None:
        """The domain our cookies are written for (``None``: host-only), probed on first use."""
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
        """The widest candidate domain the browser accepts a cookie for; ``None`` means host-only."""
        now = self._now()
        for level in candidate_domains(self._cookies.hostname):
            if self._sticks(level, now):
                return level
        self.unverified = not self._cookies.header()
        return None

    def remove_copies(self, key: str) -> None:
        """Expire copies of ``key`` another script set on a longer path or host-only.

        The browser lists the cookie with the longest path first, so such a
        copy wins every read and hides what we write. Scripts cannot see a
        cookie's path, so each ancestor of the page's path is tried.
        """
        now = self._now()
        parts = self._cookies.pathname.split("/")
        paths = ["/".join(parts[:i]) for i in range(2, len(parts) + 1)]
        domain = self.domain()
        for path in (p for p in paths if p and not any(ch in p for ch in ";,\r\n")):
            for where in {None, domain}:
                self._cookies.write(serialize(key, "", replace(self._attributes, path=path), where, now, expire=True))
        if domain:
            self._cookies.write(serialize(key, "", self._attributes, None, now, expire=True))
