"""Delivery through a collector outage, in WebKit and Firefox.

test_delivery.py's outage tests also count the page's requests, which
WebKit's WebDriver does not report; this one reads only the persisted queue
and the collector. In WebKitGTK a request Pyodide starts to a refused port
never settles: the delivery's own timer ends it (docs/engines.md), so the
events are attempted, kept, and sent once the collector is back.
"""

from __future__ import annotations

import json
import time
import uuid

from tests.conftest import Server, config
from tests.e2e.engines.engine import Engine
from tests.e2e.helpers import QUEUED, load_options
from tests.e2e.test_delivery import collected, second, wait_collected  # noqa: F401  (second: a fixture)

READY = "window.analytics.initialized === true"


def test_events_made_while_the_collector_is_down_are_attempted_kept_and_arrive_once(
        engine: Engine, base_url: str, second: Server) -> None:  # noqa: F811
    errors: list[str] = []
    engine.listener = lambda tab, kind, details: errors.append(details["text"]) if kind == "pageerror" else None
    engine.goto(base_url + "/blank.html")
    engine.execute(f"analytics.load('test-key', {json.dumps(load_options(second.url))});")
    engine.wait_for(READY, config.BOOT_TIMEOUT_MS / 1000)
    anonymous = engine.run(f"analytics.setAnonymousId('outage-{uuid.uuid4().hex[:8]}')")
    second.stop()
    engine.execute("for (const n of [1, 2, 3]) analytics.track('Offline ' + n);")
    engine.wait_for(f"({QUEUED}).filter((item) => item.attempts > 0).length === 3", 60)
    restarted = Server(second.db, port=second.port, mounts={}).start()
    try:
        events = wait_collected(second.url, 3, timeout=60, anonymousId=anonymous)
        assert sorted(e["event"] for e in events) == ["Offline 1", "Offline 2", "Offline 3"]
        engine.wait_for(f"({QUEUED}).length === 0", 60)
        time.sleep(1)  # an answer lost on the way would have the event sent again by now
        assert len(collected(second.url, anonymousId=anonymous)) == 3
        engine.pump()
        assert errors == []  # nothing throws into the page, an outage included
    finally:
        restarted.stop()
