"""analytics-identity: Analytics.js-compatible visitor identity in Python.

``from analytics_identity import analytics`` gives the page's one instance:
in a browser (Pyodide) the same object page JavaScript sees as
``window.analytics``; in CPython an instance on an in-memory host. ``load(write_key, **options)``
creates it with load options (a Python page's ``analytics.load``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .api.client import Analytics

__all__ = ["Analytics", "__version__", "analytics", "load"]


def __getattr__(name: str) -> Any:
    """Create the shared instance on first use, never at import time.

    Storage can throw in sandboxed frames, so nothing touches the page until
    somebody asks for ``analytics``.
    """
    if name == "Analytics":
        from .api.client import Analytics

        return Analytics
    if name in ("analytics", "load"):
        import sys

        if sys.platform == "emscripten":
            from .browser import install as runtime
        else:
            from . import cpython as runtime  # type: ignore[no-redef]
        return runtime.shared_instance() if name == "analytics" else runtime.load
    raise AttributeError(f"module 'analytics_identity' has no attribute {name!r}")
