"""``fetch`` and ``setTimeout`` as the delivery's transport and timers; page lifecycle hooks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import js

from ..api.client import Analytics
from ..delivery import KEEPALIVE_BYTES, Network, Reply, Request
from ..delivery.policy import parse_retry_after
from .conversion import to_js_value
from .ffi import create_once_callable, create_proxy, settles

__all__ = ["BrowserTimers", "FetchTransport", "browser_network", "watch_page"]


#: A request that has not been answered after this long counts as failed
#: (and is retried); shorter than the delivery lease, so no other tab resends
#: an event that is still in flight.
SEND_TIMEOUT_MS = 10_000


class FetchTransport:
    """``fetch`` for delivery; small bodies use ``keepalive`` so they outlive the page."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        #: Bytes of keepalive bodies in flight: the browser refuses a keepalive
        #: request that would take the page over 64 KiB, so bigger ones go without.
        self._keepalive_bytes = 0

    def _init(self, request: Request, keepalive: bool) -> Any:
        return to_js_value({"method": "POST", "headers": request.headers, "body": request.body,
                            "keepalive": keepalive, "credentials": "omit"})

    def send(self, request: Request, done: Callable[[Reply], None]) -> None:
        asyncio.ensure_future(self._post(request, done))

    async def _post(self, request: Request, done: Callable[[Reply], None]) -> None:
        size, signal = len(request.body.encode()), None
        keepalive = request.keepalive and self._keepalive_bytes + size <= KEEPALIVE_BYTES
        self._keepalive_bytes += size if keepalive else 0
        try:
            init = self._init(request, keepalive)
            init.signal = signal = js.AbortSignal.timeout(SEND_TIMEOUT_MS)
            response = await settles(js.fetch(request.url, init))
            status = int(response.status)
            error = "" if status < 400 else str(await settles(response.text()))[:200]
            reply = Reply(status, parse_retry_after(response.headers.get("Retry-After"), time.time()), error)
        except Exception as error:  # noqa: BLE001 - offline, refused, aborted: all retried
            timed_out = bool(signal.aborted) if signal else False
            reply = Reply(0, None, f"no answer in {SEND_TIMEOUT_MS // 1000} s" if timed_out else str(error)[:200])
        finally:
            self._keepalive_bytes -= size if keepalive else 0
        try:
            done(reply)
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self._warn(f"delivery failed: {type(error).__name__}: {error}")

    def send_final(self, request: Request) -> None:
        """``fetch`` with keepalive; ``sendBeacon`` when the browser refuses that."""
        try:
            settles(js.fetch(request.url, self._init(request, True))).add_done_callback(_ignore)
        except Exception:  # noqa: BLE001 - keepalive quota used up: a beacon is the last resort
            js.navigator.sendBeacon(request.url, request.body)


def _ignore(sent: asyncio.Future[Any]) -> None:
    """Takes the outcome nobody will see, so asyncio does not report it as never retrieved."""
    if not sent.cancelled():
        sent.exception()


class BrowserTimers:
    """``Date.now`` and ``setTimeout``; a timer callback never throws into the page."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn

    now = staticmethod(time.time)  # Date.now(), as BrowserHost.now reads it

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        pending = True

        def fire() -> None:
            nonlocal pending
            pending = False
            try:
                fn()
            except Exception as error:  # noqa: BLE001 - nothing throws into the page
                self._warn(f"delivery failed: {type(error).__name__}: {error}")

        proxy = create_once_callable(fire)
        handle = js.setTimeout(proxy, max(int(delay * 1000), 0))

        def cancel() -> None:
            nonlocal pending
            if pending:
                pending = False
                js.clearTimeout(handle)
                proxy.destroy()

        return cancel


def browser_network(warn: Callable[[str], None]) -> Network:
    return Network(FetchTransport(warn), BrowserTimers(warn))


def watch_page(analytics: Analytics) -> None:
    """Send what is queued when the page is hidden or closed, and when the network returns."""
    delivery = analytics.delivery

    def on_event(event: Any) -> None:
        try:
            if event.type == "pagehide":
                delivery.page_hide()
            elif event.type == "online" or js.document.visibilityState == "hidden":
                delivery.flush()
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            analytics.host.warn(f"delivery failed: {type(error).__name__}: {error}")

    listener = create_proxy(on_event)
    js.window.addEventListener("pagehide", listener)
    js.window.addEventListener("online", listener)
    js.document.addEventListener("visibilitychange", listener)
