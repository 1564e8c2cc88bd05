"""What the collector records from the request an event came in: the client's address and ``Sec-GPC``.

Like Segment's collector, an event that names no ``context.ip`` gets the
address the request came from. A page loaded with ``anonymizeIp: true``
sends ``context.ip: "0.0.0.0"``: that is kept, so no address of the visitor
is stored (nor logged: the collector logs warnings only). A browser with
Global Privacy Control on sends ``Sec-GPC: 1`` with every request; each event
of such a request is stored with ``requestHeaders: {"Sec-GPC": "1"}``, next
to the ``receivedAt`` the collector adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

__all__ = ["REQUEST_HEADERS", "RequestFacts"]

#: The stored event's field for the request headers recorded with it (ours: not relayed upstream).
REQUEST_HEADERS = "requestHeaders"


@dataclass(frozen=True)
class RequestFacts:
    """The client address and the Global Privacy Control header of one request."""

    address: str | None = None
    gpc: bool = False

    @classmethod
    def of(cls, request: Request) -> RequestFacts:
        return cls(request.client.host if request.client else None, request.headers.get("sec-gpc", "").strip() == "1")

    def annotate(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as stored: ``context.ip`` filled in unless it names one, ``requestHeaders`` for GPC."""
        context = event.get("context") if isinstance(event.get("context"), dict) else {}
        if context.get("ip") is None and self.address:
            event = {**event, "context": {**context, "ip": self.address}}
        if self.gpc:
            event = {**event, REQUEST_HEADERS: {"Sec-GPC": "1"}}
        return event
