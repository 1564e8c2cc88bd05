"""Requests from queued items: one per event, or batches by count, bytes and age (pure).

The :class:`Strategy` is read from the ``deliveryStrategy`` load option by the settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .item import QueueItem, compact, quoted
from .transport import ENDPOINTS, Endpoint, Request

__all__ = ["Strategy", "ready", "requests_for", "wake_at"]


@dataclass(frozen=True)
class Strategy:
    """``deliveryStrategy``: one request per event, or batches by count, time and bytes."""

    batching: bool = False
    size: int = 10
    timeout: float = 5.0
    max_bytes: int = 450_000


def _extended(text: str, event: dict[str, Any], extra: dict[str, str]) -> str:
    """``{**event, **extra}`` as JSON, built from the event's JSON without encoding it again."""
    if not event or any(key in event for key in extra):
        return compact({**event, **extra})
    return text[:-1] + "".join(f",{quoted(key)}:{quoted(value)}" for key, value in extra.items()) + "}"


def requests_for(
    items: Iterable[QueueItem], strategy: Strategy, endpoint: Endpoint, sent_at: str, max_bytes: int
) -> Iterable[tuple[Request, list[str]]]:
    """The requests that carry ``items``, each with the messageIds it carries."""
    extra = {"writeKey": endpoint.write_key, "sentAt": sent_at}
    if not strategy.batching:
        for item in items:
            code = ENDPOINTS.get(str(item.event.get("type")), "t")
            body = _extended(item.json, item.event, extra)
            yield Request(f"{endpoint.base}/{code}", body, endpoint.headers), [item.id]
        return
    for group in _batches(items, strategy.size, max_bytes):
        body = '{"batch":[' + ",".join(item.json for item in group) + "]," + compact(extra)[1:]
        yield Request(f"{endpoint.base}/b", body, endpoint.headers), [item.id for item in group]


def _batches(items: Iterable[QueueItem], size: int, max_bytes: int) -> Iterable[list[QueueItem]]:
    group: list[QueueItem] = []
    total = 0
    for item in items:
        length = item.size
        full = group and (len(group) >= size or total + length > max_bytes or item.solo)
        if full or (group and group[0].solo):
            yield group
            group, total = [], 0
        group.append(item)
        total += length
    if group:
        yield group


def ready(items: list[QueueItem], strategy: Strategy, now: float, force: bool) -> bool:
    """A batch goes when full, when its oldest event waited ``timeout``, or on retry."""
    if force or not strategy.batching:
        return True
    if len(items) >= strategy.size or any(item.attempts or item.solo for item in items):
        return True
    size = sum(item.size for item in items)
    return size >= strategy.max_bytes * 0.9 or now - items[0].queued >= strategy.timeout


def wake_at(item: QueueItem, strategy: Strategy) -> float:
    """When an item waiting to be sent next needs attention (a batch waits for its deadline)."""
    if strategy.batching and not item.attempts and not item.solo:
        return max(item.due, item.queued + strategy.timeout)
    return item.due
