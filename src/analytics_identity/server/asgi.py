"""``IdentityMiddleware``: the visitor's identity for ASGI sites (Starlette, FastAPI, Django).

Pure ASGI, so it wraps any ASGI application and imports no framework. The
identity goes in ``scope["state"]``, which Starlette and FastAPI show as
``request.state.analytics_identity`` (Django: ``request.scope["state"]``);
HTML responses get the id cookies the browser core would write (see
:mod:`.identity_cookies`), in the same response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from .identity_cookies import IdentityCookies

__all__ = ["IdentityMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key.lower() == name), None)


class IdentityMiddleware:
    """Wraps an ASGI app; ``cookie`` and ``allow``: see :class:`.IdentityCookies`."""

    def __init__(self, app: ASGIApp, *, cookie: dict[str, Any] | None = None,
                 allow: Callable[[Mapping[str, str]], bool] | None = None) -> None:
        self.app = app
        self.cookies = IdentityCookies(cookie, allow=allow)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        # HTTP/2 may split the Cookie header into one field per cookie.
        cookie_header = b"; ".join(value for key, value in headers if key.lower() == b"cookie")
        identity, allowed = self.cookies.request(cookie_header)
        scope.setdefault("state", {})["analytics_identity"] = identity
        if scope["type"] != "http" or not allowed:
            await self.app(scope, receive, send)
            return
        server = scope.get("server") or ("", None)
        host = (_header(headers, b"x-forwarded-host") or _header(headers, b"host") or b"").decode("latin-1")
        host = host.split(",", 1)[0] or str(server[0])

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = list(message.get("headers") or [])
                content_type = _header(response_headers, b"content-type")
                cookies = self.cookies.set_cookies(
                    identity, host, content_type.decode("latin-1") if content_type else None,
                    [value.decode("latin-1") for key, value in response_headers if key.lower() == b"set-cookie"],
                )
                if cookies:
                    added = [(b"set-cookie", cookie.encode("latin-1")) for cookie in cookies]
                    message = {**message, "headers": [*response_headers, *added]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
