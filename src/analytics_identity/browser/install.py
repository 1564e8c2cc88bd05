"""Installing the page's one instance as ``window.analytics``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import js

from ..api.client import Analytics
from .conversion import from_js
from .crossdomain import watch_links
from .facade import Core
from .ffi import JsProxy, create_once_callable, settles
from .host import BrowserHost
from .network import browser_network, watch_page
from .tabs import watch_other_tabs

__all__ = ["install", "load", "shared_instance"]


#: The Web Lock tabs take in turn to initialise.
INIT_LOCK = "analytics-identity:init"

_instance: Core | None = None


def install(write_key: Any = None, options: Any = None) -> Core:
    """Create the page's one instance and make it ``window.analytics``.

    Called by ``loader.mjs`` after the boot, or by :func:`load` /
    ``from analytics_identity import analytics`` in a Python page. Without
    arguments it takes what the page passed to the snippet's
    ``analytics.load()``, if anything. The instance is returned at once;
    minting the anonymousId, replacing the snippet's buffer and replaying
    its calls happen under the first-visit lock (:func:`_under_init_lock`).
    A page whose ``window.analytics`` is already live (another runtime won
    the race) keeps it.
    """
    global _instance
    if _instance is None:
        buffer = getattr(js.window, "analytics", None)
        buffered = buffer if isinstance(buffer, JsProxy) and not getattr(buffer, "initialized", False) else None
        if write_key is None and buffered is not None:
            write_key, options = getattr(buffered, "_writeKey", ""), getattr(buffered, "_loadOptions", None)
        host = BrowserHost()
        analytics = Analytics(host, str(write_key or ""), from_js(options) or {}, browser_network(host.warn),
                              start=False)
        _instance = core = Core(analytics)
        watch_page(analytics)
        watch_links(analytics)
        watch_other_tabs(analytics)
        if buffer is None or buffered is not None:
            _under_init_lock(analytics, lambda: _start(core, buffered))
        else:
            analytics.start()
        # What is alive now (the runtime's and the core's modules, the
        # instance) lives as long as the page: out of the cyclic collector's
        # reach, its collections walk what events make, not ~23,000 more
        # objects (a full one took 4-17 ms here, and the first track() calls
        # after ready ran up to twice as slow).
        gc.freeze()
    elif write_key is not None:
        _instance.analytics.host.warn("analytics is already loaded; the new load options are ignored")
    return _instance


def _start(core: Core, buffered: Any) -> None:
    """Mint, become ``window.analytics`` and replay what the snippet buffered (or apply the query)."""
    if buffered is not None:
        _listen_first(core, buffered)
    core.analytics.start()
    if getattr(getattr(js.window, "analytics", None), "initialized", False):
        return  # another runtime installed itself while this one waited
    js.window.analytics = core.facade()
    # A Python page without the snippet still gets what a load does: the calls
    # earlier pages left, the query string, initialPageview, `ready`.
    core.replay(buffered if buffered is not None else [])


#: Events told during the start: their buffered listeners are added before it.
_START_EVENTS = ("identity", "session")


def _listen_first(core: Core, buffered: Any) -> None:
    """Add the buffered ``on``/``once("identity" | "session", fn)`` listeners before anything is read
    or minted, and take them out of the buffer (the replay would add them twice)."""
    taken = []
    for index in range(buffered.length):
        entry = buffered[index]
        if getattr(entry, "length", 0) >= 3 and entry[0] in ("on", "once") and entry[1] in _START_EVENTS:
            core.call(entry[0], entry[1], entry[2])
            taken.append(index)
    for index in reversed(taken):
        buffered.splice(index, 1)


def _under_init_lock(analytics: Analytics, start: Callable[[], None]) -> None:
    """Run ``start`` holding the Web Lock ``analytics-identity:init``.

    Tabs opened together initialise one at a time, so a first visit mints one
    anonymousId for all of them (the others read it). Every path takes it:
    the snippet's loader, PyScript, a page's own Pyodide. It is a promise:
    calls page JavaScript makes meanwhile stay buffered. Python code can use
    the instance as soon as ``load()`` returns, and reads identity
    synchronously; were the start left waiting, that read would mint an id
    of its own and the query string (``?ajs_aid=``) applied later would
    replace it: two ids in one visit. So Python's first use runs the start at
    once (``Analytics.start_pending``), without the lock. A page without
    locks (an old browser, an opaque origin's ``SecurityError``) starts at once.
    """
    started = False

    def run(*_: Any) -> None:
        nonlocal started
        if started:
            return
        started, analytics.start_pending = True, None
        try:
            start()
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            analytics.host.warn(f"install failed: {type(error).__name__}: {error}")

    def after(request: Any) -> None:
        if not request.cancelled():
            request.exception()  # taken: a lock refused only means starting without it
        run()  # a no-op once the lock's callback ran

    locks = getattr(js.navigator, "locks", None)
    if locks is None:
        run()
        return
    analytics.start_pending = run
    try:
        settles(locks.request(INIT_LOCK, create_once_callable(run))).add_done_callback(after)
    except Exception:  # noqa: BLE001 - no lock to be had: start anyway
        run()


def load(write_key: str = "", **options: Any) -> Analytics:
    """``analytics.load(writeKey, options)`` for a Python page, with keyword options."""
    return install(write_key, options).analytics


def shared_instance() -> Analytics:
    """``from analytics_identity import analytics`` in a Python page."""
    return install().analytics
