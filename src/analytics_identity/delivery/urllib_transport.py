"""A blocking transport for CPython programs that want events really posted.

The default for an :class:`~analytics_identity.api.client.Analytics` outside a
browser keeps events in memory; pass ``Network(UrllibTransport())`` to post
them with the standard library instead. Each call waits for its answer (a
script, a worker or a test has no event loop to lean on); retries happen on
the next event or on ``analytics.flush()``. Not used in the browser.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

from .policy import parse_retry_after
from .transport import Reply, Request

__all__ = ["UrllibTransport"]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib replays a redirected POST as a GET without its body (which could answer 200 and lose
    the events): the 3xx is the answer instead, and the delivery policy retries it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class UrllibTransport:
    """``urllib.request`` POSTs with a timeout; never raises."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, request: Request, done: Callable[[Reply], None]) -> None:
        http = urllib.request.Request(request.url, request.body.encode(), dict(request.headers), method="POST")
        try:
            with _OPENER.open(http, timeout=self.timeout) as response:
                reply = Reply(response.status)
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, parse_retry_after(error.headers.get("Retry-After"), time.time()),
                          error.read(200).decode(errors="replace"))
        except (OSError, ValueError) as error:
            reply = Reply(0, None, str(error))
        done(reply)

    def send_final(self, request: Request) -> None:
        self.send(request, lambda reply: None)
