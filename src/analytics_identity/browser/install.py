"""Installing the page's one instance as ``window.analytics``.
"""

from __future__ import annotations

from typing import Any

import js

from ..api.client import Analytics
from .conversion import from_js
from .facade import Core
from .ffi import JsProxy
from .host import BrowserHost
from .network import browser_network, watch_page

__all__ = ["install", "load", "shared_instance"]


_instance: Core | None = None


def install(write_key: Any = None, options: Any = None) -> Core:
    """Create the page's one instance and make it ``window.analytics``.

    Called by ``loader.mjs`` after the boot, or by :func:`load` /
    ``from analytics_identity import analytics`` in a Python page. Without
    arguments it takes what the page passed to the snippet's
    ``analytics.load()``, if anything. Calls the snippet buffered are
    replayed once; a page whose ``window.analytics`` is already live (another
    runtime won the race) keeps it.
    """
    global _instance
    if _instance is None:
        buffer = getattr(js.window, "analytics", None)
        buffered = buffer if isinstance(buffer, JsProxy) and not getattr(buffer, "initialized", False) else None
        if write_key is None and buffered is not None:
            write_key, options = getattr(buffered, "_writeKey", ""), getattr(buffered, "_loadOptions", None)
        host = BrowserHost()
        _instance = Core(Analytics(host, str(write_key or ""), from_js(options) or {}, browser_network(host.warn)))
        watch_page(_instance.analytics)
        if buffer is None or buffered is not None:
            js.window.analytics = _instance.facade()
            # A Python page without the snippet still gets what a load does: the calls
            # earlier pages left, the query string, initialPageview, `ready`.
            _instance.replay(buffered if buffered is not None else [])
    elif write_key is not None:
        _instance.analytics.host.warn("analytics is already loaded; the new load options are ignored")
    return _instance


def load(write_key: str = "", **options: Any) -> Analytics:
    """``analytics.load(writeKey, options)`` for a Python page, with keyword options."""
    return install(write_key, options).analytics


def shared_instance() -> Analytics:
    """``from analytics_identity import analytics`` in a Python page."""
    return install().analytics
