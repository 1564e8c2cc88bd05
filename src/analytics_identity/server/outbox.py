"""The outbox: accepted events still to be relayed upstream, in the collector's own SQLite file.

A row is added in the same transaction as its event (:class:`.EventStore`),
removed once the upstream answered 2xx for it, and marked ``failed`` (with
the upstream's reason, kept for a person to look at) when the upstream
refused it for good. Nothing lives only in memory, so a restart picks up
exactly where the last one stopped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from .eventstore import connect
from ..instants import iso_timestamp, parse_instant
from .privacy import REQUEST_HEADERS

__all__ = ["Outbox", "upstream_event"]


def upstream_event(text: str, now: datetime) -> tuple[str | None, str]:
    """A stored event as relayed at ``now``: its write key and JSON text.

    ``receivedAt`` and ``requestHeaders`` are ours, not the upstream's. ``sentAt`` moves on by the
    time the event waited here: Segment-style engines correct the client's
    clock with ``receivedAt - (sentAt - timestamp)``, which without the move
    would date an event relayed after an outage at the relay time. An unreadable
    ``sentAt`` is dropped (the upstream then takes ``timestamp`` as it is).
    The text is never longer than the stored one, so the event limit holds.
    """
    event = json.loads(text)
    event.pop(REQUEST_HEADERS, None)
    received, sent = parse_instant(event.pop("receivedAt", None)), parse_instant(event.get("sentAt"))
    if received and sent:
        event["sentAt"] = iso_timestamp(sent + (now - received))
    else:
        event.pop("sentAt", None)
    key = event.get("writeKey")
    return (key if isinstance(key, str) else None), json.dumps(event, ensure_ascii=False, separators=(",", ":"))


class Outbox:
    """Rows of the ``outbox`` table, read and cleared by the forwarder (its own connection)."""

    def __init__(self, path: str) -> None:
        self._db = connect(path)

    def head(self, limit: int) -> list[tuple[int, str]]:
        """The oldest events still to relay (not failed): ``(seq, stored text)``."""
        return self._db.execute(
            "SELECT outbox.seq, events.body FROM outbox JOIN events USING (seq)"
            " WHERE outbox.failed IS NULL ORDER BY outbox.seq LIMIT ?", (limit,)).fetchall()

    def delivered(self, seqs: Sequence[int]) -> None:
        """The upstream took these: never relay them again (one statement, so all or none)."""
        self._db.execute("DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))", (json.dumps(seqs),))

    def failed(self, seqs: Sequence[int], reason: str) -> None:
        """The upstream refused these for good: keep them, with its reason, and stop relaying them."""
        self._db.execute("UPDATE outbox SET failed = ? WHERE seq IN (SELECT value FROM json_each(?))",
                         (reason, json.dumps(seqs)))

    def close(self) -> None:
        self._db.close()
