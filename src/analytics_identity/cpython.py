"""The shared instance for Python outside a browser, on an in-memory host."""

from __future__ import annotations

from typing import Any

from .host import MemoryHost
from .api.client import Analytics

_instance: Analytics | None = None


def load(write_key: str = "", **options: Any) -> Analytics:
    """Create the process's one instance with load options (later calls get it unchanged)."""
    global _instance
    if _instance is None:
        _instance = Analytics(MemoryHost(), write_key, options)
    return _instance


def shared_instance() -> Analytics:
    """One :class:`Analytics` per process, like one per page in a browser."""
    return _instance or load()
