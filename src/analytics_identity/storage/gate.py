"""The one rule for writing to the browser's storage: closed until consent allows it.

Every writer goes through a :class:`StorageGate`: the stores composed by a
:class:`~analytics_identity.storage.PriorityStorage` (identity, its repairs
and cookie renewals) and the delivery's queue store (:class:`GatedStorage`:
items, leases, and the timers that write them). Callers never check consent
themselves.

While the gate is closed, values already in cookies and localStorage may be
read, and whatever is set is kept in memory only, where it wins every read;
when the gate opens, each priority list writes those values to its stores at
once. Closing with :meth:`StorageGate.forbid` first copies each list's
values into memory, so the page keeps its identity after the stores are
emptied (:func:`remove_owned`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from ..host.protocols import KeyValueStorage
from .cookie_store import CookieStore

__all__ = ["GatedStorage", "OWNED_PREFIX", "StorageClosed", "StorageGate", "remove_owned"]

#: Every cookie and localStorage key of analytics.js starts with this (plus custom keys and ``_sio``).
OWNED_PREFIX = "ajs_"


class _Gated(Protocol):
    """A priority list, as the gate sees it."""

    def save_unsaved(self) -> None: ...

    def keep_in_memory(self) -> None: ...


class StorageGate:
    """Open: writes reach cookies and localStorage. Closed: they stay in memory."""

    def __init__(self, open: bool = True) -> None:
        self._open = open
        self._lists: list[_Gated] = []

    @property
    def open(self) -> bool:
        return self._open

    def attach(self, storage: _Gated) -> None:
        """A priority list that writes through this gate."""
        self._lists.append(storage)

    def allow(self) -> None:
        """Open, and write what was kept in memory meanwhile to the stores."""
        if self._open:
            return
        self._open = True
        for storage in self._lists:
            storage.save_unsaved()

    def forbid(self) -> None:
        """Close, each list keeping the values it holds now in memory for the rest of the page."""
        for storage in self._lists:
            storage.keep_in_memory()
        self._open = False


class StorageClosed(Exception):
    """The gate is closed: what a caller meant to take stays where it is, for a page that may."""


class GatedStorage:
    """A :class:`~analytics_identity.host.KeyValueStorage` whose writes pass the gate
    (the delivery's queue store, and the handover of calls earlier pages left).

    Reads always work; while the gate is closed, writes and removals are
    skipped, and :meth:`take` refuses.
    """

    def __init__(self, backend: KeyValueStorage, gate: StorageGate) -> None:
        self._backend = backend
        self._gate = gate

    def get_item(self, key: str) -> str | None:
        return self._backend.get_item(key)

    def keys(self) -> list[str]:
        return self._backend.keys()

    def set_item(self, key: str, value: str) -> None:
        if self._gate.open:
            self._backend.set_item(key, value)

    def remove_item(self, key: str) -> None:
        if self._gate.open:
            self._backend.remove_item(key)

    def take(self, key: str) -> str | None:
        """What is stored under ``key``, removed from storage; ``None`` when
        nothing is (another page took it first).

        Taking is a removal, so a closed gate refuses it with
        :class:`StorageClosed` rather than answer ``None``: the caller must
        not conclude that another page took the value.
        """
        if not self._gate.open:
            raise StorageClosed(f"consent does not allow taking {key} now")
        text = self._backend.get_item(key)
        if text is not None:
            self._backend.remove_item(key)
        return text


def remove_owned(cookies: CookieStore, local_storage: KeyValueStorage, names: Iterable[str],
                 report: Callable[[str, Exception], None]) -> None:
    """Remove every ``ajs_*`` cookie and localStorage key, and ``names``, whatever the gate says.

    For a denial: identity, traits, the delivery queue and its leases of
    every tab, and the keys of other analytics.js versions alike. A store
    that throws is reported once and the other is still emptied.
    """
    names = set(names)
    try:
        for name in sorted(cookies.names()):
            if name.startswith(OWNED_PREFIX) or name in names:
                cookies.set(name, None)
    except Exception as error:  # noqa: BLE001 - cookies may be refused or throw
        report("cookie", error)
    try:
        for key in local_storage.keys():
            if key.startswith(OWNED_PREFIX) or key in names:
                local_storage.remove_item(key)
    except Exception as error:  # noqa: BLE001 - localStorage may throw
        report("localStorage", error)
