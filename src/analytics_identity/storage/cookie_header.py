"""``document.cookie`` as the core sees it: one copy of the header, read at most once per call and per task.

Each ``document.cookie`` access is a synchronous call into the browser (a
read right after a write is a round trip to its network process), and one
event reads the stored ids several times. So every store reads and writes
through one :class:`CookieHeader`, which owns everything cached about the
cookies: the header copy and how long it stays good, the parsed and decoded
values, and the writes held back until the end of the task. The jar under it
(:class:`~analytics_identity.host.CookieJar`) only reads and assigns.

The copy is only ever our own code's view while it runs:

* a write drops it (the next read sees what was written), unless it only
  gives a cookie the browser took a new value (the copy gets that value:
  a read after a write costs ~250-350 µs more);
* it lasts beyond a public call only for the rest of the page's task (a loop
  of calls reads once, not once per call: each read from Python costs
  ~130-230 µs in Chromium, more than the rest of a ``track()``); only the
  page's own code runs in between, and assigning ``ajs_`` cookies directly
  is the one thing a page must leave to us (one library owns them);
* page code (listeners, middleware, callbacks) runs with nothing held
  (:meth:`CookieHeader.suspend`): a listener may assign ``document.cookie``
  and then call ``analytics`` again, and that call must read what it changed.

A cookie (name, path, domain) written again in the same task goes out once
more at the end of the task, with its last value: from Python each
assignment costs ~30-200 µs (~5 µs from page JavaScript), and a loop of
``setAnonymousId`` calls would pay it every time. The first write of a
cookie in a task is immediate; a read, or page code about to run, sends what
is held back first.

The browser facade opens a call here too, and reads at once where the
WebAssembly stack is shallow: in headless Chromium a ``document.cookie``
read from Python costs more the deeper the stack is (measured: ~37 µs at the
entry, 170–420 µs ten C-level calls deeper), and each call through C (a
context manager, a bound method called with ``*args``) adds frames.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

from ..host.protocols import CookieJar
from .codec import decode_value, parse_cookie_header

__all__ = ["CookieHeader"]


class CookieHeader:
    """The page's cookies for every store: the header copy, the held writes, the parsed and decoded values.

    :meth:`enter` and :meth:`exit` (not a context manager: each call through
    C deepens the stack the read pays for) bracket a public call; calls nest.
    """

    def __init__(self, jar: CookieJar) -> None:
        self._jar = jar
        self._depth = 0
        #: The copy, ``None`` when it must be read again.
        self._header: str | None = None
        #: Whether the page's task in which we touched the cookies is still running.
        self._in_task = False
        #: The header last parsed, its values by name, and the names it holds more than once.
        self._parsed_header: str | None = None
        self._parsed: dict[str, str] = {}
        self._duplicated: set[str] = set()
        #: Decoded values by name, with the raw value each was decoded from:
        #: kept across header changes (a write of ours changes the header
        #: without changing the other cookies), and seeded by our own writes.
        self._decoded: dict[str, tuple[str, tuple[Any, bool]]] = {}
        #: Our last value of each cookie, and those a read showed holding it.
        self._written: dict[str, str] = {}
        self._taken: set[str] = set()
        #: Cookies (:func:`_cookie_identity`) assigned in this task, and the writes held back.
        self._sent: set[str] = set()
        self._held: dict[str, str] = {}

    @property
    def hostname(self) -> str:
        return self._jar.hostname

    @property
    def pathname(self) -> str:
        return self._jar.pathname

    # -- reads ------------------------------------------------------------------

    def header(self) -> str:
        """The whole header, read from the page only when the copy is gone."""
        header = self._header
        if header is None:
            self._touch()
            self.flush()
            header = self._jar.read()
            if header != self._parsed_header:
                self._parsed_header, self._parsed = header, parse_cookie_header(header)
                names = Counter(part.strip().partition("=")[0] for part in header.split(";"))
                self._duplicated = {name for name, count in names.items() if count > 1}
            self._taken = {name for name, value in self._written.items()
                           if self._parsed.get(name) == value and name not in self._duplicated}
            if self._depth or self._in_task:
                self._header = header
        return header

    def values(self) -> dict[str, str]:
        """Raw values by name; the first of a repeated name wins (:func:`~.codec.parse_cookie_header`)."""
        self.header()
        return self._parsed

    def duplicated(self, name: str) -> bool:
        """Whether the header lists ``name`` more than once (another script's copy on a longer path)."""
        self.header()
        return name in self._duplicated

    def decoded(self, name: str) -> tuple[Any, bool] | None:
        """``(value, damaged)`` of cookie ``name`` (:func:`~.codec.decode_value`), ``None`` when absent.

        Decoding a UUID (percent runs, then a JSON.parse that fails) costs
        more than the read of a held header, so each raw value is decoded once.
        """
        raw = self.values().get(name)
        if raw is None:
            return None
        held = self._decoded.get(name)
        if held is None or held[0] != raw:
            held = self._decoded[name] = (raw, decode_value(raw))
        return held[1]

    # -- writes -----------------------------------------------------------------

    def write(self, cookie: str, text: str | None = None) -> None:
        """Assign ``cookie``; ``text``: the string its value encodes, when it is one (the next read need not decode it)."""
        name, _, raw = cookie.split(";", 1)[0].partition("=")
        name = name.strip()
        header, self._header = self._header, None
        self._send(cookie)
        if not raw:  # a removal
            self._written.pop(name, None)
            self._taken.discard(name)
            return
        self._written[name] = raw
        if text is not None:
            self._decoded[name] = (raw, (text, False))
        if header is not None and name in self._taken:
            # The browser took this cookie before: it takes the new value as well.
            self._header = self._parsed_header = "; ".join(
                f"{name}={raw}" if part.strip().partition("=")[0] == name else part.strip()
                for part in header.split(";"))
            self._parsed[name] = raw

    def _send(self, cookie: str) -> None:
        """The first assignment of a cookie in a task goes out now; a repeated one at the task's end."""
        self._touch()
        which = _cookie_identity(cookie)
        if which in self._sent:
            self._held[which] = cookie
            return
        self._sent.add(which)
        self._jar.write(cookie)

    def flush(self) -> None:
        """Send the writes held back (before a read, and before page code runs)."""
        held, self._held = self._held, {}
        for cookie in held.values():
            self._jar.write(cookie)

    # -- calls, page code and tasks -------------------------------------------------

    def enter(self, read_now: bool = False) -> None:
        """A public call starts; ``read_now``: read the header here, where it costs least.

        A jar that fails to read fails again where the core reads, and is reported there.
        """
        self._depth += 1
        if read_now and self._header is None:
            with contextlib.suppress(Exception):  # reported by the store that reads it next
                self.header()

    def exit(self) -> None:
        self._depth -= 1
        if not self._depth and not self._in_task:
            self._header = None

    def suspend(self) -> int:
        """Page code runs: hold nothing until :meth:`resume`, and send the writes held back;
        returns what to resume."""
        self.flush()
        depth, self._depth, self._header = self._depth, 0, None
        return depth

    def resume(self, depth: int) -> None:
        self._depth, self._header = depth, None

    def _touch(self) -> None:
        """We touch the cookies in this task: have the jar tell us when it ends."""
        if not self._in_task:
            self._in_task = True
            self._jar.after_task(self._end_task)

    def _end_task(self) -> None:
        """The page's code returned to the event loop: the copy is no longer good, the held writes go out."""
        self._in_task = False
        self._sent.clear()
        if not self._depth:
            self._header = None
        if self._held:
            with contextlib.suppress(Exception):  # a jar that refuses writes refused the first one already
                self.flush()


def _cookie_identity(cookie: str) -> str:
    """Which cookie an assignment sets: its name, path and domain (not its value or expiry)."""
    name, *attributes = cookie.split(";")
    kept = sorted(a.strip().lower() for a in attributes if not a.strip().lower().startswith(("expires=", "max-age=")))
    return ";".join([name.partition("=")[0].strip(), *kept])
