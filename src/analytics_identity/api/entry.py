"""The entry of every public call: arguments made JSON-safe, errors turned into warnings,
and ``document.cookie`` read at most once per call.

Each ``document.cookie`` access is a synchronous call into the browser (a
read right after a write is a round trip to its network process), and one
event reads the stored ids several times. So a public call reads the header
once and keeps it in a :class:`CookieSnapshot`, the cookie jar every store
goes through. The copy is only ever our own code's view while it runs:

* any write drops it (the next read sees what was written), unless it only
  gives a cookie the browser took a new value (the copy gets that value);
* it lasts beyond the call only for the rest of the page's task;
* page code (listeners, middleware, callbacks) runs with nothing held: a
  listener may assign ``document.cookie`` and then call ``analytics`` again,
  and that call must read what it changed. Every function the page hands to
  a public call is wrapped as :class:`PageCode` at this entry, so no code
  path can run page code under a stale copy, whatever it is added later.

The browser facade opens the snapshot too, and reads at once where the
WebAssembly stack is shallow: in headless Chromium a ``document.cookie``
read from Python costs more the deeper the stack is (measured: ~37 µs at the
entry, 170–420 µs ten C-level calls deeper; ``document.title`` hardly
changes), and each call through C (a context manager, a bound method called
with ``*args``) adds frames.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ..host import CookieJar, Host
from ..identity.entity import InvalidId
from ..jsonsafe import json_safe

__all__ = ["CookieSnapshot", "Guarded", "PageCode", "guarded"]

F = TypeVar("F", bound=Callable[..., Any])


class CookieSnapshot:
    """A cookie jar that reads ``document.cookie`` at most once per call and per task of the page.

    :meth:`enter` and :meth:`exit` (not a context manager: each call through
    C deepens the stack the read pays for) bracket a public call; calls nest.
    Between calls, the copy stays good for the rest of the page's task
    (:meth:`CookieJar.task`): a loop of calls reads once, not once per call
    (each read from Python costs ~130-230 µs in Chromium, more than the rest
    of a ``track()``). Only the page's own code runs in between, and
    assigning ``ajs_`` cookies directly is the one thing a page must leave to
    us (one library owns them). Our own write of a new value of a cookie a
    read showed holding our last write is applied to the copy instead of
    read back (a read after a write costs ~250-350 µs more).
    """

    def __init__(self, jar: CookieJar) -> None:
        self._jar = jar
        self._depth = 0
        self._header: str | None = None
        #: The jar's task the copy was read in.
        self._task: object = None
        #: Our last value of each cookie, and those a read showed holding it.
        self._written: dict[str, str] = {}
        self._taken: set[str] = set()

    @property
    def hostname(self) -> str:
        return self._jar.hostname

    @property
    def pathname(self) -> str:
        return self._jar.pathname

    def _stale(self) -> bool:
        return self._header is None or (not self._depth and self._task != self._jar.task())

    def read(self) -> str:
        if self._stale():
            self._header = header = self._jar.read()
            self._task = self._jar.task()
            self._taken = {name for name, value in self._written.items() if _only_value(header, name) == value}
        return self._header  # type: ignore[return-value]

    def write(self, cookie: str) -> str | None:
        """Assign ``cookie``; returns the copy when the write was applied to it."""
        name, _, value = cookie.split(";", 1)[0].partition("=")
        name = name.strip()
        header = self._header
        self._header = None
        self._jar.write(cookie)
        if not value:  # a removal
            self._written.pop(name, None)
            self._taken.discard(name)
            return None
        self._written[name] = value
        if header is not None and name in self._taken and _only_value(header, name) is not None:
            # The browser took this cookie before: it takes the new value as well.
            self._header = "; ".join(f"{name}={value}" if part.strip().partition("=")[0] == name else part.strip()
                                     for part in header.split(";"))
        return self._header

    def enter(self, read_now: bool = False) -> None:
        """A public call starts; ``read_now``: read the header here, where it costs least.

        A jar that fails to read fails again where the core reads, and is reported there.
        """
        if not self._depth and self._stale():
            self._header = None
        self._depth += 1
        if read_now and self._header is None:
            try:
                self.read()
            except Exception:  # noqa: BLE001, S110 - reported by the store that reads it next
                pass

    def exit(self) -> None:
        self._depth -= 1

    def suspend(self) -> int:
        """Page code runs: hold nothing until :meth:`resume`, and send the writes the jar
        held back; returns what to resume."""
        self._jar.flush()
        depth, self._depth, self._header = self._depth, 0, None
        return depth

    def resume(self, depth: int) -> None:
        self._depth, self._header = depth, None


def _only_value(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in ``header`` when there is exactly one."""
    values = [part.partition("=")[2] for part in header.split(";") if part.strip().partition("=")[0] == name]
    return values[0] if len(values) == 1 else None


class PageCode:
    """A function of the page (listener, middleware, callback): runs with no cookie copy held.

    Equal to another wrapper of the same function, so ``off(name, fn)`` finds it.
    """

    __slots__ = ("_snapshot", "fn")

    def __init__(self, fn: Callable[..., Any], snapshot: CookieSnapshot) -> None:
        self.fn = fn
        self._snapshot = snapshot

    def __call__(self, *args: Any) -> Any:
        depth = self._snapshot.suspend()
        try:
            return self.fn(*args)
        finally:
            self._snapshot.resume(depth)

    def __eq__(self, other: object) -> bool:
        return self.fn == (other.fn if isinstance(other, PageCode) else other)

    def __hash__(self) -> int:
        return hash(self.fn)


class Guarded(Protocol):
    """What :func:`guarded` reads off the object whose methods it guards."""

    #: Where a refused or failed call is reported (``warn``).
    host: Host
    #: The jar every store reads ``document.cookie`` through.
    cookie_snapshot: CookieSnapshot
    #: Set while the start waits for the first-visit lock: a Python caller runs it first.
    start_pending: Callable[[], None] | None


def _argument(value: Any, owner: Guarded, label: str) -> Any:
    """Traits, properties and options get JSON.stringify's rules up front; functions become page code."""
    if isinstance(value, (dict, list)):
        return json_safe(value, owner.host.warn, label)
    if callable(value) and not isinstance(value, PageCode):
        return PageCode(value, owner.cookie_snapshot)
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
            snapshot = self.cookie_snapshot
            snapshot.enter()
            try:
                return method(self, *args, **kwargs)
            finally:
                snapshot.exit()
        except (InvalidId, ValueError, TypeError) as error:
            self.host.warn(f"{name} ignored: {error}")
        except Exception as error:  # noqa: BLE001 - last line of defence for the page
            self.host.warn(f"{name} failed: {type(error).__name__}: {error}")
        return None

    return wrapper  # type: ignore[return-value]
