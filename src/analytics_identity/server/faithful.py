"""Events as the collector stores them: only what reads back exactly as it was accepted.

JSON text can hold what UTF-8 and JavaScript cannot: ``"\\ud800"`` (a lone
UTF-16 surrogate, sent when a browser cut a string inside an emoji) parses
in Python but can never be written as UTF-8, and ``NaN`` is not JSON at all.
One such event once made every later ``GET /api/events`` answer 500. Here
each event is checked and turned into the exact UTF-8 JSON text it will be
read back as; what cannot be is refused with the place and the reason.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ..jsonsafe import MAX_DEPTH  # the browser's rule: deeper nesting is refused, here too

__all__ = ["MAX_DEPTH", "FaithfulEvent", "Unfaithful", "faithful", "readable"]

_SURROGATE = re.compile("[\ud800-\udfff]")


class Unfaithful(ValueError):
    """An event that could not be read back as it was sent; the message says where and why."""


@dataclass(frozen=True)
class FaithfulEvent:
    """An accepted event with its indexed fields and the JSON text stored for it."""

    message_id: str
    type: str
    anonymous_id: str | None
    user_id: str | None
    received_at: str
    text: str


def _problem(value: Any, path: str, depth: int) -> str | None:
    """Where and why ``value`` cannot be stored faithfully, or ``None``."""
    if depth > MAX_DEPTH:
        return f"{path} is nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, str):
        if _SURROGATE.search(value):
            return (f"{path} holds a lone UTF-16 surrogate (a string cut inside a character), "
                    "which UTF-8 cannot store")
    elif isinstance(value, float):
        if not math.isfinite(value):
            return f"{path} is {value!r}, which JSON cannot hold"
    elif isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return f"a key in {path} holds a lone UTF-16 surrogate, which UTF-8 cannot store"
            problem = _problem(item, f"{path}.{key}", depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = _problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
    return None


def _text(event: dict[str, Any], received_at: str) -> str:
    return json.dumps({**event, "receivedAt": received_at}, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))


def faithful(event: dict[str, Any], received_at: str) -> FaithfulEvent:
    """The event as it will be stored and read back; raises :class:`Unfaithful` when it cannot be."""
    problem = _problem(event, "event", 0)
    if problem:
        raise Unfaithful(problem)
    return FaithfulEvent(event["messageId"], event["type"], event.get("anonymousId"), event.get("userId"),
                         received_at, _text(event, received_at))


def readable(body: str, received_at: str) -> str | None:
    """A body stored by an earlier version as the text read back now; ``None`` when it cannot be read back."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or _problem(event, "event", 0):
        return None
    return _text(event, received_at)
