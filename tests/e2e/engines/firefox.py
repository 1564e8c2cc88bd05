"""Firefox through WebDriver BiDi, which Firefox serves itself on a WebSocket.

No geckodriver (Debian does not ship it): Firefox started with
``--remote-debugging-port`` prints the address of its BiDi endpoint, and a
BiDi-only session is opened there. Only the handful of commands the tests use.
"""

from __future__ import annotations

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
        self.command("session.new", {"capabilities": {}})
        self.stack.callback(self.end)
        self.tab = self.command("browsingContext.getTree", {"maxDepth": 0})["contexts"][0]["context"]

    def end(self) -> None:
        """Close the browser before its process group is stopped."""
        try:
            self.command("browser.close", {})
        except (EngineError, ConnectionClosed, TimeoutError):
            pass  # it closed as asked, or is gone: stopping its process group ends the rest

    def command(self, method: str, params: dict[str, Any]) -> Any:
        sent = next(self.ids)
        self.socket.send(json.dumps({"id": sent, "method": method, "params": params}))
        while True:  # events (none are subscribed to) and late answers are skipped
            answer = json.loads(self.socket.recv(timeout=config.ENGINE_COMMAND_TIMEOUT_S + 10))
            if answer.get("id") == sent:
                break
        if answer["type"] == "error":
            raise EngineError(f"firefox: {method} answered {answer['error']}: {answer.get('message')}")
        return answer["result"]

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
        return [Cookie(name=c["name"], value=c["value"]["value"], domain=c["domain"], path=c["path"],
                       sameSite=c["sameSite"].capitalize(), expires=c.get("expiry"))
                for c in self.command("storage.getCookies", {})["cookies"]]

    def clear_cookies(self) -> None:
        self.command("storage.deleteCookies", {})
