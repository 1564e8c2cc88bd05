"""What an event call returns: analytics-next's ``Context``.

Still the ``{"event": …}`` dict Python callers index, with what a migrating
site reads from analytics-next's ``Context``: ``id``, ``failed_delivery()``
(``failedDelivery``) and ``to_json()`` (``toJSON``). Page JavaScript gets a
JavaScript object with the same members plus ``logger`` and ``stats``
(:mod:`analytics_identity.browser.context`).

The promise resolves once the event is handed to delivery (queued in
localStorage), not after the request as analytics-next's standard delivery
does: the queue retries until the collector answers, so ``failedDelivery()``
reports only an event that was never handed over (dropped by a source
middleware, by consent, or a call refused with a warning).
"""

from __future__ import annotations

from typing import Any

from ..ids import uuid4

__all__ = ["Context"]


class Context(dict[str, Any]):
    """``{"event": event}`` plus analytics-next's ``Context`` members."""

    __slots__ = ("_id", "failure", "page_object")

    def __init__(self, event: dict[str, Any], failure: str | None = None) -> None:
        super().__init__(event=event)
        self._id: str | None = None
        #: Why the event was not handed to delivery; ``None`` when it was.
        self.failure = failure
        #: The page's JavaScript object for this context, made once (the callback
        #: and the promise get the same one).
        self.page_object: Any = None

    @property
    def event(self) -> dict[str, Any]:
        return self["event"]

    @property
    def id(self) -> str:
        """The context's own id (a UUID made on first use), not the event's ``messageId``."""
        if self._id is None:
            self._id = uuid4()
        return self._id

    def failed_delivery(self) -> dict[str, str] | None:
        """``{"reason": …}`` when the event was not handed to delivery."""
        return None if self.failure is None else {"reason": self.failure}

    def to_json(self) -> dict[str, Any]:
        """analytics-next's serialized context (no logs or metrics are kept here)."""
        return {"id": self.id, "event": self.event, "logs": [], "metrics": []}

    @classmethod
    def refused(cls, event_type: str, reason: str) -> Context:
        """The context of a call refused with a warning: nothing was sent."""
        return cls({"type": event_type}, reason)

    @classmethod
    def system(cls, reason: str) -> Context:
        """What a refused ``register()``/``deregister()`` resolves to: analytics-next's
        ``Context.system()`` (``{type: "track", event: "system"}``), which no event call made."""
        return cls({"type": "track", "event": "system"}, reason)

    failedDelivery = failed_delivery
    toJSON = to_json
