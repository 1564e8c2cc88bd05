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
renewing to the server (``cookie: {renew: false}``). A request whose view
logged the visitor in or out (:mod:`.request_identity`) carries the changed
cookies on any response, and the message the page applies to its
localStorage. Both middlewares use this one class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from functools import cache
from typing import Any

from ..identity.server_login import SERVER_LOGIN_COOKIE, read_message
from ..ids import uuid4
from ..storage.codec import MAX_COOKIE_BYTES, CookieAttributes, candidate_domains, decode_value, encode_value, serialize
from .request_identity import RequestIdentity, log, response_changes
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


def _minted(identity: Identity) -> Identity:
    """The identity with a fresh anonymousId (the core's UUID v4) when it has none."""
    return identity if identity.anonymous_id else replace(identity, anonymous_id=uuid4())


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
        return _minted(identity_in(cookie_jar(cookie_header)))

    def request(self, cookie_header: str | bytes | None) -> tuple[RequestIdentity, bool]:
        """The identity a middleware puts on the request (:meth:`identify`, with login and
        logout), and whether this response may set identity cookies (``allow``): the header parsed once."""
        jar = cookie_jar(cookie_header)
        identity = _minted(identity_in(jar))
        pending = jar.get(SERVER_LOGIN_COOKIE)
        allowed = self._allow is None or bool(self._allow(jar))
        return RequestIdentity(identity, jar, read_message(decode_value(pending)[0]) if pending else None,
                               allowed), allowed

    def set_cookies(self, identity: Identity | RequestIdentity, host: str, content_type: str | None,
                    set_cookies: Iterable[str]) -> list[str]:
        """The ``Set-Cookie`` values to add to a response.

        On HTML documents only (never on API, asset or event responses),
        unless the request logged the visitor in or out (:class:`.RequestIdentity`):
        then on any response, with the ids a logout removed deleted and the
        message the page applies. Never for a name the response sets already
        (at most one of each), and never a cookie the browser would drop for its size.
        """
        message, forget = response_changes(identity) if isinstance(identity, RequestIdentity) else (None, ())
        if message is None and not is_html(content_type):
            return []
        taken = {value.split("=", 1)[0].strip() for value in set_cookies}
        domain = self.attributes.domain or cookie_domain(host)
        now = self._clock()

        def cookie(name: str, value: Any) -> str | None:
            if name in taken:
                return None
            text = serialize(name, "" if value is None else encode_value(value), self.attributes, domain, now,
                             expire=value is None)
            return text if len(text.encode("utf-8")) <= MAX_COOKIE_BYTES else None

        ids = ((ANONYMOUS_ID_COOKIE, identity.anonymous_id), (USER_ID_COOKIE, identity.user_id),
               (GROUP_ID_COOKIE, identity.group_id))
        logout = message is not None and bool(message.get("reset"))
        cookies = [cookie(name, value) for name, value in ids if value or logout]
        if message is not None:
            cookies += [cookie(name, None) for name in forget]
            sent = cookie(SERVER_LOGIN_COOKIE, message)
            if sent is None and message.get("traits"):
                log.warning("analytics-identity: identify traits not sent to the page: with them the %s cookie "
                            "is over %d bytes (the ids are); set large traits from the page", SERVER_LOGIN_COOKIE,
                            MAX_COOKIE_BYTES)
                sent = cookie(SERVER_LOGIN_COOKIE, {k: v for k, v in message.items() if k != "traits"})
            cookies.append(sent)
        return [text for text in cookies if text is not None]
