"""SQLite storage for collected events: each ``messageId`` stored once, read back as stored.

An event is stored as the exact JSON text ``GET /api/events`` answers with
(``receivedAt`` included), so reading never re-encodes anything: whatever
was accepted reads back, and a value that could not be read back is refused
before it gets here (:mod:`.faithful`). When forwarding is on, each new event
also gets a row in the ``outbox`` table in the same transaction
(:mod:`.outbox`), so an accepted event is never stored without being queued.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from .faithful import FaithfulEvent, readable

__all__ = ["EventStore", "connect"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    anonymous_id TEXT,
    user_id TEXT,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_anonymous ON events (anonymous_id);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY REFERENCES events (seq) ON DELETE CASCADE,
    failed TEXT
);
"""
#: ``PRAGMA user_version`` once bodies are stored as the text they read back as.
_VERSION = 1


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL, waiting for the other writer rather than failing."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


class EventStore:
    """Events by arrival, deduplicated on ``messageId`` (resends are harmless)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = connect(self.path)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._upgrade()

    def _upgrade(self) -> None:
        """Rewrite bodies stored by earlier versions (``receivedAt`` apart, JSON that might not read back).

        An earlier version stored any JSON it parsed, so a lone surrogate or a
        ``NaN`` made every later read fail; such an event cannot be read
        back faithfully and is removed, with a message saying how many.
        """
        if self._db.execute("PRAGMA user_version").fetchone()[0] >= _VERSION:
            return
        removed = 0
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for seq, body, received_at in self._db.execute("SELECT seq, body, received_at FROM events").fetchall():
                text = readable(body, received_at)
                if text is None:
                    self._db.execute("DELETE FROM events WHERE seq = ?", (seq,))
                    removed += 1
                else:
                    self._db.execute("UPDATE events SET body = ? WHERE seq = ?", (text, seq))
            self._db.execute(f"PRAGMA user_version = {_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        if removed:
            print(f"analytics-identity: removed {removed} stored events that could not be read back", file=sys.stderr)

    def add(self, events: Sequence[FaithfulEvent], *, outbox: bool = False) -> int:
        """Store events; returns how many were new. ``outbox``: queue the new ones for forwarding."""
        rows = [(e.message_id, e.type, e.anonymous_id, e.user_id, e.received_at, e.text) for e in events]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                last = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0] if outbox else 0
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO events (message_id, type, anonymous_id, user_id, received_at, body)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                added = self._db.total_changes - before
                if outbox and added:
                    self._db.execute("INSERT INTO outbox (seq) SELECT seq FROM events WHERE seq > ?", (last,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return added

    def query(
        self,
        *,
        anonymous_id: str | None = None,
        user_id: str | None = None,
        type: str | None = None,
        limit: int = 100,
    ) -> str:
        """Stored events, newest first, optionally filtered: a JSON array, as stored."""
        clauses, params = [], []
        for column, value in (("anonymous_id", anonymous_id), ("user_id", user_id), ("type", type)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM events {where} ORDER BY seq DESC LIMIT ?",
                                    (*params, limit)).fetchall()
        return "[" + ",".join(body for (body,) in rows) + "]"
