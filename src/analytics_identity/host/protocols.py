"""What the core needs from the page it runs in, as plain Python protocols.

The browser implements them in :mod:`analytics_identity.browser.host`; :mod:`.memory`
holds the in-memory fakes for CPython, tests and Python programs outside a browser.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import Any, Protocol

from .page import PageInfo

__all__ = ["Clock", "CookieJar", "Host", "KeyValueStorage", "Timers", "describe"]


class CookieJar(Protocol):
    """``document.cookie``: read the whole header, assign one cookie string.

    Nothing is cached here: :class:`~analytics_identity.storage.cookie_header.CookieHeader` does that.
    """

    hostname: str
    #: The page's path: another script's cookie on a longer path hides ours.
    pathname: str

    def read(self) -> str: ...

    def write(self, cookie: str) -> None: ...

    def after_task(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once the page's current task ends (its code returns to the
        event loop): until then nothing but the page's own code can change the cookies."""
        ...


class KeyValueStorage(Protocol):
    """``window.localStorage``; any method may raise (``SecurityError``, quota)."""

    def get_item(self, key: str) -> str | None: ...

    def set_item(self, key: str, value: str) -> None: ...

    def remove_item(self, key: str) -> None: ...

    def keys(self) -> list[str]:
        """Every key held, in no particular order."""
        ...



class Clock(Protocol):
    """The one clock of the core: wall-clock seconds since the epoch (``Date.now() / 1000``).

    Wall-clock, not monotonic: it stamps events, dates cookies, and compares
    with what other tabs wrote (the delivery's leases).
    """

    def now(self) -> float: ...


class Timers(Clock, Protocol):
    """The clock and one-shot timers (``setTimeout`` in the browser)."""

    def call_later(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        """Run ``fn`` after ``delay`` seconds; returns a function that cancels it."""
        ...


class Host(Clock, Protocol):
    """Everything the core touches outside Python."""

    cookies: CookieJar
    local_storage: KeyValueStorage
    #: While a buffered call replays: the page it was made on, which :meth:`page` then gives.
    pinned_page: PageInfo | None

    def page(self) -> PageInfo: ...

    def warn(self, message: str) -> None: ...

    def log(self, message: str) -> None:
        """A verbose line for ``debug(true)`` (``console.log``)."""
        ...

    def bind(self, kind: str, targets: Any, fire: Callable[[Any], None], delay_ms: Callable[[], float]) -> int:
        """``trackLink``/``trackForm``: call ``fire(element)`` when one of ``targets`` is
        clicked (``kind`` "link") or submitted ("form"), then navigate or submit
        after ``delay_ms()``; returns how many elements were bound."""
        ...

    def global_privacy_control(self) -> bool:
        """``navigator.globalPrivacyControl === true``: the visitor asks not to be sold or shared."""
        ...



_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 2, 60, 60


def describe(value: Any) -> str:
    """A short, safe rendering of a bad value for a warning message.

    ``reprlib`` stops at a few levels and characters, so a megabyte string or
    an object nested ten thousand deep cannot blow up the warning itself.
    """
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
