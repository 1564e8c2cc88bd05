"""Who the visitor is, read on the server from the request's ``Cookie`` header.

The same codec and id rules the browser core uses (``cookies`` and
``entity``), so a server and the page read one visitor the same way: the
analytics-next raw format, classic analytics.js' ``%22…%22`` JSON, a
JSON-quoted value, and the legacy ``ajs_user`` / ``_sio`` cookies, which
count only where the current cookie is missing (as the browser imports
them). Pure Python, for any framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..storage.codec import decode_value, parse_cookie_header
from ..identity.entity import GROUP_KEYS, USER_KEYS, User, legacy_user_id, sio_anonymous_id, stored_id

__all__ = ["ANONYMOUS_ID_COOKIE", "GROUP_ID_COOKIE", "USER_ID_COOKIE", "Identity", "cookie_jar", "identity_in", "read_identity"]

ANONYMOUS_ID_COOKIE = User.ANONYMOUS_KEY
USER_ID_COOKIE = USER_KEYS.id
GROUP_ID_COOKIE = GROUP_KEYS.id


@dataclass(frozen=True)
class Identity:
    """The visitor's ids; ``None`` where the visitor has none."""

    anonymous_id: str | None = None
    user_id: str | None = None
    group_id: str | None = None


def cookie_jar(header: str | bytes | None) -> dict[str, str]:
    """A ``Cookie`` header's raw values by name, as the page's ``document.cookie`` shows them.

    The browser sends UTF-8. Frameworks hand a ``str`` header over as
    Latin-1 (PEP 3333, Starlette's ``request.headers``), so a ``str`` whose
    Latin-1 bytes are UTF-8 is read as UTF-8; any other ``str`` was decoded
    already and stays as it is.
    """
    if header is None:
        text = ""
    elif isinstance(header, str):
        try:
            text = header.encode("latin-1").decode("utf-8")
        except UnicodeError:  # decoded already; a lone surrogate (no browser sends one) becomes "?"
            text = header.encode("utf-8", "replace").decode("utf-8")
    else:
        text = bytes(header).decode("utf-8", "replace")
    return parse_cookie_header(text)


def _value(jar: dict[str, str], name: str) -> Any:
    """A cookie's decoded value; broken percent-encoding reads as absent, as in the browser core."""
    raw = jar.get(name)
    if raw is None:
        return None
    value, damaged = decode_value(raw)
    return None if damaged else value


def read_identity(cookie_header: str | bytes | None) -> Identity:
    """The visitor's ids in a ``Cookie`` header; never raises, whatever the header holds.

    Accepts the header as ``str`` (Latin-1 in WSGI, or already decoded) or as
    the raw ``bytes`` of ASGI; an unusable value (an object where an id
    belongs, ``"null"``, broken encoding) counts as absent.
    """
    return identity_in(cookie_jar(cookie_header))


def identity_in(jar: Mapping[str, str]) -> Identity:
    """The visitor's ids in a parsed jar (:func:`cookie_jar`)."""
    return Identity(
        anonymous_id=stored_id(_value(jar, ANONYMOUS_ID_COOKIE)) or sio_anonymous_id(_value(jar, "_sio")),
        user_id=stored_id(_value(jar, USER_ID_COOKIE)) or legacy_user_id(_value(jar, "ajs_user")),
        group_id=stored_id(_value(jar, GROUP_ID_COOKIE)),
    )
