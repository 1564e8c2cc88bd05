"""Instants as text: ISO 8601 as ``Date.toISOString`` writes it, and a cookie's ``expires`` date.

Both formatters work to the second through a small cache: ``strftime`` is
dear in Pyodide, and every event and cookie written within one second
shares the same date and time.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timezone
from typing import Any

__all__ = ["http_date", "iso_timestamp", "parse_instant"]


def iso_timestamp(moment: datetime) -> str:
    """``2026-11-28T23:38:24.123Z``, the format ``Date.toISOString`` gives."""
    return f"{_iso_second(math.floor(moment.timestamp()))}.{moment.microsecond // 1000:03d}Z"


@functools.lru_cache(maxsize=4)
def _iso_second(seconds: int) -> str:
    """The date and time to the second: the same for every event within one."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


@functools.lru_cache(maxsize=4)
def http_date(seconds: int) -> str:
    """A cookie's ``expires`` date (``Thu, 01 Jan 2026 00:00:00 GMT``); the same for every write within one second."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 time (``Z``, an offset, or none for UTC), or ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
