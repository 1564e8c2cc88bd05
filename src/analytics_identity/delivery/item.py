"""One queued event: its delivery state and its JSON, encoded once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any

__all__ = ["STORED_OVERHEAD", "QueueItem", "compact", "encoded", "quoted"]

#: Characters an item takes in localStorage besides its event's JSON: its key
#: (prefix and messageId) and the delivery state around the event, rounded up.
STORED_OVERHEAD = 200


def compact(value: Any) -> str:
    """JSON without spaces, as every request body and stored item is written."""
    return json.dumps(value, separators=(",", ":"), default=str)


#: The event last queued and its JSON (see :func:`encoded`).
_last: tuple[dict[str, Any] | None, str] = (None, "")


def encoded(event: dict[str, Any]) -> str | None:
    """The JSON of ``event`` if it is the event just queued (the very object), else ``None``.

    The page gets the event back in its ``Context`` in the same call; that
    copy is parsed from this text instead of encoding the event a second time.
    """
    return _last[1] if _last[0] is event else None


def quoted(text: str) -> str:
    """A string as a JSON string, as :func:`compact` writes it, without the
    cost of ``json.dumps`` (a short string is most of that cost)."""
    return _quoted(text)


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
        given = event
        event = {**event, "messageId": message_id}
        item = cls(message_id, event, 0, now, now, owner, compact(event))
        global _last
        _last = (given, item.text) if given.get("messageId") == message_id else (None, "")
        return item

    @classmethod
    def from_stored(cls, value: Any) -> QueueItem | None:
        """An item as stored (``{id, event, attempts, queued, due, owner}``); ``None`` when it is not one."""
        if not (
            isinstance(value, dict)
            and isinstance(value.get("id"), str)
            and isinstance(value.get("event"), dict)
            and isinstance(value.get("owner"), str)
            and all(isinstance(value.get(k), (int, float)) and not isinstance(value.get(k), bool)
                    and math.isfinite(value[k]) for k in ("due", "queued", "attempts"))
        ):
            return None
        return cls(value["id"], value["event"], int(value["attempts"]), float(value["queued"]), float(value["due"]),
                   value["owner"])

    @property
    def json(self) -> str:
        """The event's JSON."""
        if not self.text:
            self.text = compact(self.event)
        return self.text

    @property
    def footprint(self) -> int:
        """About what the item takes in localStorage (characters): what the queue's bound counts."""
        return len(self.json) + STORED_OVERHEAD

    @property
    def size(self) -> int:
        """Bytes in a batch body (its JSON plus a comma)."""
        return len(self.json.encode()) + 1

    def stored(self) -> str:
        """The stored form, the event's JSON reused rather than encoded again."""
        return (f'{{"id":{quoted(self.id)},"attempts":{self.attempts!r},"queued":{self.queued!r},'
                f'"due":{self.due!r},"owner":{quoted(self.owner)},"event":{self.json}}}')
