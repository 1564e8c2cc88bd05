"""What the page hears of the instance: ``on``/``once``/``off``, ``ready`` and ``debug``.

A base of :class:`~analytics_identity.api.client.Analytics`: the public
listener methods stand beside the emitter they serve, and need nothing of the
instance but that emitter, its identity changes (``debug`` logs them) and
what :func:`~.entry.guarded` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from ..events.emitter import Emitter
from ..identity.changes import IdentityChanges
from .entry import guarded

__all__ = ["Listeners"]


class Listeners:
    """Listeners by event name (``track``, ``identify``, ``reset``, ``ready``, ``identity``, ``error``, …)."""

    _emitter: Emitter
    changes: IdentityChanges
    #: ``debug(true)``: every event is logged on the console.
    _debug: bool = False

    @guarded
    def on(self, name: str, listener: Callable[..., Any]) -> Self:
        self._emitter.on(name, listener)
        return self

    @guarded
    def once(self, name: str, listener: Callable[..., Any]) -> Self:
        self._emitter.once(name, listener)
        return self

    @guarded
    def off(self, name: str, listener: Callable[..., Any] | None = None) -> Self:
        """Without a listener, every listener of ``name`` goes."""
        self._emitter.off(name, listener)
        return self

    @guarded
    def debug(self, toggle: Any = True) -> Self:
        """``debug(true)``: log each event on the console as it is handed to delivery or dropped,
        and each identity change with its reason."""
        self._debug = self.changes.debug = toggle is True
        return self

    def _emit(self, name: str, *args: Any) -> None:
        """Tell the page's listeners."""
        self._emitter.emit(name, *args)

    def became_ready(self) -> None:
        """Tell ``on('ready')`` listeners; the host calls it once the snippet's calls have run."""
        self._emit("ready")

    @guarded
    def ready(self, callback: Callable[..., Any] | None = None) -> None:
        """The instance exists only once ready, so the callback runs now."""
        if callback is not None:
            callback()
