"""Calls a page buffered but left before it was ready, replayed by the next one.

A visitor who leaves while the runtime boots would otherwise lose every
call the snippet buffered (a bounce page view is never counted). So when
the page is hidden or closed before the core is ready, the snippet writes
the buffered calls another page can replay (events and identity changes;
callbacks, middleware and ``ready`` belong to their page) to localStorage
under a new key, ``ajs_buffered_calls:<ms since epoch>:<random>``, holding a
JSON list of ``[method, ...args]``, and stamps those calls in its buffer
with the key. Event calls carry the page and time they were made on (the
snippet's ``__bufferedPage`` marker), so they are replayed as they were.

The first core that gets ready on the site :func:`take_all` the keys (each
read, then removed) and replays their calls, oldest first, before its own.
The page that wrote them may still get ready (it was only hidden): its core
replays a stamped call from its own buffer only if :func:`take` still finds
its key, so each call runs once. Tabs initialise one at a time (the
loader's Web Lock), which keeps two cores from taking the same key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..host.protocols import KeyValueStorage

__all__ = ["PREFIX", "calls_to_replay", "take", "take_all"]

#: The snippet's keys (``web/snippet.js``, ``keep``).
PREFIX = "ajs_buffered_calls:"


def take(storage: KeyValueStorage, key: str) -> str | None:
    """What is stored under ``key``, removed from storage; ``None`` when
    another page took it first."""
    text = storage.get_item(key)
    if text is not None:
        storage.remove_item(key)
    return text


def take_all(storage: KeyValueStorage, warn: Callable[[str], None]) -> list[Any]:
    """Every call that earlier pages left, oldest first, each taken once."""
    calls: list[Any] = []
    for key in sorted(k for k in storage.keys() if k.startswith(PREFIX)):
        text = take(storage, key)
        if text is None:
            continue
        try:
            taken = json.loads(text)
        except ValueError:
            taken = None
        if isinstance(taken, list):
            calls.extend(taken)
        else:
            warn(f"dropped unreadable calls an earlier page left in localStorage ({key})")
    return calls


def calls_to_replay(storage: KeyValueStorage | None, own: Sequence[tuple[list[Any], Any]],
                    warn: Callable[[str], None]) -> list[Any]:
    """What earlier pages left, then this page's buffered calls (each with
    the key the snippet kept it under, if any) without those another page
    has replayed. ``storage``: ``None`` when persistence is off or consent
    is pending (taking a key is a write: they wait for a page that may). A
    store that throws keeps this page's own calls and leaves the rest for a
    later page."""
    if storage is None:
        return [call for call, _ in own]
    gone: set[str] = set()
    left: list[Any] = []
    try:
        for key in {key for _, key in own if isinstance(key, str)}:
            if take(storage, key) is None:
                gone.add(key)
        left = take_all(storage, warn)
    except Exception:  # noqa: BLE001, S110 - localStorage throws: the store reports it once, not here again
        pass
    return left + [call for call, key in own if key not in gone]
