"""A stand-in for Segment's HTTP tracking API (``POST /v1/batch``), for the forwarder's tests.

It fails on cue: a ``plan`` of answers for the next requests ("500", "429"
with ``Retry-After: 1``, "400", "hang": read the batch, keep the connection
silent for :attr:`Upstream.hang_s` and never take it), then "ok". It can be
stopped (connections refused) and started again on the same port. Every
batch it answered 2xx is kept, with its write key from Basic auth and its
size, so a test can count each messageId's deliveries.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from analytics_identity.server.process import free_port


@dataclass
class Batch:
    write_key: str | None
    size: int
    events: list[dict[str, Any]]


@dataclass
class Upstream:
    plan: list[str] = field(default_factory=list)
    hang_s: float = 3.0
    port: int = field(default_factory=free_port)
    #: Batches answered 2xx, in arrival order.
    taken: list[Batch] = field(default_factory=list)
    #: Every answer given, in order ("ok", "500", "hang", ...).
    answers: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/batch"

    def start(self) -> Upstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with upstream._lock:
                    action = upstream.plan.pop(0) if upstream.plan else "ok"
                    upstream.answers.append(action)
                if action == "hang":
                    time.sleep(upstream.hang_s)
                    self.close_connection = True
                    return
                if action != "ok":
                    self.send_response(int(action))
                    if action == "429":
                        self.send_header("Retry-After", "1")
                    self.end_headers()
                    self.wfile.write(b'{"success":false,"error":"stand-in says ' + action.encode() + b'"}')
                    return
                auth = self.headers.get("Authorization", "")
                key = base64.b64decode(auth[6:]).decode().rstrip(":") if auth.startswith("Basic ") else None
                with upstream._lock:
                    upstream.taken.append(Batch(key, len(body), json.loads(body)["batch"]))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"success":true}')

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def deliveries(self) -> Counter[str]:
        """How many times each messageId was taken."""
        with self._lock:
            return Counter(event["messageId"] for batch in self.taken for event in batch.events)

    def wait_for(self, message_ids: set[str], timeout_s: float = 90) -> Counter[str]:
        """Poll until every id was taken (or the deadline); returns the deliveries."""
        deadline = time.monotonic() + timeout_s
        while not message_ids <= set(self.deliveries()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.deliveries()
