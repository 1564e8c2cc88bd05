"""How a request reaches the collector: the :class:`Transport` protocol, its in-memory
fake, and where events go (:class:`Endpoint`).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..host.protocols import Timers
from .timers import ManualTimers

__all__ = ["ENDPOINTS", "KEEPALIVE_BYTES", "Endpoint", "MemoryTransport", "Network", "Reply", "Request", "Transport", "basic_auth"]


#: Path segment of each event type under ``apiHost``.
ENDPOINTS = {"track": "t", "page": "p", "identify": "i", "group": "g", "alias": "a", "screen": "s"}
#: ``fetch(..., {keepalive: true})`` allows 64 KiB of bodies in flight.
KEEPALIVE_BYTES = 60_000


@dataclass(frozen=True)
class Request:
    """One POST to the collector."""

    url: str
    body: str
    headers: dict[str, str]

    @property
    def keepalive(self) -> bool:
        """Small enough to outlive the page (the browser caps keepalive bodies)."""
        return len(self.body.encode()) <= KEEPALIVE_BYTES


@dataclass(frozen=True)
class Reply:
    """The collector's answer; ``status`` 0 means no answer (network error, timeout)."""

    status: int
    retry_after: float | None = None
    error: str = ""


class Transport(Protocol):
    """Sends requests; must never raise, and must call ``done`` exactly once."""

    def send(self, request: Request, done: Callable[[Reply], None]) -> None: ...

    def send_final(self, request: Request) -> None:
        """The page is going away: send with keepalive (or a beacon); no answer comes."""
        ...



@dataclass
class MemoryTransport:
    """Acknowledges every request and keeps it: the network of a host without one.

    CPython programs get this by default; ``sent`` shows what would have gone
    out. Use :class:`analytics_identity.delivery.urllib_transport.UrllibTransport` to post for real.
    """

    requests: list[Request] = field(default_factory=list)

    def send(self, request: Request, done: Callable[[Reply], None]) -> None:
        self.requests.append(request)
        done(Reply(200))

    def send_final(self, request: Request) -> None:
        self.requests.append(request)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every event sent, in order, with ``writeKey``/``sentAt`` as delivered."""
        events: list[dict[str, Any]] = []
        for request in self.requests:
            body = json.loads(request.body)
            events.extend(body["batch"] if "batch" in body else [body])
        return events


@dataclass
class Network:
    """What delivery needs from the outside world."""

    transport: Transport = field(default_factory=MemoryTransport)
    timers: Timers = field(default_factory=ManualTimers)
    rng: random.Random = field(default_factory=random.Random)


@dataclass(frozen=True)
class Endpoint:
    """Where events go and with which write key."""

    protocol: str
    api_host: str
    write_key: str

    @property
    def base(self) -> str:
        return f"{self.protocol}://{self.api_host.rstrip('/')}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "text/plain", "Authorization": basic_auth(self.write_key)}


def basic_auth(write_key: str) -> str:
    """The ``Authorization`` header that carries a write key, as Segment's libraries send it (``writeKey:``)."""
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
