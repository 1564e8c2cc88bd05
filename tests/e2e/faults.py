"""Network faults injected in front of the real collector with Playwright routing.

A :class:`Faults` plan is a list of actions taken by the next requests to
``/v1/*``, in order; when it runs out, requests go through. Every request is
logged with the messageIds it carried and what happened to it, so a test can
count attempts, deliveries and duplicate deliveries.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, Page, Route

#: Actions: "down" (connection refused), "close" (connection closed without an
#: answer), "500"/"503"/…, "429" (with ``Retry-After: 1``), "slow" (answers after
#: 3 s), "pass".
ACTIONS = ("down", "close", "429", "slow", "pass")


@dataclass
class Faults:
    plan: list[str] = field(default_factory=list)
    #: ``(action, messageIds, status)`` of every request, in arrival order.
    log: list[tuple[str, list[str], int]] = field(default_factory=list)
    always: str | None = None

    def install(self, context: BrowserContext) -> Faults:
        context.route("**/v1/*", self._handle)
        return self

    def _handle(self, route: Route) -> None:
        ids = message_ids(route.request.post_data or "")
        action = self.always or (self.plan.pop(0) if self.plan else "pass")
        status = 0
        if action == "down":
            route.abort("connectionrefused")
        elif action == "close":
            route.abort("connectionclosed")
        elif action == "429":
            status = 429
            route.fulfill(status=429, headers={"Retry-After": "1"}, body='{"success":false}')
        elif action.isdigit():
            status = int(action)
            route.fulfill(status=status, body='{"success":false,"error":"injected"}')
        else:
            if action == "slow":
                time.sleep(3)
            response = route.fetch()
            status = response.status
            route.fulfill(response=response)
        self.log.append((action, ids, status))

    @property
    def faults_injected(self) -> int:
        return sum(1 for action, _, _ in self.log if action != "pass")

    def delivered(self) -> Counter[str]:
        """How many times each messageId reached the collector and was accepted."""
        return Counter(i for _, ids, status in self.log if 200 <= status < 300 for i in ids)


def message_ids(body: str) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    events = data.get("batch", [data]) if isinstance(data, dict) else []
    return [e.get("messageId") for e in events if isinstance(e, dict)]


def stored(page: Page, base_url: str, anonymous_id: str, count: int, timeout_s: float = 90) -> list[dict[str, Any]]:
    """The collector's events for ``anonymous_id``, polling until ``count`` are there (or the deadline).

    Waits through ``page`` so that Playwright keeps serving the routes meanwhile.
    """
    url = f"{base_url}/api/events?limit=10000&anonymousId={urllib.parse.quote(anonymous_id)}"
    deadline = time.monotonic() + timeout_s
    while True:
        events = json.loads(urllib.request.urlopen(url).read())
        if len(events) >= count or time.monotonic() > deadline:
            return events
        page.wait_for_timeout(250)
