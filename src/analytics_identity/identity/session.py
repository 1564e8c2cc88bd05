"""Sessions kept the way Segment's Amplitude (Actions) session plugin keeps them.

That browser plugin (action-destinations, ``amplitude-plugins/sessionId``)
keeps two localStorage keys: ``analytics_session_id``, the session's start
in ms since the epoch, and ``analytics_session_id.last_access``, the time of
the last event in ms, both as decimal text. An event whose last access is
``timeout`` ms old or more (30 minutes by default) starts a new session;
every event writes both keys and carries the id in
``integrations["Actions Amplitude"].session_id`` (unless
``integrations.All`` is ``false`` and Actions Amplitude is not named). Using
the same keys and rules, a site switching from analytics-next with that
plugin keeps its visitors' sessions, and every tab of the site shares one.

Beyond the plugin: ``reset()`` starts a new session, and each start is told
with a ``session`` event ``{sessionId, previous, reason}`` (``new``,
``timeout``, ``reset``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..host.protocols import KeyValueStorage

__all__ = ["ACCESS_KEY", "INTEGRATION", "SESSION_KEY", "Sessions"]

SESSION_KEY = "analytics_session_id"
ACCESS_KEY = "analytics_session_id.last_access"
INTEGRATION = "Actions Amplitude"
#: The plugin's default session length.
DEFAULT_TIMEOUT_MS = 30 * 60 * 1000


def _ms(text: str | None) -> int | None:
    """A stored time: the plugin writes decimal text, analytics-next's storage a JSON number (the same)."""
    if text is None:
        return None
    text = text.strip().strip('"')
    return int(text) if text.isdigit() else None


class Sessions:
    """The session of the page's visitor, in localStorage (memory while the page may not store)."""

    def __init__(self, timeout_ms: int, storage: KeyValueStorage, may_store: Callable[[], bool],
                 now: Callable[[], float], tell: Callable[[dict[str, Any]], None]) -> None:
        self.timeout_ms = timeout_ms
        self._storage = storage
        self._may_store = may_store
        self._now = now
        self._tell = tell
        #: The keys' values when localStorage cannot be used (consent pending, storage failing).
        self._memory: dict[str, str] = {}

    def _get(self, key: str) -> int | None:
        if self._may_store():
            try:
                return _ms(self._storage.get_item(key))
            except Exception:  # noqa: BLE001, S110 - a failing localStorage: memory keeps the session
                pass
        return _ms(self._memory.get(key))

    def _set(self, key: str, value: int) -> None:
        self._memory[key] = str(value)
        if self._may_store():
            try:
                self._storage.set_item(key, str(value))
            except Exception:  # noqa: BLE001, S110 - memory holds it
                pass

    def current(self) -> int:
        """The session id, a new one when there is none or the last access is ``timeout`` old."""
        now = round(self._now() * 1000)
        session, access = self._get(SESSION_KEY), self._get(ACCESS_KEY)
        if session is None or access is None:
            return self._begin(now, session, "new")
        if now - access >= self.timeout_ms:
            return self._begin(now, session, "timeout")
        return session

    def touch(self) -> int:
        """Activity (an event, the page's start): the session id, its last access now."""
        session = self.current()
        self._set(SESSION_KEY, session)
        self._set(ACCESS_KEY, round(self._now() * 1000))
        return session

    def reset(self) -> int:
        """``reset()``: a new session for the new visitor."""
        return self._begin(round(self._now() * 1000), self._get(SESSION_KEY), "reset")

    def _begin(self, now: int, previous: int | None, reason: str) -> int:
        self._set(SESSION_KEY, now)
        self._set(ACCESS_KEY, now)
        self._tell({"sessionId": now, "previous": previous, "reason": reason})
        return now

    def stamp(self, event: dict[str, Any]) -> None:
        """Where the plugin writes the id: ``integrations["Actions Amplitude"] = {session_id}``."""
        session = self.touch()
        integrations = event.get("integrations")
        if not isinstance(integrations, dict):
            integrations = event["integrations"] = {}
        if integrations.get("All") is not False or integrations.get(INTEGRATION):
            integrations[INTEGRATION] = {"session_id": session}
