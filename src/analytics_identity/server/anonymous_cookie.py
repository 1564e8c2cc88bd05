"""The ``ajs_anonymous_id`` cookie a server sets: exactly what the browser core writes.

Same name, encoding (``encode_value``), attributes and string
(``serialize``, the ``cookie`` load option through ``CookieAttributes``) as
the core's cookie store, and the same domain: the core probes for the widest
domain the browser accepts a cookie for, which is the host's registrable
domain (its public suffix plus one label, private suffixes such as
``github.io`` included, as Chromium counts them); no domain for an IP
address, ``localhost`` or a single-label host. The browser then finds its
cookie already there and its renewal overwrites the server's one instead of
adding a second copy.

Both middlewares use this one class, so ASGI and WSGI sites set one cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from functools import cache
from typing import Any

from ..storage.codec import MAX_COOKIE_BYTES, CookieAttributes, candidate_domains, encode_value, serialize
from ..identity.ids import uuid4
from .visitor import ANONYMOUS_ID_COOKIE, Identity, read_identity

__all__ = ["AnonymousIdCookie", "cookie_domain", "is_html"]

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


class AnonymousIdCookie:
    """Reads the visitor, mints an anonymousId when there is none, and writes its cookie on documents.

    ``cookie`` is the ``cookie`` option of ``analytics.load`` (``domain``,
    ``maxage`` in days, ``path``, ``sameSite``, ``secure``): give the server
    the same one the page gives ``load``. Bad options raise ``ValueError`` here,
    when the site starts, not on a request.
    """

    def __init__(self, cookie: dict[str, Any] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.attributes = CookieAttributes.from_options(cookie)
        self._clock = clock

    def identify(self, cookie_header: str | bytes | None) -> Identity:
        """The visitor's identity, with a fresh anonymousId (the core's UUID v4) when the cookies hold none."""
        identity = read_identity(cookie_header)
        return identity if identity.anonymous_id else replace(identity, anonymous_id=uuid4())

    def set_cookie(self, identity: Identity, host: str, content_type: str | None,
                   set_cookies: Iterable[str]) -> str | None:
        """The ``Set-Cookie`` value to add to a response, or ``None``.

        Only on HTML documents (never on API, asset or event responses), never
        when the response already sets the cookie (at most one per response),
        and never a cookie the browser would drop for its size.
        """
        if not identity.anonymous_id or not is_html(content_type):
            return None
        if any(value.split("=", 1)[0].strip() == ANONYMOUS_ID_COOKIE for value in set_cookies):
            return None
        domain = self.attributes.domain or cookie_domain(host)
        cookie = serialize(ANONYMOUS_ID_COOKIE, encode_value(identity.anonymous_id), self.attributes, domain,
                           self._clock())
        return cookie if len(cookie.encode("utf-8")) <= MAX_COOKIE_BYTES else None
