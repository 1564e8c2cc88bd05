"""The :class:`Store` interface (``get``; ``set`` where ``None`` removes) and its
two simplest implementations, memory and localStorage.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Protocol

from ..host.protocols import KeyValueStorage

__all__ = ["LocalStorageStore", "MemoryStore", "RenewingStore", "Store", "StoreError", "StoreUnavailable"]


class StoreError(Exception):
    """A store refused one value it can never hold (for example an oversized cookie)."""


class StoreUnavailable(Exception):
    """A store found out it cannot work on this page (cookies disabled)."""


class Store(Protocol):
    """A place that holds JSON-able values by key."""

    name: str
    #: Whether values outlive the page (memory does not).
    persistent: bool

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any | None) -> None:
        """Store ``value``; ``None`` removes the key."""


class RenewingStore(Store, Protocol):
    """A store whose values expire unless renewed (the cookie)."""

    def renew(self, key: str, value: Any) -> None:
        """Push the expiry of the value ``key`` holds ahead."""


class MemoryStore:
    """Values for the life of the page; the store that always works.

    Objects are copied in and out, as the other stores do by serialising, so
    a caller changing a returned traits dict cannot change what is stored.
    """

    name = "memory"
    persistent = False

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        value = self._values.get(key)
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value

    def set(self, key: str, value: Any | None) -> None:
        if value is None:
            self._values.pop(key, None)
        else:
            self._values[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value


class LocalStorageStore:
    """JSON values in ``localStorage``; a raw unquoted string is accepted on read.

    The first write of the page is read back: storage that accepts writes
    and keeps nothing (as some private modes did) is then reported as
    unavailable, so memory keeps the page's identity instead of a fresh id
    being minted on every read.
    """

    name = "localStorage"
    persistent = True

    def __init__(self, backend: KeyValueStorage) -> None:
        self._backend = backend
        self._verified = False

    def get(self, key: str) -> Any | None:
        raw = self._backend.get_item(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def set(self, key: str, value: Any | None) -> None:
        if value is None:
            self._backend.remove_item(key)
            return
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as error:
            raise StoreError(f"{key} is not JSON ({error}); kept for this page only") from None
        self._backend.set_item(key, text)
        if not self._verified:
            if self._backend.get_item(key) != text:
                raise StoreUnavailable("localStorage does not keep what is written")
            self._verified = True
