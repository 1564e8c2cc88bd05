"""``user().explain()`` / ``group().explain()``, and the comparison of the stores at start.

Both look at every store itself rather than through the priority list,
which shows only the winner: a bug report needs what the cookie and
localStorage each hold, and every value of a cookie name ``document.cookie``
lists twice (one at the site's domain, one at a subdomain or host-only).
The result is JSON-safe, to paste as it stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..storage.codec import candidate_domains, decode_value
from .changes import IdentityChanges, instant
from .entity import Entity, User, stored_id

if TYPE_CHECKING:
    from ..storage import PriorityStorage
    from ..storage.cookie_store import CookieStore

__all__ = ["before_server", "compare_at_start", "explain", "held"]


def cookie_values(header: str, name: str) -> list[Any]:
    """Every value of cookie ``name`` in ``document.cookie``, decoded, in the order listed."""
    values = []
    for part in header.split(";"):
        key, sep, raw = part.strip().partition("=")
        if sep and key == name:
            values.append(decode_value(raw)[0])
    return values


def held(storage: PriorityStorage, key: str, header: Callable[[], str],
         clean: Callable[[Any], Any]) -> dict[str, Any]:
    """What each store of ``storage`` holds for ``key`` right now: a list when a cookie name repeats.

    A store that cannot be read is left out.
    """
    stores: dict[str, Any] = {}
    for store in storage.stores:
        try:
            if store.name == "cookie":
                values = [clean(value) for value in cookie_values(header(), key)]
                stores["cookie"] = values if len(values) > 1 else (values[0] if values else None)
            else:
                stores[store.name] = clean(store.get(key))
        except Exception:  # noqa: BLE001, S112 - an unreadable store is reported where it is used
            continue
    return stores


def _values(holding: Any) -> list[Any]:
    return [v for v in (holding if isinstance(holding, list) else [holding]) if v is not None]


def compare_at_start(changes: IdentityChanges, field: str, found: dict[str, Any], value: str | None) -> None:
    """Note what the start's read of ``field`` did to the stores ``found`` before it.

    ``synced``: the stores (or two copies of the cookie) disagreed and the
    winner's ``value`` was written to the others; ``restored``: a store was
    empty and got ``value`` from another; otherwise nothing changed.
    """
    fact = changes.facts[field]
    fact.found = found
    persistent = {name: _values(holding) for name, holding in found.items() if name != "memory"}
    holders = [name for name, values in persistent.items() if values]
    if value is None or not holders:
        return
    losers = [v for values in persistent.values() for v in values if v != value]
    if losers:
        changes.note(field, value, "synced", previous=losers[0])
    elif len(holders) < len(persistent):
        changes.note(field, value, "restored", holders[0])
    else:
        changes.known[field] = value
        fact.source = holders[0]


def before_server(changes: IdentityChanges, field: str, found: dict[str, Any], value: str | None,
                  read: Callable[[], Any]) -> None:
    """``field`` is one the server's login or logout sets to ``value``: the stores that still hold
    another id (the page's localStorage copy, say) are what the page held, and the change from
    it is the server's (``external``), not a repair. A cleared id is not read, so no store's old
    copy comes back before the logout is applied."""
    changes.facts[field].found = found
    losers = [v for name, holding in found.items() if name != "memory" for v in _values(holding) if v != value]
    if value is None:
        changes.known[field] = losers[0] if losers else None
        return
    read()  # every store holds the server's id again
    if losers:
        changes.note(field, value, "external", previous=losers[0])
    else:
        changes.known[field] = value


def _cookie(store: CookieStore | None, hostname: str, key: str, present: bool) -> dict[str, Any] | None:
    """The cookie's domain, why that domain, and its expiry when this page wrote it."""
    if store is None:
        return None
    domain, given, attributes = store.placement()
    if given:
        why = "the cookie.domain load option"
    elif domain:
        why = f"the widest domain the browser accepted a probe cookie for ({', '.join(candidate_domains(domain))} tried)"
    elif candidate_domains(hostname):
        why = "no parent domain accepted a probe cookie: host-only"
    else:
        why = "an IP address, localhost or a single-label host: host-only"
    written = store.written_at.get(key)
    expires = instant(written + attributes.max_age_days * 86400) if written is not None and present else None
    return {"name": key, "domain": domain, "why": why, "path": attributes.path, "expires": expires,
            "renewedByPage": attributes.renew}


def _id(entity: Entity, field: str, key: str, value: str | None, header: Callable[[], str],
        cookie: CookieStore | None, hostname: str) -> dict[str, Any]:
    fact = entity.changes.facts[field]
    stores = held(entity.id_storage, key, header, stored_id)
    return {
        "value": value,
        "source": fact.source if value is not None else None,
        "stores": stores,
        "found": fact.found,
        "cookie": _cookie(cookie, hostname, key, stores.get("cookie") is not None) if "cookie" in stores else None,
        "changed": fact.changed,
    }


def explain(entity: Entity, header: Callable[[], str], cookie: CookieStore | None, hostname: str,
            page: dict[str, Any]) -> dict[str, Any]:
    """The ids of ``entity`` (with the anonymousId for the user), its traits and ``page``'s facts
    (``consent``, ``persistence``)."""
    report: dict[str, Any] = {}
    if isinstance(entity, User):
        value = entity.held_anonymous_id()
        report["anonymousId"] = _id(entity, "anonymousId", entity.ANONYMOUS_KEY, value, header, cookie, hostname)
    report[entity.FIELD] = _id(entity, entity.FIELD, entity.keys.id, entity.id(), header, cookie, hostname)
    report["traits"] = {"value": entity.traits(),
                        "stores": held(entity.traits_storage, entity.keys.traits, header, lambda v: v)}
    report.update(page)
    return report

