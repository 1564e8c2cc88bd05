"""Cross-domain hand-off that cannot leak: load option ``crossDomain: {domains, maxAge}``.

A link (or a GET form) to one of ``domains`` carries the anonymousId and
the time the link was followed in one parameter of ours,
``ajs_xid=<ms>.<anonymousId>``. The landing page, running this library with
the same option, adopts it only when it is younger than ``maxAge`` seconds
and, when the browser sent a referrer, the referrer is on a listed domain;
the parameter is then taken out of the address bar, so a copied, shared or
bookmarked address carries nothing. A stale, malformed or foreign one is
ignored with one warning (and taken out too). The classic ``?ajs_aid=``
keeps its analytics.js meaning: whoever opens the link becomes that visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from ..host import describe

__all__ = ["PARAMETER", "CrossDomain", "Landing"]

PARAMETER = "ajs_xid"
DEFAULT_MAX_AGE = 120


def _listed(host: str, domains: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


class Landing(NamedTuple):
    """What the landing page's address said: the id to adopt, the warning, the query without ours."""

    anonymous_id: str | None
    warning: str | None
    #: The page's query string (``?…`` or ``""``) without the parameter; ``None``: it had none.
    search: str | None


@dataclass(frozen=True)
class CrossDomain:
    """The listed domains and how old (seconds) a hand-off may be."""

    domains: tuple[str, ...]
    max_age: float = DEFAULT_MAX_AGE

    def leads_away(self, href: str, here: str) -> bool:
        """Whether ``href`` (absolute) leads to a listed domain other than the host ``here``."""
        try:
            parts = urlsplit(href)
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        return parts.scheme in ("http", "https") and _listed(host, self.domains) and host != here.lower()

    @staticmethod
    def value(anonymous_id: str, now: float) -> str:
        """The parameter's value: the time it is written (ms) and the anonymousId."""
        return f"{int(now * 1000)}.{anonymous_id}"

    def land(self, search: str, referrer: str, now: float) -> Landing:
        """Read the hand-off in the page's ``search`` (``?…``)."""
        pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)
        values = [v for k, v in pairs if k == PARAMETER]
        if not values:
            return Landing(None, None, None)
        rest = [(k, v) for k, v in pairs if k != PARAMETER]
        cleaned = "?" + urlencode(rest, quote_via=quote) if rest else ""
        return Landing(*self._check(values, referrer, now), cleaned)

    def _check(self, values: list[str], referrer: str, now: float) -> tuple[str | None, str | None]:
        stamp, _, anonymous_id = unquote(values[0]).partition(".")
        if len(values) > 1 or not stamp.isdigit() or not anonymous_id.strip() or len(anonymous_id) > 200:
            return None, f"ignored a malformed {PARAMETER} parameter: {describe(values[0])}"
        age = now - int(stamp) / 1000
        if not -5 <= age < self.max_age:
            return None, f"ignored a stale {PARAMETER} parameter ({age:.0f} s old, crossDomain.maxAge is {self.max_age:g} s)"
        if referrer:
            host = urlsplit(referrer).hostname or ""
            if not _listed(host, self.domains):
                return None, f"ignored an {PARAMETER} parameter from {host or 'an unknown page'}, not a crossDomain domain"
        return anonymous_id, None
