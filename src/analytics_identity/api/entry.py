"""The entry of every public call: arguments made JSON-safe, errors turned into warnings,
and ``document.cookie`` read at most once per call.

Each call opens the page's :class:`~analytics_identity.storage.CookieHeader`
(the one copy of the cookies every store reads), and every function the page
hands to a public call is wrapped as :class:`PageCode` here, so no code path
can run page code under a stale copy, whatever is added later: a listener
may assign ``document.cookie`` and then call ``analytics`` again, and that
call must read what it changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ..host import Host
from ..identity.entity import InvalidId
from ..jsonsafe import json_safe
from ..storage import CookieHeader

__all__ = ["Guarded", "PageCode", "guarded"]

F = TypeVar("F", bound=Callable[..., Any])


class PageCode:
    """A function of the page (listener, middleware, callback): runs with no cookie copy held.

    Equal to another wrapper of the same function, so ``off(name, fn)`` finds it.
    """

    __slots__ = ("_cookies", "fn")

    def __init__(self, fn: Callable[..., Any], cookies: CookieHeader) -> None:
        self.fn = fn
        self._cookies = cookies

    def __call__(self, *args: Any) -> Any:
        depth = self._cookies.suspend()
        try:
            return self.fn(*args)
        finally:
            self._cookies.resume(depth)

    def __eq__(self, other: object) -> bool:
        return self.fn == (other.fn if isinstance(other, PageCode) else other)

    def __hash__(self) -> int:
        return hash(self.fn)


class Guarded(Protocol):
    """What :func:`guarded` reads off the object whose methods it guards."""

    #: Where a refused or failed call is reported (``warn``).
    host: Host
    #: The jar every store reads ``document.cookie`` through.
    cookie_header: CookieHeader
    #: Set while the start waits for the first-visit lock: a Python caller runs it first.
    start_pending: Callable[[], None] | None


def _argument(value: Any, owner: Guarded, label: str) -> Any:
    """Traits, properties and options get JSON.stringify's rules up front; functions become page code."""
    if isinstance(value, (dict, list)):
        return json_safe(value, owner.host.warn, label)
    if callable(value) and not isinstance(value, PageCode):
        return PageCode(value, owner.cookie_header)
    return value


def guarded(method: F) -> F:
    """The entry of a public method: nothing it does throws into the host page.

    Any exception becomes one warning; the call reads ``document.cookie`` at
    most once between the points where page code runs.
    """
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Guarded, *args: Any, **kwargs: Any) -> Any:
        try:
            if args:
                args = tuple(a if isinstance(a, str) else _argument(a, self, f"{name} argument {i + 1}")
                             for i, a in enumerate(args))
            if kwargs:
                kwargs = {k: _argument(v, self, f"{name} option {k}") for k, v in kwargs.items()}
            if self.start_pending is not None:  # a Python caller before the first-visit lock
                self.start_pending()
            cookies = self.cookie_header
            cookies.enter()
            try:
                return method(self, *args, **kwargs)
            finally:
                cookies.exit()
        except (InvalidId, ValueError, TypeError) as error:
            self.host.warn(f"{name} ignored: {error}")
        except Exception as error:  # noqa: BLE001 - last line of defence for the page
            self.host.warn(f"{name} failed: {type(error).__name__}: {error}")
        return None

    return wrapper  # type: ignore[return-value]
