"""One queued event: its delivery state and its JSON, encoded once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["QueueItem", "compact"]


def compact(value: Any) -> str:
    """JSON without spaces, as every request body and stored item is written."""
    return json.dumps(value, separators=(",", ":"), default=str)


@dataclass(eq=False)
class QueueItem:
    """An event waiting for the collector's acknowledgement.

    ``text`` is the event's JSON: encoded when the event is queued and
    reused for storage and for every request body (an event is never
    encoded twice); for an item read from storage it is encoded on first use.
    """

    id: str
    event: dict[str, Any]
    attempts: int
    #: When it was queued, when it may be sent next (wall-clock seconds), and the tab holding it.
    queued: float
    due: float
    owner: str
    text: str = ""
    #: In this tab's memory only: taken from a tab that is gone, not yet confirmed ours.
    adopted: bool = False
    #: In this tab's memory only: to be sent alone (its batch was refused).
    solo: bool = False

    @classmethod
    def new(cls, event: dict[str, Any], message_id: str, owner: str, now: float) -> QueueItem:
        """A fresh item. What is stored and sent is ``text``, encoded here: later
        changes to the caller's dicts change nothing that leaves (decoding it
        again for a copy of ``event`` cost a tenth of a ``track()``)."""
        event = {**event, "messageId": message_id}
        return cls(message_id, event, 0, now, now, owner, compact(event))

    @classmethod
    def from_stored(cls, value: Any) -> QueueItem | None:
        """An item as stored (``{id, event, attempts, queued, due, owner}``); ``None`` when it is not one."""
        if not (
            isinstance(value, dict)
            and isinstance(value.get("id"), str)
            and isinstance(value.get("event"), dict)
            and isinstance(value.get("owner"), str)
            and all(isinstance(value.get(k), (int, float)) for k in ("due", "queued", "attempts"))
        ):
            return None
        return cls(value["id"], value["event"], value["attempts"], value["queued"], value["due"], value["owner"])

    @property
    def json(self) -> str:
        """The event's JSON."""
        if not self.text:
            self.text = compact(self.event)
        return self.text

    @property
    def size(self) -> int:
        """Bytes in a batch body (its JSON plus a comma)."""
        return len(self.json.encode()) + 1

    def stored(self) -> str:
        """The stored form, the event's JSON reused rather than encoded again."""
        head = compact({"id": self.id, "attempts": self.attempts, "queued": self.queued, "due": self.due,
                        "owner": self.owner})
        return head[:-1] + ',"event":' + self.json + "}"
