"""Cookie codec: the exact byte format analytics.js reads and writes.

Both directions must stay compatible with analytics-next (js-cookie encoding)
and classic analytics.js (``encodeURIComponent(JSON.stringify(v))``), so a site
can switch libraries without its visitors losing their identity.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..instants import http_date
from ..percent import decode_runs, encoder

__all__ = [
    "CookieAttributes",
    "MAX_COOKIE_BYTES",
    "candidate_domains",
    "decode_value",
    "encode_value",
    "parse_cookie_header",
    "serialize",
]

#: Browsers drop a cookie whose name, value and attributes exceed 4096 bytes.
MAX_COOKIE_BYTES = 4096
#: Longest ``cookie.maxage`` whose expiry date can still be written (browsers cap it at 400 days anyway).
MAX_AGE_DAYS = 1_000_000

# js-cookie runs encodeURIComponent and then decodes these back because they
# are legal in a cookie value; encoding with them marked safe does the same.
_encode = encoder("#$&+/:<=>?@[]^`{|}")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def _json_parse(text: str) -> Any:
    """``JSON.parse``: strict, so ``NaN`` and ``Infinity`` stay text as in JavaScript.

    Nesting deeper than Python's parser goes (``[`` 1,000 times fits in one
    cookie) is a ``ValueError`` too, so such a value reads as its text.
    """

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def encode_value(value: Any) -> str:
    """Encode a stored value the way analytics-next writes it.

    Strings are written raw (js-cookie percent-encoding) so a UUID stands as
    is. A string that would itself parse as JSON (``"1234"``, ``"null"``) is
    written JSON-quoted instead, so every reader gets the same string back
    rather than a number or nothing; anything else is JSON.
    """
    if isinstance(value, str):
        try:
            _json_parse(value)
        except ValueError:
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _encode(text)


def decode_value(raw: str) -> tuple[Any, bool]:
    """Read a cookie value written by analytics-next or classic analytics.js.

    Reads exactly as analytics-next does (js-cookie drops the first and last
    character when the value starts with a quote, decodes ``%XX`` runs, then
    ``JSON.parse`` or the raw text), so both libraries see the same value.
    Returns ``(value, damaged)``; ``damaged`` is true when the value held bad
    percent-encoding and was read as best we could.
    """
    if raw.startswith('"'):
        raw = raw[1:-1]
    # js-cookie decodes %XX runs; a run that is not UTF-8 stays as it stands
    # (js-cookie would drop the whole cookie) and the caller warns.
    text, damaged = decode_runs(raw)
    try:
        value = _json_parse(text)
    except ValueError:
        return text, damaged
    return value, damaged


def parse_cookie_header(header: str) -> dict[str, str]:
    """Split ``document.cookie`` into raw values; the first of a repeated name wins.

    Browsers list the cookie with the longest matching path first, which is
    the one a page should see, and js-cookie reads the first as well.
    """
    jar: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in jar:
            jar[name] = value
    return jar


def _clean_attribute(value: str) -> str:
    """Refuse attribute values that could add attributes or cookies."""
    if any(ch in value for ch in ";,\r\n\0") or not value.isprintable():
        raise ValueError(f"invalid cookie attribute value: {value!r}")
    return value


@dataclass(frozen=True)
class CookieAttributes:
    """Attributes of every cookie we write (``cookie`` load option).

    ``max_age_days`` follows analytics.js' ``cookie.maxage`` unit (days).
    ``renew`` (``cookie.renew``, ours): ``False`` writes a cookie only when its
    value changes and leaves pushing its expiry to the site's server
    (``IdentityMiddleware``): Safari caps a cookie written by script at 7
    days, one set in a response of the site's own server it does not.
    """

    max_age_days: float = 365
    path: str = "/"
    domain: str | None = None
    same_site: str = "Lax"
    secure: bool = False
    renew: bool = True

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> CookieAttributes:
        """Validate the ``cookie`` load option; bad values raise ``ValueError``."""
        options = options or {}
        maxage = options.get("maxage", 365)
        if isinstance(maxage, bool) or not isinstance(maxage, (int, float)) or not abs(maxage) <= MAX_AGE_DAYS:
            raise ValueError(f"cookie.maxage must be a number of days up to {MAX_AGE_DAYS}, not {maxage!r}")
        path = _clean_attribute(str(options.get("path", "/")))
        domain = options.get("domain")
        if domain is not None:
            domain = _clean_attribute(str(domain)).lstrip(".") or None
        same_site = _SAME_SITE.get(str(options.get("sameSite", "Lax")).lower())
        if same_site is None:
            raise ValueError(f"cookie.sameSite must be Lax, Strict or None, not {options.get('sameSite')!r}")
        renew = options.get("renew", True)
        if not isinstance(renew, bool):
            raise ValueError(f"cookie.renew must be true or false, not {renew!r}")
        return cls(float(maxage), path, domain, same_site, bool(options.get("secure", False)), renew)


def serialize(
    name: str,
    encoded_value: str,
    attributes: CookieAttributes,
    domain: str | None,
    now: datetime,
    *,
    expire: bool = False,
) -> str:
    """Build the string assigned to ``document.cookie``.

    ``encoded_value`` comes from :func:`encode_value`, which percent-encodes
    ``;`` and control characters, so input can never add an attribute.
    """
    if not _TOKEN.match(name):
        raise ValueError(f"invalid cookie name: {name!r}")
    expires = now - timedelta(days=1) if expire else now + timedelta(days=attributes.max_age_days)
    parts = [
        f"{name}={'' if expire else encoded_value}",
        "expires=" + http_date(int(expires.timestamp())),
        f"path={attributes.path}",
    ]
    if domain:
        parts.append(f"domain={domain}")
    parts.append(f"SameSite={attributes.same_site}")
    if attributes.secure or attributes.same_site == "None":
        parts.append("Secure")
    return "; ".join(parts)


def candidate_domains(hostname: str) -> list[str]:
    """Domains to probe for the widest one that accepts cookies, narrowest last.

    ``a.b.example.co.uk`` gives ``co.uk, example.co.uk, b.example.co.uk,
    a.b.example.co.uk``; an IP address, ``localhost`` or any single-label host
    gives none (the cookie stays host-only).
    """
    host = hostname.strip().lower().rstrip(".")
    if not host or "." not in host or _IPV4.match(host) or ":" in host or host.startswith("["):
        return []
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 2, -1, -1)]
