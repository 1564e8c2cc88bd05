"""Why an id changed: the ``identity`` event and what ``explain()`` says of each id.

Every read and write of anonymousId, userId and groupId is noted here with
the reason its caller knows (``setAnonymousId``, ``identify``, ``reset``,
``minted``, …). A read that finds another value than the page last saw,
with no reason of ours around it, is ``external``: page code, another tab or
the server changed the cookie between our calls. An outer reason wins over
the inner ones (``?ajs_aid=`` runs ``setAnonymousId``: the reason is
``query``), and a public call's changes are told once it returns, one
``identity`` event per reason, so ``identify("new")`` (a new userId, the
anonymousId refreshed) is one change.

Nothing is told before :meth:`IdentityChanges.start` has compared the
stores: the listeners the snippet buffered are in place by then, and hear
the start's own changes (``restored``, ``synced``, ``minted``, ``query``,
``linked``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["FIELDS", "REASONS", "Fact", "IdentityChanges"]

FIELDS = ("anonymousId", "userId", "groupId")

#: Every reason, and the source (``explain()``) an id has after a change for it.
REASONS: dict[str, str | None] = {
    "minted": "minted",
    "restored": None,  # the store it was read from
    "synced": "cookie",
    "query": "query",
    "setAnonymousId": "call",
    "options": "call",
    "identify": "call",
    "reset": None,
    "linked": "query",
    "external": None,  # the store it was read from
}


def instant(seconds: float) -> str:
    """An ISO 8601 UTC time to the millisecond, as events carry."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Fact:
    """What the page knows of one id: where it was read from and its last change here."""

    source: str | None = None
    #: The reason and time (seconds) of the last change in this page.
    reason: str | None = None
    at: float = 0.0
    #: What each store held when the page started, before any repair.
    found: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, str] | None:
        """``{reason, at}`` of the last change in this page (``at`` in ISO 8601), ``None`` when none."""
        return None if self.reason is None else {"reason": self.reason, "at": instant(self.at)}


@dataclass
class _Change:
    """One reason's changes within a public call: the ids before and after, told when the call returns.

    (A docstring also spares ``dataclasses`` working one out from the signature at import.)
    """

    reason: str
    previous: dict[str, str | None]
    after: dict[str, str | None] | None = None
    #: The ids this change changed (another reason's change, or none, for the rest).
    fields: set[str] = field(default_factory=set)


class _Because:
    """``with changes.because(reason):`` (the outer reason wins)."""

    __slots__ = ("_changes", "_reason")

    def __init__(self, changes: IdentityChanges, reason: str) -> None:
        self._changes, self._reason = changes, reason

    def __enter__(self) -> None:
        self._changes.reasons.append(self._reason)
        self._changes.enter()

    def __exit__(self, *_: Any) -> None:
        self._changes.reasons.pop()
        self._changes.exit()


class IdentityChanges:
    """The ids the page last saw, the changes not yet told, and each id's :class:`Fact`."""

    def __init__(self, now: Callable[[], float], emit: Callable[[str, dict[str, Any]], None],
                 log: Callable[[str], None]) -> None:
        self._now = now
        self._emit = emit
        self._log = log
        #: ``debug(true)``: each change is logged with its reason.
        self.debug = False
        self.started = False
        self.known: dict[str, str | None] = dict.fromkeys(FIELDS)
        self.facts = {name: Fact() for name in FIELDS}
        self.reasons: list[str] = []
        self._pending: list[_Change] = []
        self._depth = 0

    def because(self, reason: str) -> _Because:
        return _Because(self, reason)

    def enter(self) -> None:
        """A public call starts: its changes are told when it returns."""
        self._depth += 1

    def exit(self) -> None:
        self._depth -= 1
        if not self._depth:
            self.settle()

    def seen(self, name: str, value: str | None, source: str | None = None) -> None:
        """A read: another value than the last one seen, with no reason of ours, is ``external``."""
        if self.started and value != self.known[name]:
            self.note(name, value, "external", source)

    def note(self, name: str, value: str | None, reason: str, source: str | None = None,
             previous: str | None = None) -> None:
        """``name`` now holds ``value`` because of ``reason`` (unless an outer reason is set).

        ``previous``: the value it replaced when the page did not hold one yet
        (the losing store's value of a ``synced`` start).
        """
        if previous is not None and self.known[name] is None:
            self.known[name] = previous
        if value == self.known[name]:
            return
        reason = told = self.reasons[0] if self.reasons else reason
        last = self._pending[-1] if self._pending else None
        # The anonymousId an identify() cleared is minted again within it: one change (its source: minted).
        if last is not None and (last.reason == reason or (reason == "minted" and last.reason == "identify")):
            told = last.reason
            if name not in last.fields:  # first seen after the change began (the start reads one id at a time)
                last.previous[name] = self.known[name]
        else:
            if last is not None:
                last.after = dict(self.known)
            self._pending.append(_Change(reason, dict(self.known)))
        self._pending[-1].fields.add(name)
        self.known[name] = value
        fact = self.facts[name]
        fact.source = None if value is None else (REASONS.get(reason) or source or fact.source)
        fact.reason, fact.at = told, self._now()
        if not self._depth:
            self.settle()

    def start(self) -> None:
        """The stores were compared: from now on changes are told, those of the start first.

        An id no change of the start touched held its value all along: the
        start's changes say so, although it was read after them.
        """
        touched = {name for change in self._pending for name in change.fields}
        for change in self._pending:
            for name in FIELDS:
                if name not in touched:
                    change.previous[name] = self.known[name]
                    if change.after is not None:
                        change.after[name] = self.known[name]
        self.started = True
        self.settle()

    def settle(self) -> None:
        """Tell the changes noted so far, one ``identity`` event each."""
        if not self.started or not self._pending:
            return
        pending, self._pending = self._pending, []
        for change in pending:
            after = change.after if change.after is not None else dict(self.known)
            if after == change.previous:
                continue  # changed and changed back within one call
            self.tell("identity", {**after, "previous": change.previous, "reason": change.reason})

    def tell(self, name: str, change: dict[str, Any]) -> None:
        """Emit ``name`` (``identity``, ``session``) to the page's listeners; with ``debug(true)``, log it."""
        if self.debug:
            self._log(f"{name} changed ({change['reason']}): {json.dumps(change)}")
        self._emit(name, change)
