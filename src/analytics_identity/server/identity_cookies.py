"""The identity cookies a server sets: exactly what the browser core writes.

Same names, encoding (``encode_value``), attributes and string
(``serialize``, the ``cookie`` load option through ``CookieAttributes``) as
the core's cookie store, and the same domain: the core probes for the widest
domain the browser accepts a cookie for, which is the host's registrable
domain (its public suffix plus one label, private suffixes such as
``github.io`` included, as Chromium counts them); no domain for an IP
address, ``localhost`` or a single-label host. The browser then finds its
cookie already there, and a renewal overwrites the server's one instead of
adding a second copy.

Every HTML document response carries ``ajs_anonymous_id`` (minted when the
visitor has none) and re-sets ``ajs_user_id`` / ``ajs_group_id`` when the
visitor has them: a cookie set by the site's own server is not held to
Safari's 7-day cap on cookies written by script, so the page can leave
renewing to the server (``cookie: {renew: false}``). Both middlewares use
this one class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from functools import cache
from typing import Any

from ..ids import uuid4
from ..storage.codec import MAX_COOKIE_BYTES, CookieAttributes, candidate_domains, encode_value, serialize
from .visitor import ANONYMOUS_ID_COOKIE, GROUP_ID_COOKIE, USER_ID_COOKIE, Identity, cookie_jar, identity_in

__all__ = ["IdentityCookies", "cookie_domain", "is_html"]

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


@cache
def _public_suffixes() -> Any:
    """The Public Suffix List, loaded on first use (~80 ms, then ~4 µs a look-up)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def cookie_domain(host: str) -> str | None:
    """The cookie domain the browser core settles on for a ``Host`` header value.

    ``shop.example.co.uk:8443`` gives ``example.co.uk``; ``127.0.0.1``,
    ``[::1]``, ``localhost`` and anything that is not a plain hostname give
    ``None`` (a host-only cookie), as does a host that is itself a public suffix.
    """
    hostname = host.strip().lower()
    if not hostname.startswith("["):
        hostname = hostname.rsplit(":", 1)[0] if hostname.count(":") == 1 else hostname
    hostname = hostname.rstrip(".")
    if not _HOSTNAME.fullmatch(hostname) or not candidate_domains(hostname):
        return None
    return _public_suffixes().privatesuffix(hostname)


def is_html(content_type: str | None) -> bool:
    """A document response: ``text/html``, whatever its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "text/html"


class IdentityCookies:
    """Reads the visitor, mints an anonymousId when there is none, and writes the id cookies on documents.

    ``cookie`` is the ``cookie`` option of ``analytics.load`` (``domain``,
    ``maxage`` in days, ``path``, ``sameSite``, ``secure``): give the server
    the same one the page gives ``load``. Bad options raise ``ValueError`` here,
    when the site starts, not on a request. ``allow`` gets the request's
    cookies (raw values by name) and says whether identity cookies may be set
    (a site that asks for consent first reads its consent tool's cookie).
    """

    def __init__(self, cookie: dict[str, Any] | None = None, *,
                 allow: Callable[[Mapping[str, str]], bool] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.attributes = CookieAttributes.from_options(cookie)
        self._allow = allow
        self._clock = clock

    def identify(self, cookie_header: str | bytes | None) -> Identity:
        """The visitor's identity, with a fresh anonymousId (the core's UUID v4) when the cookies hold none."""
        return self.request(cookie_header)[0]

    def request(self, cookie_header: str | bytes | None) -> tuple[Identity, Mapping[str, str]]:
        """:meth:`identify`, and the request's cookies for :meth:`allowed`: the header parsed once."""
        jar = cookie_jar(cookie_header)
        identity = identity_in(jar)
        return (identity if identity.anonymous_id else replace(identity, anonymous_id=uuid4())), jar

    def allowed(self, jar: Mapping[str, str]) -> bool:
        """Whether this request's response may set identity cookies (``jar``: from :meth:`identify`)."""
        return self._allow is None or bool(self._allow(jar))

    def set_cookies(self, identity: Identity, host: str, content_type: str | None,
                    set_cookies: Iterable[str]) -> list[str]:
        """The ``Set-Cookie`` values to add to a response.

        Only on HTML documents (never on API, asset or event responses), never
        for a name the response sets already (at most one of each), and never
        a cookie the browser would drop for its size.
        """
        if not is_html(content_type):
            return []
        taken = {value.split("=", 1)[0].strip() for value in set_cookies}
        domain = self.attributes.domain or cookie_domain(host)
        now = self._clock()
        cookies = []
        for name, value in ((ANONYMOUS_ID_COOKIE, identity.anonymous_id), (USER_ID_COOKIE, identity.user_id),
                            (GROUP_ID_COOKIE, identity.group_id)):
            if value and name not in taken:
                cookie = serialize(name, encode_value(value), self.attributes, domain, now)
                if len(cookie.encode("utf-8")) <= MAX_COOKIE_BYTES:
                    cookies.append(cookie)
        return cookies
