"""``on`` / ``off`` / ``once`` for analytics events (track, identify, reset, ready, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Emitter"]


class Emitter:
    """Listeners by event name; a listener that raises is reported, never propagated."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._report = report

    def on(self, name: str, listener: Callable[..., Any]) -> None:
        self._listeners.setdefault(name, []).append(listener)

    def once(self, name: str, listener: Callable[..., Any]) -> None:
        def wrapper(*args: Any) -> None:
            self.off(name, wrapper)
            listener(*args)

        wrapper.original = listener  # type: ignore[attr-defined]
        self.on(name, wrapper)

    def off(self, name: str, listener: Callable[..., Any] | None = None) -> None:
        """Remove ``listener`` (also when added with ``once``), or every listener of ``name``."""
        if listener is None:
            self._listeners.pop(name, None)
            return
        self._listeners[name] = [
            fn for fn in self._listeners.get(name, []) if fn != listener and getattr(fn, "original", None) != listener
        ]

    def emit(self, name: str, *args: Any) -> None:
        for listener in list(self._listeners.get(name, [])):
            try:
                listener(*args)
            except Exception as error:  # noqa: BLE001 - page listeners must not break the library
                self._report(f"a '{name}' listener raised {type(error).__name__}: {error}")
