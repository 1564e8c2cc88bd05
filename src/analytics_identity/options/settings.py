"""Load options (``analytics.load(writeKey, options)``) read into typed settings.

Only this module knows the option names; the rest of the core takes the
resolved :class:`Settings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..consent import ConsentRules
from ..delivery import Endpoint, Strategy
from ..host import describe
from ..identity.entity import GROUP_KEYS, USER_KEYS, EntityKeys
from ..identity.handoff import DEFAULT_MAX_AGE, CrossDomain
from ..identity.session import DEFAULT_TIMEOUT_MS
from ..storage.codec import CookieAttributes
from .querystring import QueryStringRules, rules_from_option

__all__ = ["EntitySettings", "Settings", "cross_domain_option", "session_timeout"]

_STORE_NAMES = ("cookie", "localStorage", "memory")
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
DEFAULT_API_HOST = "api.segment.io/v1"


def _stores_option(storage: Any, warn: Callable[[str], None], where: str) -> tuple[str, ...] | None:
    """``storage: {stores: ["cookie", "localStorage", "memory"]}``: the priority order.

    Entries may also be ``{name, settings}`` objects as analytics-next accepts
    (the cookie store's settings: :func:`_store_cookie_settings`). Memory is
    added last when missing: a value must survive within the page even when
    every other store fails.
    """
    if storage is None:
        return None
    stores = storage.get("stores") if isinstance(storage, dict) else None
    if not isinstance(stores, list):
        warn(f"{where}.stores must be a list of store names; ignored")
        return None
    names = [entry.get("name") if isinstance(entry, dict) else entry for entry in stores]
    unknown = [name for name in names if name not in _STORE_NAMES]
    if unknown:
        warn(f"{where}.stores: unknown store(s) {unknown} ignored")
    # Memory always works, so it always ends the list.
    return tuple(dict.fromkeys([*(name for name in names if name in _STORE_NAMES), "memory"]))


def _store_cookie_settings(storage: Any) -> dict[str, Any] | None:
    """The ``settings`` of a ``{name: "cookie", settings}`` entry of ``storage.stores``."""
    stores = storage.get("stores") if isinstance(storage, dict) else None
    for entry in stores if isinstance(stores, list) else ():
        if isinstance(entry, dict) and entry.get("name") == "cookie" and isinstance(entry.get("settings"), dict):
            return entry["settings"]
    return None


@dataclass(frozen=True)
class EntitySettings:
    """Per-entity options (``user: {...}`` or ``group: {...}``), resolved against the page's."""

    keys: EntityKeys
    #: The stores this entity uses, in priority order: ``("memory",)`` when
    #: it does not persist (``disableClientPersistence``, ``persist: false``).
    stores: tuple[str, ...] = _STORE_NAMES
    persist: bool = True

    @classmethod
    def from_options(
        cls, options: Any, defaults: EntityKeys, page: tuple[tuple[str, ...], bool], where: str,
        warn: Callable[[str], None],
    ) -> EntitySettings:
        """``page``: the page's store order and whether it persists at all;
        ``user.storage.stores`` is this entity's own order."""
        page_stores, page_persist = page
        if options is not None and not isinstance(options, dict):
            warn(f"{where} options must be an object, not {describe(options)}; ignored")
        options = options if isinstance(options, dict) else {}
        cookie = options.get("cookie") if isinstance(options.get("cookie"), dict) else {}
        local = options.get("localStorage") if isinstance(options.get("localStorage"), dict) else {}
        stores = _stores_option(options.get("storage"), warn, f"{where}.storage") or page_stores
        if _store_cookie_settings(options.get("storage")) is not None:
            warn(f"{where}.storage.stores[].settings ignored: a page has one cookie configuration "
                 "(the cookie option, or storage.stores[].settings at the top level)")
        # `disable`: analytics-next keeps nothing about the entity; here it lives in memory for the page.
        persist = page_persist and options.get("persist", True) is not False and options.get("disable") is not True
        if not persist:
            stores = ("memory",)
        elif options.get("localStorageFallbackDisabled", False):
            stores = tuple(n for n in stores if n != "localStorage")
        return cls(
            keys=EntityKeys(
                id=_key(cookie.get("key"), defaults.id, f"{where}.cookie.key", warn),
                traits=_key(local.get("key"), defaults.traits, f"{where}.localStorage.key", warn),
                legacy=_key(cookie.get("oldKey"), defaults.legacy, f"{where}.cookie.oldKey", warn),
            ),
            stores=stores,
            persist=persist,
        )


def _consent_option(value: Any, warn: Callable[[str], None]) -> ConsentRules:
    """``consent: {required, category, pending, gpc, gpcDenies}``.

    A value that cannot be read errs on the visitor's side: a malformed
    ``consent`` or ``required`` means consent is required.
    """
    if value is None:
        return ConsentRules()
    if not isinstance(value, dict):
        warn(f"consent must be an object, not {describe(value)}; consent is required until analytics.consent() grants it")
        return ConsentRules(required=True)
    defaults = ConsentRules()
    required = value.get("required", False)
    if not isinstance(required, bool):
        warn(f"consent.required must be true or false, not {describe(required)}; consent is required")
        required = True
    category = value.get("category", defaults.category)
    if not isinstance(category, str) or not category:
        warn(f"consent.category must be a category name, not {describe(category)}; using {defaults.category}")
        category = defaults.category
    pending = value.get("pending", defaults.pending)
    if pending not in ("hold", "drop"):
        warn(f"consent.pending must be \"hold\" or \"drop\", not {describe(pending)}; using {defaults.pending}")
        pending = defaults.pending
    gpc = value.get("gpc")
    if gpc not in (None, "deny"):
        warn(f"consent.gpc may only be \"deny\", not {describe(gpc)}; Global Privacy Control denies consent.gpcDenies")
        gpc = None
    denies = value.get("gpcDenies", list(defaults.gpc_denies))
    if not isinstance(denies, list) or not all(isinstance(name, str) for name in denies):
        warn(f"consent.gpcDenies must be a list of category names, not {describe(denies)}; "
             f"using {list(defaults.gpc_denies)}")
        denies = list(defaults.gpc_denies)
    return ConsentRules(required, category, pending, gpc, tuple(denies))


def cross_domain_option(value: Any, warn: Callable[[str], None]) -> CrossDomain | None:
    """``crossDomain: {domains: [...], maxAge: seconds}``; ``None`` when absent or unusable."""
    if value is None:
        return None
    domains = value.get("domains") if isinstance(value, dict) else None
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and d.strip() for d in domains):
        warn(f"crossDomain must be {{domains: [\"shop.example.com\", ...], maxAge}}, not {describe(value)}; "
             "no cross-domain hand-off")
        return None
    max_age = value.get("maxAge", DEFAULT_MAX_AGE)
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0:
        warn(f"crossDomain.maxAge must be a positive number of seconds, not {describe(max_age)}; "
             f"using {DEFAULT_MAX_AGE}")
        max_age = DEFAULT_MAX_AGE
    return CrossDomain(tuple(d.strip().lower().lstrip(".") for d in domains), float(max_age))


def session_timeout(value: Any, warn: Callable[[str], None]) -> int | None:
    """Load option ``session: {timeout}`` (ms): the timeout, or ``None`` (sessions off, the default)."""
    if value is None or value is False:
        return None
    if value is True:
        return DEFAULT_TIMEOUT_MS
    timeout = value.get("timeout", DEFAULT_TIMEOUT_MS) if isinstance(value, dict) else None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        warn(f"session must be {{timeout: ms}} with a positive timeout, not {describe(value)}; "
             f"using {DEFAULT_TIMEOUT_MS} ms")
        return DEFAULT_TIMEOUT_MS
    return int(timeout)


def _disabled(value: Any, options: dict[str, Any], warn: Callable[[str], None]) -> bool:
    """``disable: true``, or a function of the load options that returns ``true``.

    The snippet decides it before the runtime loads (and then passes
    ``false``); a Python page decides it here. A function that throws
    disables: it was meant to say whether the library may run.
    """
    if callable(value):
        try:
            value = value(options)
        except Exception as error:  # noqa: BLE001 - the page's function
            warn(f"disable() raised {type(error).__name__}: {error}; analytics stays disabled")
            return True
    return value is True


def _key(value: Any, default: str, where: str, warn: Callable[[str], None]) -> str:
    """A storage key must be a valid cookie name (it names the cookie too)."""
    if value is None:
        return default
    if isinstance(value, str) and _COOKIE_NAME.match(value):
        return value
    warn(f"{where} must be a cookie name (letters, digits, !#$%&'*+-.^_`|~), not {describe(value)}; using {default}")
    return default


def _delivery_strategy(options: Any, warn: Callable[[str], None]) -> Strategy:
    """``deliveryStrategy: {strategy: "batching", config: {size, timeout}}``; ``timeout`` in ms like analytics-next."""
    if options is None:
        return Strategy()
    if not isinstance(options, dict) or options.get("strategy", "standard") not in ("standard", "batching"):
        warn(f"deliveryStrategy {describe(options)} not understood; sending each event on its own")
        return Strategy()
    if options.get("strategy") != "batching":
        return Strategy()
    config = options.get("config") if isinstance(options.get("config"), dict) else {}
    size, timeout = config.get("size", 10), config.get("timeout", 5000)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        warn(f"deliveryStrategy.config.size {describe(size)} is not a positive integer; using 10")
        size = 10
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
        warn(f"deliveryStrategy.config.timeout {describe(timeout)} is not a number of ms; using 5000")
        timeout = 5000
    return Strategy(batching=True, size=size, timeout=timeout / 1000)


#: Every load option read here or by the loader (analytics-next 1.84's, and ours).
KNOWN_OPTIONS = frozenset({
    "integrations", "apiHost", "protocol", "deliveryStrategy", "cookie", "storage", "user", "group",
    "disableClientPersistence", "useQueryString", "initialPageview", "retryQueue", "obfuscate",
    "highEntropyValuesClientHints", "globalAnalyticsKey", "disableAutoISOConversion", "plan", "updateCDNSettings",
    "disable", "loadMode", "consent", "anonymizeIp", "crossDomain", "session",
})
#: analytics-next options refused here, each with the value that asks for what is refused and why.
UNSUPPORTED_OPTIONS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "retryQueue": (lambda v: v is False, "events that could not be sent are always kept and retried "
                                         "(docs/delivery.md)"),
    "obfuscate": (lambda v: v is True, "nothing is loaded from Segment's CDN, so there are no plugin or "
                                       "destination names to hide"),
    "highEntropyValuesClientHints": (lambda v: bool(v), "events carry context.userAgent, not client hints"),
    "globalAnalyticsKey": (lambda v: v != "analytics", "the instance is always window.analytics"),
    "plan": (lambda v: v is not None, "tracking plans come from Segment's CDN settings, which are not loaded here"),
    "updateCDNSettings": (lambda v: v is not None, "no CDN settings are loaded here"),
}


def _warn_unsupported(options: dict[str, Any], warn: Callable[[str], None]) -> None:
    """One warning per option that is refused, and one naming the options nothing reads."""
    for name, (asks, why) in UNSUPPORTED_OPTIONS.items():
        if name in options and asks(options[name]):
            warn(f"load option {name} is not supported: {why}; ignored")
    unknown = sorted(str(name) for name in options if name not in KNOWN_OPTIONS)
    if unknown:
        warn(f"unknown load option(s) {', '.join(unknown)} ignored")


@dataclass(frozen=True)
class Settings:
    """Everything the load options decide."""

    endpoint: Endpoint = field(default_factory=lambda: Endpoint("https", DEFAULT_API_HOST, ""))
    delivery: Strategy = field(default_factory=Strategy)
    #: ``disableClientPersistence: true`` turns it off: identity and the event queue stay in memory.
    persist: bool = True
    cookie: CookieAttributes = field(default_factory=CookieAttributes)
    user: EntitySettings = field(default_factory=lambda: EntitySettings(USER_KEYS))
    group: EntitySettings = field(default_factory=lambda: EntitySettings(GROUP_KEYS))
    query_string: QueryStringRules = field(default_factory=QueryStringRules)
    consent: ConsentRules = field(default_factory=ConsentRules)
    #: ``disable``: nothing stored, nothing sent.
    disabled: bool = False
    #: ``anonymizeIp``: every event says ``context.ip: "0.0.0.0"``.
    anonymize_ip: bool = False
    #: ``initialPageview``: a page call before the buffered calls, as analytics-next.
    initial_pageview: bool = False
    #: ``crossDomain: {domains, maxAge}``: the anonymousId handed to the listed domains.
    cross_domain: CrossDomain | None = None
    #: ``session: {timeout}`` in ms; ``None``: no sessions.
    session_timeout: int | None = None

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
        _warn_unsupported(options, warn)
        stores = _stores_option(options.get("storage"), warn, "storage") or _STORE_NAMES
        cookie_option = options.get("cookie") if isinstance(options.get("cookie"), dict) else None
        store_cookie = _store_cookie_settings(options.get("storage"))
        if store_cookie is not None:  # a cookie store's own settings, over the cookie option
            cookie_option = {**(cookie_option or {}), **store_cookie}
        try:
            cookie = CookieAttributes.from_options(cookie_option)
        except ValueError as error:
            warn(f"cookie options ignored: {error}")
            cookie = CookieAttributes()
        disabled = _disabled(options.get("disable"), options, warn)
        persist = not (options.get("disableClientPersistence", False) or disabled)
        page = (stores, persist)
        user = EntitySettings.from_options(options.get("user"), USER_KEYS, page, "user", warn)
        group = EntitySettings.from_options(options.get("group"), GROUP_KEYS, page, "group", warn)
        query_string = rules_from_option(options.get("useQueryString"), warn)
        consent = _consent_option(options.get("consent"), warn)
        return cls(
            endpoint=Endpoint(
                str(segment.get("protocol") or options.get("protocol") or "https"),
                str(segment.get("apiHost") or options.get("apiHost") or DEFAULT_API_HOST),
                write_key if isinstance(write_key, str) else "",
            ),
            # analytics-next reads it under integrations["Segment.io"]; the top level is accepted too.
            delivery=_delivery_strategy(segment.get("deliveryStrategy", options.get("deliveryStrategy")), warn),
            persist=persist,
            cookie=cookie,
            user=user,
            group=group,
            query_string=query_string,
            consent=consent,
            disabled=disabled,
            anonymize_ip=options.get("anonymizeIp") is True,
            initial_pageview=options.get("initialPageview") is True,
            cross_domain=cross_domain_option(options.get("crossDomain"), warn),
            session_timeout=session_timeout(options.get("session"), warn),
        )
