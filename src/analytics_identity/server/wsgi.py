"""``WSGIIdentityMiddleware``: the visitor's identity for WSGI sites (Flask, Django).

The identity goes in ``environ["analytics_identity"]`` (Flask:
``request.environ``, Django: ``request.META``); HTML responses get the id
cookies the browser core would write (see :mod:`.identity_cookies`), in the
same response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .identity_cookies import IdentityCookies

__all__ = ["WSGIIdentityMiddleware"]

StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WSGIIdentityMiddleware:
    """Wraps a WSGI app (Flask: ``app.wsgi_app``); ``cookie`` and ``allow``: see :class:`.IdentityCookies`."""

    def __init__(self, app: WSGIApp, *, cookie: dict[str, Any] | None = None,
                 allow: Callable[[Mapping[str, str]], bool] | None = None) -> None:
        self.app = app
        self.cookies = IdentityCookies(cookie, allow=allow)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        identity, allowed = self.cookies.request(environ.get("HTTP_COOKIE"))
        environ["analytics_identity"] = identity
        if not allowed:
            return self.app(environ, start_response)
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        host = host.split(",", 1)[0]

        def start_with_cookie(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Callable[[bytes], object]:
            cookies = self.cookies.set_cookies(
                identity, host,
                next((value for name, value in headers if name.lower() == "content-type"), None),
                [value for name, value in headers if name.lower() == "set-cookie"],
            )
            return start_response(status, [*headers, *(("Set-Cookie", cookie) for cookie in cookies)], *exc_info)

        return self.app(environ, start_with_cookie)
