"""Pyodide's FFI names the browser layer uses, the same on every Pyodide from 0.27 on.

The loader's runtime is Pyodide 314, but the pure wheel (``python/`` in the
build) goes into whatever Pyodide a page already runs. Two names are newer
than 0.27; without them the core still works, with what that Pyodide can
tell apart:

- ``jsnull`` (0.28): before it, JavaScript ``null`` arrives as ``None``,
  like ``undefined``. ``None`` then stands for both, so an accessor given
  ``null`` reads rather than clears (losing identity would be worse), and a
  ``null`` result reaches the page as ``undefined``.
- ``JsBigInt`` (314): before it, a ``BigInt`` arrives as a plain ``int``,
  so ``setAnonymousId(10n)`` there stores ``"10"`` as analytics-next does.
"""

from __future__ import annotations

from typing import Any

from pyodide.ffi import JsException, JsProxy, create_once_callable, create_proxy, to_js

__all__ = ["JsBigInt", "JsException", "JsProxy", "create_once_callable", "create_proxy", "jsnull", "to_js"]

try:
    from pyodide.ffi import jsnull
except ImportError:  # Pyodide 0.27
    jsnull: Any = None  # type: ignore[no-redef]

try:
    from pyodide.ffi import JsBigInt
except ImportError:  # Pyodide before 314

    class JsBigInt(int):  # type: ignore[no-redef]
        """Never instantiated: no value arrives as one."""
