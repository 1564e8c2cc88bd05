"""WebKit (Safari's engine) through WebKitGTK's WebDriver: classic W3C WebDriver over HTTP.

Xvfb gives the browser a display; WebKitWebDriver starts the browser window
(webkit_shell.py) for the session. Only the handful of endpoints the tests
use.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from analytics_identity.server.process import free_port
from tests.conftest import ROOT, config
from tests.e2e.engines.engine import DIRECT, Cookie, Engine, EngineError, poll


class WebKit(Engine):
    name = "webkit"
    needs = (config.WEBKIT_DRIVER, config.XVFB[0], *config.WEBKIT_BROWSER)
    script_cookie_days = 7  # tracking prevention, on in the window as in Safari
    reports_requests = "loaded"  # by webkit_shell.py's script, from the document's resource timing

    def start(self) -> None:
        read, write = os.pipe()
        self.spawn([*config.XVFB, "-displayfd", str(write)], "xvfb.log", pass_fds=(write,))
        os.close(write)
        with os.fdopen(read) as displayfd:  # Xvfb writes its display number once it is ready
            display = displayfd.readline().strip()
        if not display:
            raise EngineError(f"Xvfb did not start: {self.log('xvfb.log')}")
        port = free_port(config.HOST)
        self.spawn([config.WEBKIT_DRIVER, f"--port={port}"], "webkitwebdriver.log",
                   env={**os.environ, "DISPLAY": f":{display}"})
        self.url = f"http://{config.HOST}:{port}"
        poll("WebKitWebDriver answering", self.ready)
        python, shell = config.WEBKIT_BROWSER
        session = self.command("POST", "/session", {"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {"binary": python, "args": [str(ROOT / shell), str(self.folder / "data")]},
        }}})
        self.url += f"/session/{session['sessionId']}"
        self.stack.callback(self.end)
        self.current: str | None = None
        self.command("POST", "/timeouts", {"script": config.ACTION_TIMEOUT_MS})
        self.tab = self.first = self.current = self.command("GET", "/window")

    def end(self) -> None:
        """Close the session (the browser quits) before the driver is stopped."""
        try:
            self.command("DELETE", "")
        except (OSError, EngineError):
            pass  # the driver is gone already: stopping its process group ends the rest

    def ready(self) -> bool | None:
        try:
            return self.command("GET", "/status")["ready"] or None
        except OSError:
            return None

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with DIRECT.open(request, timeout=config.ENGINE_COMMAND_TIMEOUT_S + 10) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as refused:
            raise EngineError(f"webkit: {method} {path} answered {refused.code}: {refused.read()[:1000]!r}\n"
                              f"{self.log('webkitwebdriver.log')[-2000:]}") from None

    def goto(self, url: str) -> None:
        self.command_in_tab("POST", "/url", {"url": url})

    def reload(self) -> None:
        self.command_in_tab("POST", "/refresh", {})

    def evaluate(self, promise: str) -> str:
        script = f"const done = arguments[arguments.length - 1]; ({promise}).then(done);"
        return self.command_in_tab("POST", "/execute/async", {"script": script, "args": []})

    def cookies(self) -> list[Cookie]:
        """The cookies of the tab's document (classic WebDriver cannot see the others)."""
        return [Cookie(name=c["name"], value=c["value"], domain=c["domain"], path=c["path"],
                       sameSite=c["sameSite"], expires=c.get("expiry"), httpOnly=c.get("httpOnly", False),
                       secure=c.get("secure", False)) for c in self.command("GET", "/cookie")]

    def clear_cookies(self) -> None:
        """The cookies the tab's document sees (classic WebDriver cannot reach the others)."""
        self.command("DELETE", "/cookie")

    def command_in_tab(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self.current != self.tab:
            self.command("POST", "/window", {"handle": self.tab})
            self.current = self.tab
        return self.command(method, path, body)

    def fresh(self) -> None:
        """The window's own ``engine:clear`` (webkit_shell.py) removes every kind of website data."""
        for handle in self.tabs():
            if handle != self.first:
                self.close_tab(handle)
        self.use(self.first)
        self.goto("engine:clear")

    def add_cookie(self, cookie: Cookie, url: str) -> None:
        """Classic WebDriver adds a cookie to the tab's document: the tab goes to ``url``'s origin first."""
        here = urllib.parse.urlsplit(self.command_in_tab("GET", "/url"))
        there = urllib.parse.urlsplit(url)
        if (here.scheme, here.netloc) != (there.scheme, there.netloc):
            self.goto(f"{there.scheme}://{there.netloc}/healthz")
        fields = {"name": cookie["name"], "value": cookie["value"], "path": cookie["path"],
                  "secure": cookie["secure"], "httpOnly": cookie["httpOnly"], "sameSite": cookie["sameSite"]}
        if cookie["domain"] != there.hostname:
            fields["domain"] = cookie["domain"]
        if cookie["expires"] is not None:
            fields["expiry"] = int(cookie["expires"])
        self.command_in_tab("POST", "/cookie", {"cookie": fields})

    def add_init_script(self, source: str) -> None:
        """The window's own ``engine:script?SOURCE`` (webkit_shell.py), opened in a tab of its own."""
        tab, scratch = self.tab, self.new_tab()
        self.use(scratch)
        try:
            self.goto("engine:script?" + urllib.parse.quote(source, safe=""))
        finally:
            self.close_tab(scratch)
            self.use(tab)

    def tabs(self) -> list[str]:
        return self.command("GET", "/window/handles")

    def click(self, selector: str) -> None:
        found = self.command_in_tab("POST", "/element", {"using": "css selector", "value": selector})
        self.command_in_tab("POST", f"/element/{next(iter(found.values()))}/click", {})

    def new_tab(self) -> str:
        return self.command_in_tab("POST", "/window/new", {"type": "tab"})["handle"]

    def close_tab(self, tab: str) -> None:
        self.current = None
        try:
            self.command("POST", "/window", {"handle": tab})
        except EngineError as gone:
            if "no such window" in str(gone):
                return
            raise
        self.command("DELETE", "/window")

    def pump(self) -> None:
        """The console messages, errors and loaded addresses webkit_shell.py's script kept in the tab's document."""
        for item in self.run("window.__engine ? window.__engine.drain() : []"):
            if self.listener:
                self.listener(self.tab, item.pop("kind"), item)

