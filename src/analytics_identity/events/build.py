"""Segment-spec events built from a call, its options and the current identity."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from ..host import PageInfo
from ..ids import uuid4
from ..instants import iso_timestamp
from ..percent import decode_query_part

__all__ = ["LIBRARY_NAME", "build_event", "campaign_from_search", "page_context"]

LIBRARY_NAME = "analytics-identity"

#: Option keys that go to the event's top level; every other key goes into context.
_TOP_LEVEL_OPTIONS = ("userId", "anonymousId", "timestamp", "messageId")


def campaign_from_search(search: str) -> dict[str, str]:
    """``utm_*`` query parameters as ``context.campaign`` (``utm_campaign`` → ``name``)."""
    campaign: dict[str, str] = {}
    for part in search.lstrip("?").split("&"):
        raw_key, _, raw_value = part.partition("=")
        if not raw_key.startswith("utm_") and "%" not in raw_key:
            continue  # decoding cannot make it a utm_ name: skip the work on every event
        key, value = decode_query_part(raw_key), decode_query_part(raw_value)
        if value and key.startswith("utm_") and len(key) > 4:
            name = key[4:]
            campaign["name" if name == "campaign" else name] = value
    return campaign


def page_context(page: PageInfo) -> dict[str, str]:
    """``context.page``, and the default properties of a ``page()`` call: location, title and referrer."""
    return {
        "path": page.path,
        "referrer": page.referrer,
        "search": page.search,
        "title": page.title,
        "url": page.url,
    }


def build_event(
    event_type: str,
    fields: dict[str, Any],
    options: dict[str, Any],
    *,
    user_id: str | None,
    anonymous_id: str | None,
    page: PageInfo,
    now: datetime,
    version: str,
) -> dict[str, Any]:
    """One event in Segment's spec format, before ``writeKey``/``sentAt``.

    ``options.context`` is the base of the event context; every other option
    key except integrations and the top-level overrides is added to it, so
    ``options.traits`` becomes ``context.traits`` for this event only.
    """
    options = dict(options)
    integrations = options.pop("integrations", None)
    base = options.pop("context", None)
    context: dict[str, Any] = copy.deepcopy(base) if base else {}
    overrides = {key: options.pop(key) for key in _TOP_LEVEL_OPTIONS if key in options}
    if options:
        context.update(copy.deepcopy(options))
    base_context: dict[str, Any] = {
        "page": page_context(page),
        "userAgent": page.user_agent,
        "locale": page.locale,
        "library": {"name": LIBRARY_NAME, "version": version},
        "timezone": page.timezone,
    }
    campaign = campaign_from_search(page.search)
    if campaign:
        base_context["campaign"] = campaign
    for key, value in base_context.items():
        if isinstance(value, dict) and isinstance(context.get(key), dict):
            context[key] = {**value, **context[key]}
        else:
            context.setdefault(key, value)
    event: dict[str, Any] = {
        "type": event_type,
        **fields,
        "messageId": f"ajs-id-{uuid4()}",
        "timestamp": iso_timestamp(now),
        "anonymousId": anonymous_id,
        "userId": user_id,
        "context": context,
        "integrations": integrations if isinstance(integrations, dict) else {},
    }
    for key, value in overrides.items():
        if value is not None:
            event[key] = str(value) if key != "timestamp" or not isinstance(value, datetime) else iso_timestamp(value)
    return event
