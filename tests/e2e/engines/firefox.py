"""Firefox through WebDriver BiDi, which Firefox serves itself on a WebSocket.

No geckodriver (Debian does not ship it): Firefox started with
``--remote-debugging-port`` prints the address of its BiDi endpoint, and a
BiDi-only session is opened there. Only the handful of commands the tests use.
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import re
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import config
from tests.e2e.engines.engine import Cookie, Engine, EngineError, poll

LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")


class Firefox(Engine):
    name = "firefox"
    needs = (config.FIREFOX,)
    reports_requests = "all"

    def start(self) -> None:
        profile = self.folder / "profile"
        profile.mkdir()
        (profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in config.FIREFOX_PREFS.items()))
        self.spawn([config.FIREFOX, *config.FIREFOX_ARGS, "-profile", str(profile)], "firefox.log")
        address = poll("Firefox's BiDi endpoint",
                       lambda: (found := LISTENING.search(self.log("firefox.log"))) and found.group(1) or None)
        self.socket = self.stack.enter_context(connect(address + "/session", proxy=None, max_size=None,
                                                       open_timeout=config.ENGINE_START_TIMEOUT_S))
        self.ids = itertools.count(1)
        self.answers: dict[int, dict[str, Any]] = {}
        # Events that arrive while one is handled wait for it: a handler's own commands (getData,
        # failRequest...) would otherwise handle the next interception inside it, one level deeper each
        # time (a RecursionError once, 130 interceptions on a loaded machine).
        self.pending: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()
        self.handling = False
        self.command("session.new", {"capabilities": {}})
        self.stack.callback(self.end)
        self.tab = self.command("browsingContext.getTree", {"maxDepth": 0})["contexts"][0]["context"]
        self.visitor: str | None = None  # the user context of ``fresh``: its own cookies and storage
        self.scripts: list[str] = []
        self.interception: str | None = None
        self.command("session.subscribe", {"events": ["log.entryAdded", "network.beforeRequestSent",
                                                      "network.responseCompleted"]})
        self.command("network.addDataCollector", {"dataTypes": ["request"], "maxEncodedDataSize": 10_000_000})

    def end(self) -> None:
        """Close the browser before its process group is stopped."""
        try:
            self.command("browser.close", {})
        except (EngineError, ConnectionClosed, TimeoutError):
            pass  # it closed as asked, or is gone: stopping its process group ends the rest

    def command(self, method: str, params: dict[str, Any]) -> Any:
        """Send a command and wait for its answer, telling ``listener`` of the events that arrive meanwhile
        (a listener may send commands of its own: answers are kept by id)."""
        sent = next(self.ids)
        self.socket.send(json.dumps({"id": sent, "method": method, "params": params}))
        while sent not in self.answers:
            self.receive(config.ENGINE_COMMAND_TIMEOUT_S + 10)
        answer = self.answers.pop(sent)
        if answer["type"] == "error":
            raise EngineError(f"firefox: {method} answered {answer['error']}: {answer.get('message')}")
        return answer["result"]

    def receive(self, timeout: float) -> bool:
        """Handle one message, if one arrives within ``timeout`` seconds."""
        try:
            message = json.loads(self.socket.recv(timeout=timeout))
        except TimeoutError:
            return False
        if message.get("id") is not None:
            self.answers[message["id"]] = message
        elif message.get("type") == "event":
            self.pending.append((message["method"], message["params"]))
            if not self.handling:
                self.handling = True
                try:
                    while self.pending:
                        self.event(*self.pending.popleft())
                finally:
                    self.handling = False
        return True

    def event(self, method: str, params: dict[str, Any]) -> None:
        if self.listener is None:
            if params.get("isBlocked"):
                self.answer_intercepted(params["request"]["request"])
            return
        if method == "log.entryAdded":
            tab = params["source"].get("context")
            if params["type"] == "console":
                kind = {"warn": "warning"}.get(params["method"], params["method"])
                self.listener(tab, "console", {"type": kind, "text": params.get("text") or ""})
            elif params["type"] == "javascript":
                self.listener(tab, "pageerror", {"text": params.get("text") or ""})
        elif method == "network.beforeRequestSent":
            request = params["request"]
            details = {"url": request["url"], "method": request["method"], "id": request["request"],
                       "headers": {h["name"].lower(): h["value"].get("value", "") for h in request["headers"]}}
            self.listener(params.get("context"), "request", details)
            if params.get("isBlocked"):
                self.listener(params.get("context"), "intercepted", details)
        elif method == "network.responseCompleted":
            self.listener(params.get("context"), "response",
                          {"id": params["request"]["request"], "status": params["response"]["status"]})

    def pump(self) -> None:
        while self.receive(0):
            pass

    def partition(self) -> dict[str, Any]:
        return {"type": "storageKey", "userContext": self.visitor or "default"}

    def fresh(self) -> None:
        """A new user context (as a Playwright context: its own cookies, storage and caches) with one tab;
        the last one's tabs, added scripts and interception go."""
        self.intercept(False)
        for script in self.scripts:
            self.command("script.removePreloadScript", {"script": script})
        self.scripts.clear()
        if self.visitor:
            self.command("browser.removeUserContext", {"userContext": self.visitor})
        self.visitor = self.command("browser.createUserContext", {})["userContext"]
        self.tab = self.new_tab()

    def add_cookie(self, cookie: Cookie, url: str) -> None:
        fields: dict[str, Any] = {
            "name": cookie["name"], "value": {"type": "string", "value": cookie["value"]},
            "domain": cookie["domain"], "path": cookie["path"], "httpOnly": cookie["httpOnly"],
            "secure": cookie["secure"], "sameSite": cookie["sameSite"].lower()}
        if cookie["expires"] is not None:
            fields["expiry"] = int(cookie["expires"])
        self.command("storage.setCookie", {"cookie": fields, "partition": self.partition()})

    def add_init_script(self, source: str) -> None:
        params: dict[str, Any] = {"functionDeclaration": "() => {" + source + "\n}"}
        if self.visitor:
            params["userContexts"] = [self.visitor]
        self.scripts.append(self.command("script.addPreloadScript", params)["script"])

    def tabs(self) -> list[str]:
        return [tab["context"] for tab in self.command("browsingContext.getTree", {"maxDepth": 0})["contexts"]
                if tab["userContext"] == (self.visitor or "default")]

    def click(self, selector: str) -> None:
        found = self.command("script.evaluate", {
            "expression": f"document.querySelector({json.dumps(selector)})", "target": {"context": self.tab},
            "awaitPromise": False, "resultOwnership": "root"})
        if found["type"] == "exception" or found["result"]["type"] != "node":
            raise EngineError(f"firefox: nothing matches {selector}")
        element = {"sharedId": found["result"]["sharedId"]}
        self.command("input.performActions", {"context": self.tab, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
                {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": element}},
                {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]})

    def new_tab(self) -> str:
        params = {"type": "tab", **({"userContext": self.visitor} if self.visitor else {})}
        return self.command("browsingContext.create", params)["context"]

    def close_tab(self, tab: str) -> None:
        self.command("browsingContext.close", {"context": tab})

    def request_body(self, request: str) -> str | None:
        try:
            data = self.command("network.getData", {"dataType": "request", "request": request})["bytes"]
        except EngineError as missing:
            if "no such network data" in str(missing):
                return None
            raise
        return data["value"] if data["type"] == "string" else base64.b64decode(data["value"]).decode()

    def set_extra_headers(self, headers: dict[str, str]) -> None:
        self.command("network.setExtraHeaders", {
            "headers": [{"name": k, "value": {"type": "string", "value": v}} for k, v in headers.items()],
            **({"userContexts": [self.visitor]} if self.visitor else {})})

    def intercept(self, on: bool) -> None:
        if on and not self.interception:
            self.interception = self.command("network.addIntercept", {"phases": ["beforeRequestSent"]})["intercept"]
        elif not on and self.interception:
            self.command("network.removeIntercept", {"intercept": self.interception})
            self.interception = None

    def answer_intercepted(self, request: str, status: int | None = None, headers: dict[str, str] | None = None,
                           body: str = "", fail: bool = False) -> None:
        try:
            if fail:
                self.command("network.failRequest", {"request": request})
            elif status is None:
                self.command("network.continueRequest", {"request": request})
            else:
                self.command("network.provideResponse", {
                    "request": request, "statusCode": status, "body": {"type": "string", "value": body},
                    "headers": [{"name": k, "value": {"type": "string", "value": v}}
                                for k, v in (headers or {}).items()]})
        except EngineError as gone:
            if "no such request" not in str(gone):
                raise  # else the page that made it is gone

    def goto(self, url: str) -> None:
        self.command("browsingContext.navigate", {"context": self.tab, "url": url, "wait": "complete"})

    def reload(self) -> None:
        self.command("browsingContext.reload", {"context": self.tab, "wait": "complete"})

    def evaluate(self, promise: str) -> str:
        result = self.command("script.evaluate", {"expression": promise, "target": {"context": self.tab},
                                                  "awaitPromise": True})
        if result["type"] == "exception":
            raise EngineError(f"firefox: {result['exceptionDetails']['text']}")
        return result["result"]["value"]

    def cookies(self) -> list[Cookie]:
        """Every cookie of the visitor (``fresh``'s user context), whichever site set it."""
        return [Cookie(name=c["name"], value=c["value"]["value"], domain=c["domain"], path=c["path"],
                       sameSite=c["sameSite"].capitalize(), expires=c.get("expiry"), httpOnly=c["httpOnly"],
                       secure=c["secure"])
                for c in self.command("storage.getCookies", {"partition": self.partition()})["cookies"]]

    def clear_cookies(self) -> None:
        self.command("storage.deleteCookies", {"partition": self.partition()})
