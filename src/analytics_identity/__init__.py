"""analytics-identity: Analytics.js-compatible visitor identity in Python.

``from analytics_identity import analytics`` gives the page's one instance:
in a browser (Pyodide) the same object page JavaScript sees as
``window.analytics``; in CPython an instance on an in-memory host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .client import Analytics

__all__ = ["Analytics", "__version__", "analytics"]


def __getattr__(name: str) -> Any:
    """Create the shared instance on first use, never at import time.

    Storage can throw in sandboxed frames, so nothing touches the page until
    somebody asks for ``analytics``.
    """
    if name == "Analytics":
        from .client import Analytics

        return Analytics
    if name == "analytics":
        import sys

        if sys.platform == "emscripten":
            from .bridge import shared_instance
        else:
            from .memory import shared_instance
        return shared_instance()
    raise AttributeError(f"module 'analytics_identity' has no attribute {name!r}")
