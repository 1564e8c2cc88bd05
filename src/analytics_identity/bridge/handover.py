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

The first core that gets ready on the site takes all the keys (each read,
then removed: :meth:`~analytics_identity.storage.gate.GatedStorage.take`)
and replays their calls, oldest first, before its own. The page that wrote
them may still get ready (it was only hidden): its core replays a stamped
call from its own buffer only if it can still take its key, so each call
runs once. Tabs initialise one at a time (the loader's Web Lock), which
keeps two cores from taking the same key. Taking removes, so it passes the
storage gate like every write: while consent does not allow storing, the
keys wait for a page that may.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..storage.gate import GatedStorage, StorageClosed

__all__ = ["PREFIX", "calls_to_replay", "take_all"]

#: The snippet's keys (``web/snippet.js``, ``keep``; the build writes it in from here).
PREFIX = "ajs_buffered_calls:"


def take_all(storage: GatedStorage, warn: Callable[[str], None]) -> list[Any]:
    """Every call that earlier pages left, oldest first, each taken once."""
    calls: list[Any] = []
    for key in sorted(k for k in storage.keys() if k.startswith(PREFIX)):
        text = storage.take(key)
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


def calls_to_replay(storage: GatedStorage | None, own: Sequence[tuple[list[Any], Any]],
                    warn: Callable[[str], None]) -> list[Any]:
    """What earlier pages left, then this page's buffered calls (each with
    the key the snippet kept it under, if any) without those another page
    has replayed. ``storage``: ``None`` when persistence is off. While the
    gate is closed nothing is taken, and every call of this page's own is
    replayed. A store that throws keeps this page's own calls and leaves the
    rest for a later page."""
    if storage is None:
        return [call for call, _ in own]
    gone: set[str] = set()
    left: list[Any] = []
    try:
        for key in {key for _, key in own if isinstance(key, str)}:
            if storage.take(key) is None:
                gone.add(key)
        left = take_all(storage, warn)
    except StorageClosed:
        return [call for call, _ in own]
    except Exception:  # noqa: BLE001, S110 - localStorage throws: the store reports it once, not here again
        pass
    return left + [call for call, key in own if key not in gone]
