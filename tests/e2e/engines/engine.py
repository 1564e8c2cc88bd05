"""What the engine tests ask of a browser, whichever protocol drives it.

Playwright drives Chromium for the rest of the suite; WebKit and Firefox
come from Debian here, without Playwright's patched builds, so each is
driven through the WebDriver protocol it speaks (webkit.py, firefox.py).
Both answer the same calls: open a URL, reload, run JavaScript, read, add
and clear the cookies, start a new visitor, add a script to every document,
open, close and click in tabs, and tell a ``listener`` what the page logged
or requested; Firefox also holds and answers requests. JavaScript values
come back as JSON text, so no protocol's own serialization of values is
needed. page.py gives the tests Playwright's shape over this.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict

from tests.conftest import ROOT, config


#: Loopback only: no proxy from the environment in between.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Cookie(TypedDict):
    """A cookie as the browser holds it: its raw value, ``expires`` in seconds since the epoch (None: a session cookie)."""

    name: str
    value: str
    domain: str
    path: str
    sameSite: str
    expires: float | None
    httpOnly: bool
    secure: bool


#: Told what happens in a tab as the engine reports it: ``(tab, kind, details)``; kinds are
#: "console" (``type``, ``text``), "pageerror" (``text``), "request" (``url``; ``method``, ``id``,
#: ``headers`` if ``reports_requests`` is "all"), "response" (``id``, ``status``) and "intercepted"
#: (as "request"; the request waits for ``answer_intercepted``).
Listener = Callable[[str | None, str, dict[str, Any]], None]


#: What ``Engine.shown`` reads from the tab.
SHOWN = """({ now: Math.round(performance.now()), ready: Boolean(window.analytics && window.analytics.initialized),
  marks: performance.getEntriesByType("mark").map((m) => `${m.name} at ${Math.round(m.startTime)}`),
  loaded: performance.getEntriesByType("resource").map((r) => `${r.name} ${Math.round(r.startTime)}-${Math.round(r.responseEnd)}`),
  logged: window.__engine ? window.__engine.drain() : null })"""


class EngineError(AssertionError):
    """The browser or its driver refused a command, or a page's JavaScript threw."""


class Engine(ABC):
    """One browser session, started by ``with``; ``name`` is what the tests' ids say."""

    name: str
    #: The files the engine needs (installed by the Makefile's ``deps``).
    needs: tuple[str, ...]
    #: The longest a cookie written from script lasts, in days (None: as written).
    script_cookie_days: int | None = None
    #: What ``listener`` hears of requests: "all" (as they start, with method, headers and body),
    #: "loaded" (the addresses a document loaded, once loaded) or "none".
    reports_requests = "none"
    #: The tab the commands go to (``use`` another).
    tab: str
    listener: Listener | None = None

    def __init__(self, folder: Path) -> None:
        self.folder = folder  # profile, data and logs of this session
        self.stack = ExitStack()

    def __enter__(self) -> Self:
        missing = [path for path in self.needs if not (ROOT / path).exists()]
        if missing:
            raise EngineError(f"{self.name}: {', '.join(missing)} missing: `make test` installs them")
        try:
            self.start()
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stack.close()

    def spawn(self, command: list[str], log: str, **options: Any) -> subprocess.Popen[bytes]:
        """Start a child process, its output in ``folder/log``, stopped (its process group) at exit."""
        out = self.stack.enter_context(open(self.folder / log, "wb"))
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                   **options)
        self.stack.callback(stop, process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / name).read_text(errors="replace")

    @abstractmethod
    def start(self) -> None:
        """Start the driver and browser and open a session; register their stopping on ``stack``."""

    @abstractmethod
    def goto(self, url: str) -> None:
        """Open ``url`` in the session's tab and wait for its load event."""

    @abstractmethod
    def reload(self) -> None:
        """Reload the tab and wait for the load event."""

    @abstractmethod
    def evaluate(self, promise: str) -> str:
        """Run a JavaScript expression that resolves to a string, in the tab; its value."""

    @abstractmethod
    def cookies(self) -> list[Cookie]:
        """The cookies the page's URL gets."""

    @abstractmethod
    def clear_cookies(self) -> None:
        """Delete every cookie of the browser."""

    @abstractmethod
    def fresh(self) -> None:
        """A visitor the browser has never seen, in one blank tab: no cookies, storage, caches or added scripts."""

    @abstractmethod
    def add_cookie(self, cookie: Cookie, url: str) -> None:
        """Store a cookie as if ``url`` (whose host is the cookie's, for a host-only cookie) had set it."""

    @abstractmethod
    def add_init_script(self, source: str) -> None:
        """Run ``source`` in every document opened from now on, before the page's own scripts."""

    @abstractmethod
    def new_tab(self) -> str:
        """Open a blank tab (not made the one ``use``d); its id."""

    @abstractmethod
    def close_tab(self, tab: str) -> None:
        """Close a tab other than the first."""

    @abstractmethod
    def tabs(self) -> list[str]:
        """The open tabs of the visitor, oldest first."""

    @abstractmethod
    def click(self, selector: str) -> None:
        """Click the element ``selector`` finds (the first), as a person with a mouse would."""

    def use(self, tab: str) -> None:
        """Send the next commands to ``tab``."""
        self.tab = tab

    def pump(self) -> None:
        """Tell ``listener`` what happened since the last call (an engine that reports as it goes has nothing left)."""

    def request_body(self, request: str) -> str | None:
        """The body a request reported to ``listener`` sends (None: none)."""
        raise EngineError(f"{self.name}'s WebDriver does not report requests")

    def set_extra_headers(self, headers: dict[str, str]) -> None:
        """Send these headers with every request of the visitor from now on."""
        raise EngineError(f"{self.name}'s WebDriver cannot add request headers")

    def intercept(self, on: bool) -> None:
        """Hold every request for ``answer_intercepted`` (on) or let them all through (off)."""
        raise EngineError(f"{self.name}'s WebDriver cannot intercept requests")

    def answer_intercepted(self, request: str, status: int | None = None, headers: dict[str, str] | None = None,
                           body: str = "", fail: bool = False) -> None:
        """Let a held request through (no status), answer it, or fail it as a network error."""
        raise EngineError(f"{self.name}'s WebDriver cannot intercept requests")

    def run(self, expression: str) -> Any:
        """The value of a JavaScript expression, awaited if it is a promise, through JSON."""
        answer = json.loads(self.evaluate(
            "(async () => { try { return JSON.stringify({ value: (await (" + expression + ")) ?? null },"
            " (key, value) => value === undefined ? null : value); }"
            " catch (error) { return JSON.stringify({ error: String(error) + '\\n' + ((error && error.stack) || '') });"
            " } })()"
        ))
        if "error" in answer:
            raise EngineError(f"{self.name}: {expression} threw {answer['error']}")
        return answer["value"]

    def execute(self, statements: str) -> Any:
        """Run JavaScript statements (awaiting any ``await``); what they ``return``."""
        return self.run("(async () => { " + statements + " })()")

    def wait_for(self, expression: str, timeout_s: float) -> Any:
        """Poll a JavaScript expression until it is truthy; its value. On a timeout, the error
        says what the page shows (``shown``)."""
        return self.polled(expression, lambda: self.run(expression) or None, timeout_s)

    def polled(self, what: str, found: Callable[[], Any], timeout_s: float) -> Any:
        """``poll`` in this tab; on a timeout, the error adds what the tab shows."""
        try:
            return poll(f"{self.name}: {what}", found, timeout_s)
        except EngineError as late:
            raise EngineError(f"{late}\n{self.shown()}") from None

    def shown(self) -> str:
        """What the tab shows when a wait times out, to tell a hang of the engine or the boot from a
        test's own mistake: its marks and loaded addresses with their times, what it logged and not
        yet reported, and the end of each log of the session's processes."""
        try:
            seen = self.run(SHOWN)
        except EngineError as error:
            seen = f"the tab does not answer: {error}"
        logs = "".join(f"\n--- {log.name}:\n{log.read_text(errors='replace')[-2000:]}"
                       for log in sorted(self.folder.glob("*.log")))
        return f"the tab shows {seen}{logs}"

    def cookie(self, name: str) -> Cookie | None:
        return next((c for c in self.cookies() if c["name"] == name), None)

    def days_left(self, name: str) -> float:
        """How long the browser keeps a cookie from now, in days."""
        cookie = self.cookie(name)
        assert cookie and cookie["expires"] is not None, f"{self.name}: no lasting {name} cookie"
        return (cookie["expires"] - self.run("Date.now() / 1000")) / 86400


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a child and whatever it started: the process group it leads (``start_new_session``)."""
    for signal_ in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signal_)
            process.wait(10)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            pass  # then SIGKILL


def poll(what: str, found: Callable[[], Any], timeout_s: float = config.ENGINE_START_TIMEOUT_S) -> Any:
    """Call ``found()`` until it returns something other than None; raise after the timeout."""
    deadline = time.monotonic() + timeout_s
    while (value := found()) is None:
        if time.monotonic() > deadline:
            raise EngineError(f"{what}: not so after {timeout_s:.0f} s")
        time.sleep(0.1)
    return value
