"""User and Group: an id and cached traits on a shared base, as in analytics.js.

Every accessor is a getter with no argument and a setter with one, where
``None`` clears, matching ``analytics.user().id()`` in page JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ..jsonsafe import NotJson, json_safe
from ..host import describe
from ..storage import PriorityStorage
from ..ids import uuid4

__all__ = [
    "GROUP_KEYS", "READ", "USER_KEYS", "Entity", "EntityKeys", "Group", "InvalidId", "User", "legacy_user_id",
    "normalize_id", "sio_anonymous_id",
    "stored_id",
]


class _Read:
    """Marker for "no argument given": the accessor reads instead of writing."""

    def __repr__(self) -> str:
        return "READ"


READ: Final = _Read()

#: Longer ids are refused: they cannot fit a cookie and are never real ids.
MAX_ID_LENGTH = 2048


class InvalidId(ValueError):
    """An id that is not a non-empty string or a finite number."""


def _what(value: Any) -> str:
    """The kind of a refused id, as a warning names it."""
    if isinstance(value, NotJson):  # what the bridge made of a BigInt, a Date or a symbol
        return value.reason
    return describe(value)


def normalize_id(value: Any) -> str:
    """Ids are strings; numbers become their decimal text (``12345`` → ``"12345"``).

    Anything else is refused rather than turned into text: analytics-next
    would store ``String(10n)`` or a Date's text as the visitor's id, which
    silently replaces the real one. A string holding a lone UTF-16 surrogate
    (page code slicing an emoji in half) is refused too: it has no UTF-8
    form, so it can be neither a cookie nor sent.
    """
    if isinstance(value, str):
        if not value.strip():
            raise InvalidId("an id must not be empty")
        if len(value) > MAX_ID_LENGTH:
            raise InvalidId(f"an id must be at most {MAX_ID_LENGTH} characters, not {len(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidId(f"an id must be valid text, not {describe(value)} (it holds a lone UTF-16 surrogate)") from None
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidId(f"an id must be a finite number, not {value!r}")
        return str(int(value)) if value.is_integer() else repr(value)
    raise InvalidId(f"an id must be a string or a number, not {_what(value)}")


def stored_id(value: Any) -> str | None:
    """An id read back from storage, or ``None`` when it is unusable there."""
    if value is None or value in ("", "undefined", "null"):
        return None
    try:
        return normalize_id(value)
    except InvalidId:
        return None


def legacy_user_id(value: Any) -> str | None:
    """The user id in classic analytics.js' decoded ``ajs_user`` cookie: ``{id, traits}`` or a bare id."""
    return stored_id(value.get("id") if isinstance(value, dict) else value)


def sio_anonymous_id(value: Any) -> str | None:
    """The anonymousId in the socket.io era's decoded ``_sio`` cookie, ``"<anonymousId>----<userId>"``."""
    return stored_id(value.split("----")[0]) if isinstance(value, str) else None


@dataclass(frozen=True)
class EntityKeys:
    """Storage keys of one entity (``user.cookie.key`` and friends)."""

    id: str
    traits: str
    #: Classic analytics.js' ``{id, traits}`` cookie (``user.cookie.oldKey``); users only.
    legacy: str = "ajs_user"


#: analytics-next's default keys (the ``user``/``group`` load options change them);
#: the server's middleware reads and sets the same cookies.
USER_KEYS = EntityKeys("ajs_user_id", "ajs_user_traits")
GROUP_KEYS = EntityKeys("ajs_group_id", "ajs_group_properties")


class Entity:
    """What User and Group share: an id, cached traits and the identify rules.

    Setters return the value they stored rather than reading it back: a
    ``document.cookie`` read right after a write is a slow synchronous round
    trip, and memory always holds what was written.
    """

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

    def _kind(self) -> str:
        return type(self).__name__.lower()

    def id(self, value: Any = READ) -> str | None:
        """The id; ``id(x)`` sets it, ``id(None)`` clears it."""
        current = self._ids.get_and_sync(self.keys.id, stored_id)
        if value is READ:
            return current
        try:
            new = None if value is None else normalize_id(value)
        except InvalidId as error:
            self._warn(f"{self._kind()}().id ignored: {error}")
            return current
        return self._replace_id(current, new)

    def _replace_id(self, current: str | None, new: str | None) -> str | None:
        if new is None or new != current:
            self._ids.set(self.keys.id, new)
            if current is not None and new is not None:
                self._identity_changed()
        return new

    def traits(self, value: Any = READ) -> dict[str, Any]:
        """Cached traits (``{}`` when none); ``traits({})`` or ``traits(None)`` clears them."""
        if value is not READ:
            if value is None:
                value = {}
            if isinstance(value, dict):
                value = json_safe(value, self._warn, "traits")
                self._traits.set(self.keys.traits, value)
                return dict(value)
            self._warn(f"{self._kind()}().traits ignored: traits must be an object, not {describe(value)}")
        stored = self._traits.get(self.keys.traits)
        return stored if isinstance(stored, dict) else {}

    def identify(self, id: Any = None, traits: dict[str, Any] | None = None) -> None:
        """Same entity (or none yet): merge traits; a different one: replace them.

        ``identify(None, traits)`` keeps the current id and merges. Nothing is
        written when neither the id nor the traits change.
        """
        traits = dict(traits) if isinstance(traits, dict) else {}
        try:
            new = None if id is None else normalize_id(id)
        except InvalidId as error:
            self._warn(f"identify id ignored: {error}")
            new = None
        current = self.id()
        if current is None or new is None or new == current:
            stored = self.traits()
            merged = {**stored, **traits}
            if merged != stored:
                self.traits(merged)
            if new is not None:
                self._replace_id(current, new)
            return
        self._replace_id(current, new)
        self.traits(traits)

    def logout(self) -> None:
        """Forget the id and traits."""
        self.id(None)
        self.traits({})

    def reset(self) -> None:
        """Remove every key of this entity from every store."""
        self._ids.set(self.keys.id, None)
        self._traits.set(self.keys.traits, None)

    def load(self) -> Entity:
        """analytics-next's ``load()``: nothing to do, every accessor reads the stores."""
        return self

    def _identity_changed(self) -> None:
        """Hook run when one non-null id replaces another."""


class User(Entity):
    """The visitor: adds the anonymousId, and imports the legacy classic cookies.

    Classic analytics.js kept ``{id, traits}`` in the ``ajs_user`` cookie (or
    ``user.cookie.oldKey``) and
    the socket.io era ``"<anonymousId>----<userId>"`` in ``_sio``. Both are
    read once, when the user is created, into the current keys (only where
    those are empty), and never written; ``logout`` and ``reset`` delete them
    so that a forgotten identity cannot come back from them on the next page.
    """

    ANONYMOUS_KEY: Final = "ajs_anonymous_id"
    #: The socket.io era's cookie.
    SIO_KEY: Final = "_sio"

    def __init__(
        self,
        keys: EntityKeys,
        id_storage: PriorityStorage,
        traits_storage: PriorityStorage,
        warn: Callable[[str], None],
        legacy_storage: PriorityStorage | None = None,
    ) -> None:
        super().__init__(keys, id_storage, traits_storage, warn)
        self._legacy = legacy_storage
        if legacy_storage is not None:
            self._import_legacy(legacy_storage)

    def _import_legacy(self, legacy: PriorityStorage) -> None:
        user = legacy.get(self.keys.legacy)
        if user is not None and self.id() is None:
            legacy_id = legacy_user_id(user)
            if legacy_id is not None:
                self.id(legacy_id)
            if isinstance(user, dict) and isinstance(user.get("traits"), dict) and not self.traits():
                self.traits(user["traits"])
        sio = sio_anonymous_id(legacy.get(self.SIO_KEY))
        if sio is not None and self._ids.get_and_sync(self.ANONYMOUS_KEY, stored_id) is None:
            self._ids.set(self.ANONYMOUS_KEY, sio)

    def _forget_legacy(self) -> None:
        if self._legacy is not None:
            for key in (self.keys.legacy, self.SIO_KEY):
                self._legacy.set(key, None)

    def anonymous_id(self, value: Any = READ) -> str | None:
        """The anonymousId, minted (v4 UUID) when missing; ``None`` clears it."""
        if value is None:
            self._ids.set(self.ANONYMOUS_KEY, None)
            return None
        current = self._ids.get_and_sync(self.ANONYMOUS_KEY, stored_id)
        if value is not READ:
            try:
                new = normalize_id(value)
            except InvalidId as error:
                self._warn(f"anonymousId ignored: {error}")
            else:
                if new != current:
                    self._ids.set(self.ANONYMOUS_KEY, new)
                return new
        if current is None:
            current = uuid4()
            self._ids.set(self.ANONYMOUS_KEY, current)
        return current

    anonymousId = anonymous_id

    def reset(self) -> None:
        super().reset()
        self._ids.set(self.ANONYMOUS_KEY, None)
        self._forget_legacy()

    def logout(self) -> None:
        super().logout()
        self._ids.set(self.ANONYMOUS_KEY, None)
        self._forget_legacy()

    def _identity_changed(self) -> None:
        self._ids.set(self.ANONYMOUS_KEY, None)


class Group(Entity):
    """The account or company a user belongs to: no anonymousId."""
