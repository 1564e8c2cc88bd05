"""The part of Playwright's Page and BrowserContext the end-to-end tests use, over an :class:`Engine`.

So one test function runs in Chromium (pytest-playwright's own ``page`` and
``context``) and, unchanged, in WebKit and Firefox (these). Playwright's
semantics are kept where the tests rely on them: ``evaluate`` runs a script
(its completion value) and calls it with ``arg`` if it is a function, values
travel as JSON; ``wait_for_function`` polls; cookies come in Playwright's
shape; handlers registered with ``on`` run while a call is in progress.
What an engine's protocol cannot do raises :class:`EngineError`, naming it.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import config
from tests.e2e.engines.engine import DIRECT, Cookie, Engine, EngineError, poll

Handler = Callable[[Any], None]


@dataclass
class Opened:
    value: EnginePage | None = None


@dataclass
class ConsoleMessage:
    type: str
    text: str


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Request:
    """A request as the engine reported it: only its address, unless it reports requests as they start."""

    engine: Engine
    url: str
    details: dict[str, Any]
    responses: dict[str, Response]

    def known(self, name: str) -> Any:
        if name not in self.details:
            raise EngineError(f"{self.engine.name}'s WebDriver does not report a request's {name}")
        return self.details[name]

    @property
    def method(self) -> str:
        return self.known("method")

    @property
    def post_data(self) -> str | None:
        return self.engine.request_body(self.known("id"))

    def all_headers(self) -> dict[str, str]:
        return self.known("headers")

    def response(self) -> Response | None:
        return self.responses.get(self.known("id"))


@dataclass
class Route:
    """A request held until the handler answers it, as Playwright's Route."""

    engine: Engine
    request: Request
    answered: bool = False

    def fulfill(self, status: int = 200, headers: dict[str, str] | None = None, body: str = "",
                response: Response | None = None) -> None:
        if response:
            status, headers, body = response.status, response.headers, response.body.decode()
        self.answered = True
        self.engine.answer_intercepted(self.request.known("id"), status, headers, body)

    def fetch(self) -> Response:
        """Make the request from here, as Playwright does (the browser's stays held)."""
        body = self.request.post_data
        sent = urllib.request.Request(self.request.url, data=body and body.encode(), method=self.request.method,
                                      headers=self.request.all_headers())
        try:
            with DIRECT.open(sent, timeout=config.ACTION_TIMEOUT_MS / 1000) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as refused:
            return Response(refused.code, dict(refused.headers), refused.read())

    def abort(self, error_code: str = "failed") -> None:
        self.answered = True
        self.engine.answer_intercepted(self.request.known("id"), fail=True)

    def continue_(self) -> None:
        self.answered = True
        self.engine.answer_intercepted(self.request.known("id"))

    fallback = continue_


def glob_matches(pattern: str, url: str) -> bool:
    """Playwright's URL glob for the patterns the tests use: ``**`` any characters, ``*`` any but ``/``."""
    regex = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
                    for part in re.split(r"(\*\*|\*)", pattern))
    return re.fullmatch(regex, url.split("#")[0]) is not None


def checked(engine: Engine, event: str) -> str:
    """An event the engine reports: a handler that would never run fails the test instead."""
    if event not in ("console", "pageerror", *(("request",) if engine.reports_requests != "none" else ())):
        raise EngineError(f"{engine.name}'s WebDriver does not report {event} events")
    return event


def script(expression: str, arg: Any) -> str:
    """A JavaScript expression whose value is Playwright's ``evaluate(expression, arg)``'s."""
    source = expression.strip()
    if re.match(r"^(async)?\s*function(\s|\()", source):
        source = f"({source})"
    return (f"(async () => {{ let value = (0, eval)({json.dumps(source)});"
            f" if (typeof value === 'function') value = value({json.dumps(arg)}); return await value; }})()")


class EngineContext:
    """A fresh visitor in one engine: Playwright's BrowserContext, for the calls the tests make."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pages: list[EnginePage] = []
        self.handlers: dict[str, list[Handler]] = defaultdict(list)
        self.routes: list[tuple[str, Handler, EnginePage | None]] = []
        self.responses: dict[str, Response] = {}
        engine.listener = None  # what the last test's pages left is not this one's
        engine.fresh()
        engine.pump()
        engine.listener = self.heard
        self.first: str | None = engine.tab

    def new_page(self, tab: str | None = None) -> EnginePage:
        tab, self.first = tab or self.first or self.engine.new_tab(), None
        page = EnginePage(self, tab)
        self.pages.append(page)
        return page

    @contextmanager
    def expect_page(self) -> Iterator[Opened]:
        """The tab the block opens (a link's ``target=_blank``), as a page."""
        before, opened = set(self.engine.tabs()), Opened()
        yield opened
        tab = poll(f"{self.engine.name}: a new tab",
                   lambda: next((tab for tab in self.engine.tabs() if tab not in before), None),
                   config.ACTION_TIMEOUT_MS / 1000)
        opened.value = self.new_page(tab)

    def on(self, event: str, handler: Handler) -> None:
        self.handlers[checked(self.engine, event)].append(handler)

    def add_init_script(self, script: str) -> None:
        self.engine.add_init_script(script)

    def route(self, pattern: str, handler: Handler, page: EnginePage | None = None) -> None:
        self.engine.intercept(True)
        self.routes.append((pattern, handler, page))

    def unroute(self, pattern: str, page: EnginePage | None = None) -> None:
        self.routes = [r for r in self.routes if (r[0], r[2]) != (pattern, page)]
        if not self.routes:
            self.engine.intercept(False)

    def set_extra_http_headers(self, headers: dict[str, str]) -> None:
        self.engine.set_extra_headers(headers)

    def cookies(self) -> list[dict[str, Any]]:
        self.engine.use(self.pages[0].tab if self.pages else self.engine.tab)
        return [{**cookie, "expires": -1 if cookie["expires"] is None else cookie["expires"]}
                for cookie in self.engine.cookies()]

    def add_cookies(self, cookies: list[dict[str, Any]]) -> None:
        for given in cookies:
            url = given.get("url") or f"http://{given['domain'].lstrip('.')}{given.get('path', '/')}"
            parts = urllib.parse.urlsplit(url)
            self.engine.add_cookie(Cookie(
                name=given["name"], value=given["value"], domain=given.get("domain", parts.hostname),
                path=given.get("path", "/"), sameSite=given.get("sameSite", "Lax"), expires=given.get("expires"),
                httpOnly=given.get("httpOnly", False), secure=given.get("secure", parts.scheme == "https")), url)

    def clear_cookies(self) -> None:
        self.engine.clear_cookies()

    def set_default_timeout(self, timeout: float) -> None:
        pass  # every call here waits at most config.ACTION_TIMEOUT_MS, the suite's default

    def heard(self, tab: str | None, kind: str, details: dict[str, Any]) -> None:
        """What the engine reported: handlers of the page (if known) and of the context run."""
        page = next((p for p in self.pages if p.tab == tab), None)
        if kind == "response":
            self.responses[details["id"]] = Response(details["status"])
            return None
        if kind in ("request", "intercepted"):
            request = Request(self.engine, details["url"], details, self.responses)
            if kind == "intercepted":
                return self.intercepted(page, request)
        event = {"console": lambda: ConsoleMessage(details["type"], details["text"]),
                 "pageerror": lambda: details["text"],
                 "request": lambda: request}[kind]()
        for handler in [*self.handlers[kind], *(page.handlers[kind] if page else [])]:
            handler(event)

    def intercepted(self, page: EnginePage | None, request: Request) -> None:
        """The newest matching route's handler answers (or holds) the request; else it goes through."""
        for pattern, handler, owner in reversed(self.routes):
            if (owner is None or owner is page) and glob_matches(pattern, request.url):
                handler(Route(self.engine, request))
                return
        self.engine.answer_intercepted(request.known("id"))


class EnginePage:
    """One tab of an :class:`EngineContext`: Playwright's Page, for the calls the tests make."""

    def __init__(self, context: EngineContext, tab: str) -> None:
        self.context = context
        self.engine = context.engine
        self.tab = tab
        self.handlers: dict[str, list[Handler]] = defaultdict(list)

    def call(self, action: Callable[[], Any]) -> Any:
        """Run an engine call in this tab; then the handlers of what the engine reported meanwhile."""
        self.engine.use(self.tab)
        try:
            return action()
        finally:
            self.engine.pump()

    def goto(self, url: str) -> None:
        self.call(lambda: None)  # what the page left is reported before it goes
        self.call(lambda: self.engine.goto(url))

    def reload(self) -> None:
        self.call(lambda: None)
        self.call(self.engine.reload)

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self.call(lambda: self.engine.run(script(expression, arg)))

    def wait_for_function(self, expression: str, timeout: float = config.ACTION_TIMEOUT_MS) -> Any:
        return self.engine.polled(expression, lambda: self.evaluate(expression) or None, timeout / 1000)

    def wait_for_timeout(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout / 1000
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))
            self.call(lambda: None)

    @property
    def url(self) -> str:
        return self.evaluate("location.href")

    def wait_for_url(self, pattern: str) -> None:
        poll(f"{self.engine.name}: the page at {pattern}", lambda: glob_matches(pattern, self.url) or None,
             config.ACTION_TIMEOUT_MS / 1000)

    def click(self, selector: str) -> None:
        self.call(lambda: self.engine.click(selector))

    def title(self) -> str:
        return self.evaluate("document.title")

    def text_content(self, selector: str) -> str | None:
        return self.evaluate("(selector) => document.querySelector(selector)?.textContent ?? null", selector)

    def on(self, event: str, handler: Handler) -> None:
        self.handlers[checked(self.engine, event)].append(handler)

    def add_init_script(self, script: str) -> None:
        self.call(lambda: self.engine.add_init_script(script))

    def route(self, pattern: str, handler: Handler) -> None:
        self.context.route(pattern, handler, self)

    def unroute(self, pattern: str) -> None:
        self.context.unroute(pattern, self)

    def close(self) -> None:
        self.call(lambda: None)
        self.engine.close_tab(self.tab)
        self.context.pages.remove(self)
