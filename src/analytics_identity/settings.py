"""Load options (``analytics.load(writeKey, options)``) read into typed settings.

Only this module knows the option names; the rest of the core takes the
resolved :class:`Settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .cookies import CookieAttributes
from .entity import EntityKeys
from .host import Host, describe
from .store import CookieStore, LocalStorageStore, MemoryStore, PriorityStorage, Store

__all__ = ["EntitySettings", "Settings", "Storages"]

_STORE_NAMES = ("cookie", "localStorage", "memory")
DEFAULT_API_HOST = "api.segment.io/v1"


@dataclass(frozen=True)
class EntitySettings:
    """Per-entity options (``user: {...}`` or ``group: {...}``)."""

    keys: EntityKeys
    persist: bool = True
    local_storage_fallback: bool = True

    @classmethod
    def from_options(cls, options: Any, default_id_key: str, default_traits_key: str) -> EntitySettings:
        options = options if isinstance(options, dict) else {}
        cookie = options.get("cookie") if isinstance(options.get("cookie"), dict) else {}
        local = options.get("localStorage") if isinstance(options.get("localStorage"), dict) else {}
        return cls(
            keys=EntityKeys(
                id=str(cookie.get("key") or default_id_key),
                traits=str(local.get("key") or default_traits_key),
            ),
            persist=options.get("persist", True) is not False,
            local_storage_fallback=not options.get("localStorageFallbackDisabled", False),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the load options decide."""

    write_key: str = ""
    api_host: str = DEFAULT_API_HOST
    protocol: str = "https"
    stores: tuple[str, ...] = _STORE_NAMES
    persist: bool = True
    cookie: CookieAttributes = field(default_factory=CookieAttributes)
    user: EntitySettings = field(
        default_factory=lambda: EntitySettings(EntityKeys("ajs_user_id", "ajs_user_traits"))
    )
    group: EntitySettings = field(
        default_factory=lambda: EntitySettings(EntityKeys("ajs_group_id", "ajs_group_properties"))
    )
    use_query_string: bool | dict[str, Any] = True
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_options(cls, write_key: str, options: Any, warn: Callable[[str], None]) -> Settings:
        """Read load options; a bad option is dropped with a warning, never fatal."""
        if not isinstance(options, dict):
            if options is not None:
                warn(f"load options must be an object, not {describe(options)}; using defaults")
            options = {}
        segment = options.get("integrations", {}).get("Segment.io", {}) if isinstance(
            options.get("integrations"), dict
        ) else {}
        segment = segment if isinstance(segment, dict) else {}
        stores = _STORE_NAMES
        storage = options.get("storage")
        if isinstance(storage, dict) and isinstance(storage.get("stores"), list):
            names = [s.get("name") if isinstance(s, dict) else s for s in storage["stores"]]
            unknown = [n for n in names if n not in _STORE_NAMES]
            if unknown:
                warn(f"storage.stores: unknown store(s) {unknown} ignored")
            stores = tuple(n for n in names if n in _STORE_NAMES)
        try:
            cookie = CookieAttributes.from_options(options.get("cookie") if isinstance(options.get("cookie"), dict) else None)
        except ValueError as error:
            warn(f"cookie options ignored: {error}")
            cookie = CookieAttributes()
        return cls(
            write_key=write_key if isinstance(write_key, str) else "",
            api_host=str(segment.get("apiHost") or options.get("apiHost") or DEFAULT_API_HOST),
            protocol=str(segment.get("protocol") or options.get("protocol") or "https"),
            stores=stores,
            persist=not options.get("disableClientPersistence", False),
            cookie=cookie,
            user=EntitySettings.from_options(options.get("user"), "ajs_user_id", "ajs_user_traits"),
            group=EntitySettings.from_options(options.get("group"), "ajs_group_id", "ajs_group_properties"),
            use_query_string=options.get("useQueryString", True),
            options=options,
        )


class Storages:
    """Builds each entity's id and traits storage from the settings.

    One memory store is shared by every list so that user and group values
    stay consistent within the page when nothing else persists.
    """

    def __init__(self, settings: Settings, host: Host) -> None:
        self._settings = settings
        self._host = host
        self.memory = MemoryStore()
        self.cookie = CookieStore(host.cookies, settings.cookie, host.now, host.warn)
        self.local_storage = LocalStorageStore(host.local_storage)

    def _list(self, names: tuple[str, ...]) -> PriorityStorage:
        by_name: dict[str, Store] = {"cookie": self.cookie, "localStorage": self.local_storage, "memory": self.memory}
        return PriorityStorage([by_name[n] for n in names], self._host.warn)

    def for_entity(self, entity: EntitySettings) -> tuple[PriorityStorage, PriorityStorage]:
        """``(ids, traits)``: ids may use every store, traits never the cookie."""
        if not (self._settings.persist and entity.persist):
            return self._list(("memory",)), self._list(("memory",))
        names = self._settings.stores
        if not entity.local_storage_fallback:
            names = tuple(n for n in names if n != "localStorage")
        return self._list(names), self._list(tuple(n for n in names if n != "cookie"))

    def legacy_cookies(self) -> dict[str, Any]:
        """Classic analytics.js cookies, read once (missing or unreadable: empty)."""
        if not self._settings.persist or "cookie" not in self._settings.stores:
            return {}
        legacy_list = self._list(("cookie",))
        return {name: legacy_list.get(name) for name in ("ajs_user", "_sio")}
