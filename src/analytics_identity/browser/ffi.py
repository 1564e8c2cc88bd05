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
    """A JavaScript promise's rejection that Pyodide does not take for an ``Error``."""


def settles(promise: Any) -> asyncio.Future[Any]:
    """A JavaScript promise as a future that settles, whatever it is rejected with.

    Pyodide takes a rejection for an exception only if it has a ``name``, a
    ``message`` and a ``stack``. WebKit's ``fetch`` rejects with a
    ``TypeError`` that has no ``stack``: Pyodide's future then raises
    ``TypeError: invalid exception object`` into the page, as an unhandled
    rejection, and never settles (docs/engines.md). Pyodide 314 hands Python
    every promise as a future already listening, so the fix has to be on
    that future: its ``set_exception`` takes any reason, as :class:`Rejected`.
    Older Pyodide hands a proxy, whose rejection a ``then`` turns into a value.
    """
    if isinstance(promise, asyncio.Future):
        set_exception = promise.set_exception

        def take(reason: Any) -> None:
            set_exception(reason if isinstance(reason, BaseException) else Rejected(str(reason)))

        promise.set_exception = take  # type: ignore[method-assign]
        return promise
    return asyncio.ensure_future(_unwrapped(promise.then(None, lambda reason: Rejected(str(reason)))))


async def _unwrapped(promise: Any) -> Any:
    value = await promise
    if isinstance(value, Rejected):
        raise value
    return value
