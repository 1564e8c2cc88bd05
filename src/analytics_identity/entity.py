"""User and Group: an id and cached traits on a shared base, as in analytics.js.

Every accessor is a getter with no argument and a setter with one, where
``None`` clears, matching ``analytics.user().id()`` in page JavaScript.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .host import describe
from .jsonsafe import json_safe
from .store import PriorityStorage

__all__ = ["READ", "Entity", "EntityKeys", "Group", "InvalidId", "User", "normalize_id"]


class _Read:
    """Marker for "no argument given": the accessor reads instead of writing."""

    def __repr__(self) -> str:
        return "READ"


READ: Final = _Read()

#: Longer ids are refused: they cannot fit a cookie and are never real ids.
MAX_ID_LENGTH = 2048


class InvalidId(ValueError):
    """An id that is not a non-empty string or a finite number."""


def normalize_id(value: Any) -> str:
    """Ids are strings; numbers become their decimal text (``12345`` → ``"12345"``)."""
    if isinstance(value, bool):
        raise InvalidId(f"an id must be a string or a number, not {describe(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidId(f"an id must be a finite number, not {value!r}")
        return str(int(value)) if value.is_integer() else repr(value)
    if not isinstance(value, str):
        raise InvalidId(f"an id must be a string or a number, not {describe(value)}")
    if not value.strip():
        raise InvalidId("an id must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidId(f"an id must be at most {MAX_ID_LENGTH} characters, not {len(value)}")
    return value


def _stored_id(value: Any) -> str | None:
    """An id read back from storage, or ``None`` when it is unusable there."""
    if value is None or value in ("", "undefined", "null"):
        return None
    try:
        return normalize_id(value)
    except InvalidId:
        return None


@dataclass(frozen=True)
class EntityKeys:
    """Storage keys of one entity (``user.cookie.key`` and friends)."""

    id: str
    traits: str


class Entity:
    """What User and Group share: an id, cached traits and the identify rules."""

    def __init__(
        self,
        keys: EntityKeys,
        id_storage: PriorityStorage,
        traits_storage: PriorityStorage,
        warn: Callable[[str], None],
    ) -> None:
        self.keys = keys
        self._ids = id_storage
        self._traits = traits_storage
        self._warn = warn

    def id(self, value: Any = READ) -> str | None:
        """The id; ``id(x)`` sets it, ``id(None)`` clears it."""
        if value is not READ:
            try:
                new = None if value is None else normalize_id(value)
            except InvalidId as error:
                self._warn(f"{type(self).__name__.lower()}().id ignored: {error}")
                return self.id()
            previous = _stored_id(self._ids.get_and_sync(self.keys.id))
            self._ids.set(self.keys.id, new)
            if previous is not None and new is not None and new != previous:
                self._identity_changed()
        return _stored_id(self._ids.get_and_sync(self.keys.id))

    def traits(self, value: Any = READ) -> dict[str, Any]:
        """Cached traits (``{}`` when none); ``traits({})`` or ``traits(None)`` clears them."""
        if value is not READ:
            if value is None:
                value = {}
            if isinstance(value, dict):
                value = json_safe(value, self._warn, "traits")
                self._traits.set(self.keys.traits, value)
            else:
                self._warn(f"traits must be an object, not {describe(value)}; ignored")
        stored = self._traits.get(self.keys.traits)
        return stored if isinstance(stored, dict) else {}

    def identify(self, id: Any = None, traits: dict[str, Any] | None = None) -> None:
        """Same entity (or none yet): merge traits; a different one: replace them."""
        traits = dict(traits or {})
        current = self.id()
        try:
            new = None if id is None else normalize_id(id)
        except InvalidId as error:
            self._warn(f"identify id ignored: {error}")
            new = None
        if current is None or new is None or new == current:
            traits = {**self.traits(), **traits}
        if new is not None:
            self.id(new)
        self.traits(traits)

    def logout(self) -> None:
        """Forget the id and traits."""
        self.id(None)
        self.traits({})

    def reset(self) -> None:
        """Remove every key of this entity from every store."""
        self._ids.set(self.keys.id, None)
        self._traits.set(self.keys.traits, None)

    def _identity_changed(self) -> None:
        """Hook run when one non-null id replaces another."""


class User(Entity):
    """The visitor: adds the anonymousId, and the legacy classic cookies."""

    ANONYMOUS_KEY: Final = "ajs_anonymous_id"

    def __init__(
        self,
        keys: EntityKeys,
        id_storage: PriorityStorage,
        traits_storage: PriorityStorage,
        warn: Callable[[str], None],
        legacy_cookies: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(keys, id_storage, traits_storage, warn)
        # Classic analytics.js cookies are read once per page and never written.
        self._legacy = legacy_cookies or {}
        self._migrate_legacy_user()

    def _migrate_legacy_user(self) -> None:
        """Classic analytics.js kept ``{id, traits}`` in the ``ajs_user`` cookie."""
        legacy = self._legacy.get("ajs_user")
        if isinstance(legacy, dict) and self.id() is None:
            if legacy.get("id") is not None:
                self.id(legacy["id"])
            if isinstance(legacy.get("traits"), dict):
                self.traits(legacy["traits"])

    def id(self, value: Any = READ) -> str | None:
        result = super().id(value)
        if result is None and value is READ:
            legacy = self._legacy.get("ajs_user")
            legacy_id = legacy.get("id") if isinstance(legacy, dict) else legacy
            return _stored_id(legacy_id)
        return result

    def anonymous_id(self, value: Any = READ) -> str | None:
        """The anonymousId, minted (v4 UUID) when missing; ``None`` clears it."""
        if value is None:
            self._ids.set(self.ANONYMOUS_KEY, None)
            return None
        if value is not READ:
            try:
                self._ids.set(self.ANONYMOUS_KEY, normalize_id(value))
            except InvalidId as error:
                self._warn(f"anonymousId ignored: {error}")
        current = _stored_id(self._ids.get_and_sync(self.ANONYMOUS_KEY))
        if current is None:
            current = self._legacy_sio() or str(uuid.uuid4())
            self._ids.set(self.ANONYMOUS_KEY, current)
        return current

    anonymousId = anonymous_id

    def _legacy_sio(self) -> str | None:
        """The ``_sio`` cookie is ``"<anonymousId>----<userId>"``."""
        sio = self._legacy.get("_sio")
        if not isinstance(sio, str):
            return None
        return _stored_id(sio.split("----")[0])

    def reset(self) -> None:
        super().reset()
        self._ids.set(self.ANONYMOUS_KEY, None)

    def logout(self) -> None:
        super().logout()
        self._ids.set(self.ANONYMOUS_KEY, None)

    def _identity_changed(self) -> None:
        self._ids.set(self.ANONYMOUS_KEY, None)


class Group(Entity):
    """The account or company a user belongs to: no anonymousId."""
