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

import asyncio
from typing import Any

from pyodide.ffi import JsException, JsProxy, create_once_callable, create_proxy, to_js

__all__ = ["JsBigInt", "JsException", "JsProxy", "create_once_callable", "create_proxy", "jsnull", "settles",
           "to_js"]

try:
    from pyodide.ffi import jsnull
except ImportError:  # Pyodide 0.27
    jsnull: Any = None  # type: ignore[no-redef]

try:
    from pyodide.ffi import JsBigInt
except ImportError:  # Pyodide before 314

    class JsBigInt(int):  # type: ignore[no-redef]
        """Never instantiated: no value arrives as one."""


class Rejected(Exception):
    """A promise's rejection that Pyodide does not take for an ``Error``."""


def settles(promise: Any) -> asyncio.Future[Any]:
    """A JavaScript promise as a future that settles whatever it is rejected with.

    WebKit rejects ``fetch`` with an ``Error`` without ``stack``, which Pyodide
    does not take for an exception: its future then threw into the page and
    never settled (docs/engines.md). Pyodide 314 hands every promise over as
    a future, so the fix is on that future; older ones hand a proxy.
    """
    if isinstance(promise, asyncio.Future):
        set_exception = promise.set_exception
        promise.set_exception = lambda reason: set_exception(  # type: ignore[method-assign]
            reason if isinstance(reason, BaseException) else Rejected(str(reason)))
        return promise
    return asyncio.ensure_future(_unwrapped(promise.then(None, lambda reason: Rejected(str(reason)))))


async def _unwrapped(promise: Any) -> Any:
    value = await promise
    if isinstance(value, Rejected):
        raise value
    return value
