"""Replaying the calls the snippet buffered before the library was ready.

Buffered ``setAnonymousId`` and ``on`` run first, then the query string,
then every other call in the order the page made it (analytics-next groups
them by method name; keeping call order is the better rule). ``ready``
callbacks run once everything buffered has run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["replay"]

_FIRST = ("setAnonymousId", "on")


def replay(
    calls: Sequence[Sequence[Any]],
    invoke: Callable[[str, list[Any]], Any],
    after_first: Callable[[], None],
    warn: Callable[[str], None],
) -> None:
    """Run buffered ``[method, *args]`` entries through ``invoke``."""
    entries = []
    for entry in calls:
        if not entry or not isinstance(entry[0], str):
            warn(f"ignored a malformed buffered call: {entry!r:.60}")
            continue
        entries.append((entry[0], list(entry[1:])))
    for method, args in entries:
        if method in _FIRST:
            invoke(method, args)
    after_first()
    for method, args in entries:
        if method not in _FIRST and method != "ready":
            invoke(method, args)
    for method, args in entries:
        if method == "ready":
            invoke(method, args)
