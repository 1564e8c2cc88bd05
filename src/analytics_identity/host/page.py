"""The facts of the page an event describes: address, title, referrer, locale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["PageInfo", "page_address"]


@dataclass
class PageInfo:
    """The page facts that go into ``context.page`` and ``context``."""

    url: str = ""
    path: str = ""
    search: str = ""
    hash: str = ""
    title: str = ""
    referrer: str = ""
    user_agent: str = ""
    locale: str = ""
    timezone: str = ""
    #: When the call was made, for a call the snippet buffered (its event's
    #: ``timestamp``); ``None``: now.
    called_at: datetime | None = None


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def page_address(href: str, canonical: str | None, pathname: str, search: str) -> tuple[str, str]:
    """``context.page.url`` and ``.path``, derived as analytics-next derives them.

    A ``<link rel="canonical">`` with an ``href`` wins, so every copy of a
    page reports one address: the url is that href, plus the page's own query
    when the href has none, and the path is the href's path. Without one, the
    url is the page's address without its fragment and the path is
    ``location.pathname``.
    """
    if not canonical:
        return href.split("#")[0], pathname
    url = canonical if "?" in canonical else canonical + search
    scheme = _SCHEME.match(canonical)
    if scheme is None:  # relative: analytics-next keeps it whole, rooted at "/"
        return url, canonical if canonical.startswith("/") else "/" + canonical
    rest = canonical[scheme.end():]
    if rest.startswith("//"):  # scheme://host/path: the path, "/" when empty
        return url, re.split(r"[?#]", re.sub(r"^//[^/?#]*", "", rest), maxsplit=1)[0] or "/"
    return url, re.split(r"[?#]", rest, maxsplit=1)[0]
