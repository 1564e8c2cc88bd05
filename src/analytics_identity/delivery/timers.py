"""Timers on a manual clock: the :class:`~analytics_identity.host.Timers` of CPython and tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["ManualTimers"]


class ManualTimers:
    """Timers that fire only when told to: the clock of tests and of CPython.

    Without an event loop nothing fires on its own; :meth:`advance` moves the
    clock and runs what came due. With no ``start`` the clock is the real
    wall clock (CPython programs call ``analytics.flush()``); tests pass a
    fixed start and move time themselves.
    """

    def __init__(self, start: float | None = None) -> None:
        self._start = start
        self._offset = 0.0
        self._pending: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0

    def now(self) -> float:
        return (time.time() if self._start is None else self._start) + self._offset

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        self._seq += 1
        entry = (self.now() + max(delay, 0.0), self._seq, fn)
        self._pending.append(entry)

        def cancel() -> None:
            if entry in self._pending:
                self._pending.remove(entry)

        return cancel

    def advance(self, seconds: float) -> None:
        """Move the clock forward, running each timer at its own time, in order."""
        end = self.now() + seconds
        while True:
            due = sorted((e for e in self._pending if e[0] <= end), key=lambda e: e[:2])
            if not due:
                break
            entry = due[0]
            self._pending.remove(entry)
            self._offset += max(entry[0] - self.now(), 0.0)
            entry[2]()
        self._offset += max(end - self.now(), 0.0)

    @property
    def pending(self) -> int:
        return len(self._pending)
