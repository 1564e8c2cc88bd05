"""Instants as Segment's wire format writes them: ISO 8601, JavaScript's ``toISOString``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..events.build import iso_timestamp as iso

__all__ = ["iso", "parse_instant"]


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 time (``Z``, an offset, or none for UTC), or ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
