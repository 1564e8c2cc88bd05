"""``WSGIIdentityMiddleware``: the visitor's identity for WSGI sites (Flask, Django).

The identity goes in ``environ["analytics_identity"]`` (Flask:
``request.environ``, Django: ``request.META``); HTML responses get the
``ajs_anonymous_id`` cookie the browser core would write (see
:mod:`.anonymous_cookie`), in the same response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .anonymous_cookie import AnonymousIdCookie

__all__ = ["WSGIIdentityMiddleware"]

StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WSGIIdentityMiddleware:
    """``app.wsgi_app = WSGIIdentityMiddleware(app.wsgi_app, cookie={...})``; ``cookie`` as ``analytics.load``'s."""

    def __init__(self, app: WSGIApp, *, cookie: dict[str, Any] | None = None) -> None:
        self.app = app
        self.cookies = AnonymousIdCookie(cookie)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        identity = self.cookies.identify(environ.get("HTTP_COOKIE"))
        environ["analytics_identity"] = identity
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        host = host.split(",", 1)[0]

        def start_with_cookie(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Callable[[bytes], object]:
            cookie = self.cookies.set_cookie(
                identity, host,
                next((value for name, value in headers if name.lower() == "content-type"), None),
                [value for name, value in headers if name.lower() == "set-cookie"],
            )
            return start_response(status, [*headers, ("Set-Cookie", cookie)] if cookie else headers, *exc_info)

        return self.app(environ, start_with_cookie)
