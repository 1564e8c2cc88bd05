"""Who may read the collected events, and which write keys may send them.

``GET /api/events`` hands out every visitor's ids and traits, so it answers
only a client on this machine (loopback, reached by a loopback name, not
through a proxy, which would make every visitor look local) unless a read
token is configured; then only a request bearing it (``Authorization:
Bearer <token>``), from anywhere. It sends no CORS header either, so a page
of another origin cannot read it through a visitor's browser.

Write keys are public (every page shows its own), so restricting them only
keeps other sites' and stray traffic out; a key comes from the body's
``writeKey`` or from Basic auth (user name, as Segment's server libraries send it).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import os
from collections.abc import Iterable

from starlette.requests import Request

__all__ = ["READ_TOKEN_ENV", "ReadAccess", "WriteKeys", "basic_auth_key"]

READ_TOKEN_ENV = "ANALYTICS_IDENTITY_READ_TOKEN"
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _loopback(host: str) -> bool:
    """A loopback address, or a name that only ever means this machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ReadAccess:
    """The rule for ``GET /api/events``: loopback only, or the read token only."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token if token is not None else os.environ.get(READ_TOKEN_ENV) or None

    def refusal(self, request: Request) -> tuple[int, str] | None:
        """``(status, reason)`` when the request may not read, else ``None``."""
        if self.token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode()):
                return None
            return 401, "reading events needs the read token: Authorization: Bearer <token>"
        client = request.client.host if request.client else ""
        local = (_loopback(client) and _loopback(request.url.hostname or "")
                 and not any(name in request.headers for name in _PROXY_HEADERS))
        if local:
            return None
        return 403, ("events are readable only from this machine (127.0.0.1 or localhost, not through a proxy) "
                     "unless the collector has a read token (serve --read-token)")


def basic_auth_key(request: Request) -> str | None:
    """The write key sent as Basic auth user name (``writeKey:``), as Segment's libraries send it."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or None


class WriteKeys:
    """The accepted write keys; none configured accepts any."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys = frozenset(keys)

    def refusal(self, key: str | None) -> str | None:
        """Why an event with this write key is refused, or ``None``."""
        if not self.keys:
            return None
        if not key:
            return "a write key is required (writeKey in the body, or Basic auth)"
        if key not in self.keys:
            return "this write key is not accepted here"
        return None
