"""Values made safe for JSON, with ``JSON.stringify``'s rules.

Traits, properties and options come from page code and Python callers that
may hand us anything: functions, symbols, ``BigInt``, dates, ``NaN``, cyclic
or absurdly deep objects. analytics-next passes them to ``JSON.stringify``
when it stores or sends them, which silently drops some values and throws on
others (losing the whole event). We apply the same rules up front instead,
so storage and delivery only ever see JSON, and what ``JSON.stringify``
would have thrown on is dropped with one warning per call:

- functions, symbols and ``undefined`` are dropped from objects and become
  ``null`` in arrays (silently, as ``JSON.stringify`` does);
- ``NaN`` and ``±Infinity`` become ``null``; dates become ISO strings
  (``toJSON``);
- ``BigInt``, cycles, nesting deeper than :data:`MAX_DEPTH` and objects JSON
  has no form for are dropped with a warning.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .instants import iso_timestamp

__all__ = ["MAX_DEPTH", "NotJson", "json_safe", "refusal"]

#: Deeper values are dropped: real traits are a few levels deep, and the
#: walk must stay far from Python's recursion limit.
MAX_DEPTH = 64

_DROP: Any = object()


@dataclass(frozen=True)
class NotJson:
    """A value the bridge found JSON cannot hold (a ``BigInt``, a cycle, …)."""

    reason: str


def refusal(identity: int, depth: int, ancestors: set[int]) -> str | None:
    """Why ``JSON.stringify`` would refuse a container at ``depth``: too deep, or inside itself.

    The one rule of both walks: this module's over Python values, and the
    browser's conversion of JavaScript values (which reads ``toJSON`` and
    getters on the JavaScript side, where they live).
    """
    if depth >= MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    return "a cycle" if identity in ancestors else None


def _key(key: Any) -> str | None:
    """Object keys as ``json.dumps`` writes them; ``None`` when there is no JSON form."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    if isinstance(key, (int, float)):
        return json.dumps(key) if not isinstance(key, float) or math.isfinite(key) else "null"
    return None


class _Walk:
    """One conversion: the problems found, reported together at the end."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._ancestors: set[int] = set()

    def note(self, path: str, reason: str) -> Any:
        self.problems.append(f"{path} ({reason})")
        return _DROP

    def value(self, value: Any, path: str, depth: int) -> Any:
        if value is None or isinstance(value, (str, bool)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, NotJson):
            return self.note(path, value.reason)
        if isinstance(value, datetime):
            return iso_timestamp(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, (dict, list, tuple)):
            reason = refusal(id(value), depth, self._ancestors)
            if reason is not None:
                return self.note(path, reason)
            self._ancestors.add(id(value))
            try:
                if isinstance(value, dict):
                    return self._object(value, path, depth + 1)
                return self._array(value, path, depth + 1)
            finally:
                self._ancestors.discard(id(value))
        to_json = getattr(value, "toJSON", None)
        if callable(to_json):
            try:
                return self.value(to_json(), path, depth)
            except Exception as error:  # noqa: BLE001 - a page's toJSON may throw anything
                return self.note(path, f"toJSON raised {type(error).__name__}")
        if callable(value):
            return _DROP  # functions vanish from JSON without a word
        return self.note(path, f"{type(value).__name__} has no JSON form")

    def _array(self, value: list[Any] | tuple[Any, ...], path: str, depth: int) -> list[Any]:
        items = (self.value(item, f"{path}[{i}]", depth) for i, item in enumerate(value))
        return [None if item is _DROP else item for item in items]

    def _object(self, value: dict[Any, Any], path: str, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for raw_key, item in value.items():
            key = _key(raw_key)
            if key is None:
                self.note(f"{path}[{raw_key!r:.20}]", "the key has no JSON form")
                continue
            converted = self.value(item, f"{path}.{key[:40]}", depth)
            if converted is not _DROP:
                result[key] = converted
        return result


def json_safe(value: Any, warn: Callable[[str], None], label: str = "value") -> Any:
    """``value`` as JSON-safe Python data; what had to be dropped is named in one warning.

    A value that is dropped entirely comes back as ``None``.
    """
    walk = _Walk()
    result = walk.value(value, label, 0)
    if walk.problems:
        shown = ", ".join(walk.problems[:3]) + (f" and {len(walk.problems) - 3} more" if len(walk.problems) > 3 else "")
        warn(f"dropped what JSON cannot hold: {shown}")
    return None if result is _DROP else result
