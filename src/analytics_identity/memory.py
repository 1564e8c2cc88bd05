"""The shared instance for Python outside a browser, on an in-memory host."""

from __future__ import annotations

import functools

from .client import Analytics
from .host import MemoryHost


@functools.cache
def shared_instance() -> Analytics:
    """One :class:`Analytics` per process, like one per page in a browser."""
    return Analytics(MemoryHost())
