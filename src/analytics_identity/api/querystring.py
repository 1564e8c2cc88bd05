"""The query-string API: ``ajs_aid``, ``ajs_uid`` + ``ajs_trait_*``, ``ajs_event`` + ``ajs_prop_*``.

A link such as ``/?ajs_uid=42&ajs_trait_plan=pro&ajs_event=Clicked%20Email``
identifies the visitor and tracks an event when the page loads. Which ids
are accepted is the ``useQueryString`` option's
(:mod:`analytics_identity.options.querystring`).
"""

from __future__ import annotations

from typing import NamedTuple

from ..options.querystring import QueryStringRules
from ..percent import decode_query_part

__all__ = ["QueryStringCalls", "calls_from_query", "parse_query", "query_from_location"]

_TRAIT = "ajs_trait_"
_PROP = "ajs_prop_"


def query_from_location(search: str, hash: str) -> str:
    """The query to read: ``location.search``, else a ``?…`` inside the hash (``#/route?ajs_aid=…``)."""
    if search.strip("?"):
        return search
    start = hash.find("?")
    if start < 0:
        return ""
    return hash[start:].split("#", 1)[0]


def parse_query(query: str) -> dict[str, str]:
    """``?a=1&b=x%20y`` as a dict; a repeated name keeps its last value, as in analytics-next."""
    params: dict[str, str] = {}
    for part in query.lstrip("?").split("&"):
        name, sep, value = part.partition("=")
        if sep and name:
            params[decode_query_part(name)] = decode_query_part(value)
    return params


class QueryStringCalls(NamedTuple):
    """The calls a query string asks for; ``None`` where it asks for none."""

    anonymous_id: str | None
    user_id: str | None
    traits: dict[str, str]
    event: str | None
    properties: dict[str, str]


def _prefixed(params: dict[str, str], prefix: str) -> dict[str, str]:
    return {name[len(prefix) :]: value for name, value in params.items() if name.startswith(prefix) and len(name) > len(prefix)}


def calls_from_query(query: str, rules: QueryStringRules) -> QueryStringCalls:
    """Read the ``ajs_*`` parameters; ids the rules refuse are dropped."""
    if not rules.enabled or "ajs_" not in query:
        return QueryStringCalls(None, None, {}, None, {})
    params = parse_query(query)
    aid = params.get("ajs_aid") or None
    uid = params.get("ajs_uid") or None
    return QueryStringCalls(
        anonymous_id=aid if aid is not None and rules.accepts("aid", aid) else None,
        user_id=uid if uid is not None and rules.accepts("uid", uid) else None,
        traits=_prefixed(params, _TRAIT),
        event=params.get("ajs_event") or None,
        properties=_prefixed(params, _PROP),
    )
