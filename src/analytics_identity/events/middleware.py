"""Source middleware: page code that may change or drop an event before delivery.

The calling convention is analytics-next's, for JavaScript functions and
Python callables alike: each middleware gets one argument
``{"payload": {"obj": event}, "next": next, "integrations": {...}}``, edits
``payload.obj`` in place or builds a new one, and calls ``next(payload)`` to
pass it on. Not calling ``next`` (or calling ``next(None)``) drops the event.
``next`` may be called later (an async middleware); the event waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..host import describe

__all__ = ["Middleware", "SourceMiddleware"]

Middleware = Callable[[dict[str, Any]], Any]
Event = dict[str, Any]


class SourceMiddleware:
    """The ordered chain of source middleware."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._chain: list[Middleware] = []
        self._warn = warn

    def add(self, fn: Middleware) -> None:
        if not callable(fn):
            raise TypeError(f"addSourceMiddleware needs a function, got {describe(fn)}")
        self._chain.append(fn)

    def run(self, event: Event, done: Callable[[Event | None], None]) -> None:
        """Pass ``event`` through every middleware, then ``done(event)`` (``None``: dropped)."""
        self._step(0, event, done)

    def _step(self, index: int, event: Event, done: Callable[[Event | None], None]) -> None:
        if index == len(self._chain):
            done(event)
            return
        fn = self._chain[index]
        called = False

        def next_(payload: Any = None) -> None:
            nonlocal called
            if called:
                self._warn("a source middleware called next() twice; the second call was ignored")
                return
            called = True
            obj = payload.get("obj") if isinstance(payload, dict) else None
            if payload is not None and not isinstance(obj, dict):
                self._warn(f"a source middleware passed {describe(payload)} to next(), not {{obj: event}}; event dropped")
            if not isinstance(obj, dict):
                done(None)
                return
            self._step(index + 1, obj, done)

        integrations = event.get("integrations") if isinstance(event.get("integrations"), dict) else {}
        try:
            fn({"payload": {"obj": event}, "next": next_, "integrations": integrations})
        except Exception as error:  # noqa: BLE001 - a broken middleware must not lose the event
            self._warn(f"a source middleware raised {type(error).__name__}: {error}; it was skipped")
            if not called:
                called = True
                self._step(index + 1, event, done)
