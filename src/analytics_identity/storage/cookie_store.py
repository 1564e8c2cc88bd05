"""The cookie store: analytics-next's encoding, writes only on change, renewal once per page.

What is cached about the cookies (the header, its parsed and decoded
values, held writes) lives in the page's one
:class:`~analytics_identity.storage.cookie_header.CookieHeader`, which this
store reads and writes through; where the cookies go (the domain probe, the
clean-up of other scripts' copies) is
:class:`~analytics_identity.storage.cookie_placement.CookiePlacement`'s.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .codec import MAX_COOKIE_BYTES, CookieAttributes, encode_value, serialize
from .cookie_header import CookieHeader
from .cookie_placement import CookiePlacement
from .stores import StoreError, StoreUnavailable

__all__ = ["CookieStore"]


class CookieStore:
    """First-party cookies in analytics-next's encoding.

    Writes only when the value changes, plus one renewal per key per page: a
    ``document.cookie`` read right after a write is a synchronous round trip
    to the browser's network process, so needless writes make every later
    read slow. The first write on a page where the domain probe found no
    cookie at all reads its cookie back: the browser may refuse cookies.
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
        self._place = CookiePlacement(cookies, attributes, self._now)
        self._renewed: set[str] = set()
        self._warned: set[str] = set()
        #: When each cookie was last written by this page (seconds): its expiry, for ``explain()``.
        self.written_at: dict[str, float] = {}

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
            self._place.remove_copies(key)
            self._warn_once(f"found more than one {key} cookie (another path or domain); removed the extra copies")
        current = cookies.values().get(key)
        if value is None:
            self._renewed.discard(key)
            if current is not None:
                domain = self._place.domain()
                cookies.write(serialize(key, "", self._attributes, domain, self._now(), expire=True))
                if domain:  # also drop a host-only copy another library may have left
                    cookies.write(serialize(key, "", self._attributes, None, self._now(), expire=True))
            return
        encoded = encode_value(value)
        if current == encoded and key in self._renewed:
            return
        cookie = serialize(key, encoded, self._attributes, self._place.domain(), self._now())
        if len(cookie.encode("utf-8")) > MAX_COOKIE_BYTES:
            if current is not None:  # a stale cookie would win the next read
                self.set(key, None)
            raise StoreError(f"cookie {key} would exceed {MAX_COOKIE_BYTES} bytes; kept in the other stores")
        # Lists and dicts are copied on reads, so only a string seeds what the next read decodes.
        cookies.write(cookie, value if isinstance(value, str) else None)
        self._renewed.add(key)
        self.written_at[key] = self._clock()
        if self._place.unverified:
            # The first write on a page without cookies tells whether the browser keeps any.
            if cookies.values().get(key) != encoded:
                raise StoreUnavailable("the browser refuses cookies")
            self._place.unverified = False

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
        return self._place.domain(), self._attributes.domain is not None, self._attributes
