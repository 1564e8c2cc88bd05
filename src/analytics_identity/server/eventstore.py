"""SQLite storage for collected events: each ``messageId`` stored once."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

__all__ = ["EventStore"]

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
"""


class EventStore:
    """Events by arrival, deduplicated on ``messageId`` (resends are harmless)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def add(self, events: list[dict[str, Any]]) -> int:
        """Store events; returns how many were new."""
        rows = [
            (e["messageId"], e["type"], e.get("anonymousId"), e.get("userId"), json.dumps(e, separators=(",", ":")))
            for e in events
        ]
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO events (message_id, type, anonymous_id, user_id, body) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def query(
        self,
        *,
        anonymous_id: str | None = None,
        user_id: str | None = None,
        type: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Stored events, newest first, optionally filtered."""
        clauses, params = [], []
        for column, value in (("anonymous_id", anonymous_id), ("user_id", user_id), ("type", type)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT body, received_at FROM events {where} ORDER BY seq DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [{**json.loads(body), "receivedAt": received} for body, received in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM events")
