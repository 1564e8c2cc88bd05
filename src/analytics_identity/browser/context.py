"""analytics-next's ``Context`` as the JavaScript object event calls resolve to.

One prototype, built once, holds the methods (``failedDelivery()``,
``toJSON()``) and the lazy members (``id``, ``logger``, ``stats``), so each
context is one plain object (``event``, plus ``_failure`` when it failed)
with that prototype: an event call pays for one ``Object.setPrototypeOf``,
and an id or a logger only when page code reads it. The first read defines
the member on the context itself (not enumerable, as the prototype's), so
later reads stay in JavaScript instead of calling into Python each time.
"""

from __future__ import annotations

import functools
from typing import Any

import js

from ..ids import uuid4
from .ffi import create_proxy

__all__ = ["page_context"]


def _own(this: Any, key: str, make: Any) -> Any:
    """``this[key]`` on its first read: made, and defined on ``this``, where it hides the prototype's getter."""
    value = make()
    js.Object.defineProperty(this, key, _data(value))
    return value


def _data(value: Any) -> Any:
    descriptor = js.Object.new()
    descriptor.value = value
    descriptor.writable = True
    return descriptor


def _getter(fn: Any) -> Any:
    descriptor = js.Object.new()
    descriptor.get = create_proxy(fn, capture_this=True)
    return descriptor


def _method(fn: Any) -> Any:
    return _data(create_proxy(fn, capture_this=True))


def _logger() -> Any:
    """``ctx.logger``: ``log(level, message, extras)`` keeps ``{level, message, time, extras}`` in ``logs``."""
    logger = js.Object.new()
    logger.logs = js.Array.new()

    def log(level: Any = None, message: Any = None, extras: Any = None, *_: Any) -> None:
        entry = js.Object.new()
        entry.level, entry.message, entry.time = level, message, js.Date.new()
        if extras is not None:
            entry.extras = extras
        logger.logs.push(entry)

    logger.log = create_proxy(log)
    logger.flush = create_proxy(lambda *_: None)
    return logger


def _stats() -> Any:
    """``ctx.stats``: counters and gauges kept in ``metrics``, never sent."""
    stats = js.Object.new()
    stats.metrics = js.Array.new()

    def record(kind: str, metric: Any, value: Any, tags: Any = None) -> None:
        entry = js.Object.new()
        entry.metric, entry.value, entry.type = metric, value, kind
        entry.tags, entry.timestamp = tags if tags is not None else js.Array.new(), js.Date.now()
        stats.metrics.push(entry)

    stats.increment = create_proxy(lambda metric=None, by=1, tags=None, *_: record("counter", metric, by, tags))
    stats.gauge = create_proxy(lambda metric=None, value=None, tags=None, *_: record("gauge", metric, value, tags))
    stats.flush = create_proxy(lambda *_: None)
    stats.serialize = create_proxy(lambda *_: js.Array.new())
    return stats


def _failed_delivery(this: Any, *_: Any) -> Any:
    failure = getattr(this, "_failure", None)
    if not isinstance(failure, str):
        return None  # undefined: handed to delivery
    result = js.Object.new()
    result.reason = failure
    return result


def _to_json(this: Any, *_: Any) -> Any:
    """``JSON.stringify`` calls it with the key: extra arguments are ignored."""
    result = js.Object.new()
    result.id, result.event = this.id, this.event
    result.logs, result.metrics = this.logger.logs, this.stats.metrics
    return result


def page_context(plain: Any, failure: str | None, context_id: str | None) -> Any:
    """``plain`` (``{event}``, already a JavaScript object) made a context."""
    _set_prototype_of(plain, _prototype())
    if failure is not None:
        js.Object.defineProperty(plain, "_failure", _data(failure))
    if context_id is not None:
        js.Object.defineProperty(plain, "id", _data(context_id))
    return plain


_set_prototype_of = js.Object.setPrototypeOf


@functools.cache
def _prototype() -> Any:
    """The prototype of every context (built on first use)."""
    prototype = js.Object.new()
    for name, make in (("id", uuid4), ("logger", _logger), ("stats", _stats)):
        js.Object.defineProperty(prototype, name, _getter(lambda this, *_, name=name, make=make: _own(this, name, make)))
    js.Object.defineProperty(prototype, "failedDelivery", _method(_failed_delivery))
    js.Object.defineProperty(prototype, "toJSON", _method(_to_json))
    return prototype
