"""``serve --forward URL``: relay every accepted event, once, to an engine speaking Segment's HTTP API.

Segment, RudderStack's data plane and Jitsu take ``POST …/v1/batch`` with
``{"batch": [...], "writeKey", "sentAt"}`` and the write key as Basic auth
user name. One thread reads the durable outbox (:mod:`.outbox`) oldest first
and sends batches of one write key within Segment's limits (500 KB a
request; each event is at most 32 KB, checked when it was accepted).

- 2xx: the batch is removed from the outbox, so it is never sent again,
  across restarts too (the server stops the thread only after the request
  in flight has its answer).
- A network error, a time-out, 408, 429 or 5xx: the same batch is retried
  after a back-off (0.5 s doubling up to 60 s, with jitter; ``Retry-After``
  honoured). A time-out may hide a batch the upstream did take: it is sent
  again with the same ``messageId``s, which these engines deduplicate on.
- Any other 4xx, or a redirect (give ``--forward`` the final URL): the
  upstream will never take it; its rows stay in the outbox marked with the
  reason, and the rest goes on.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .. import __version__
from .instants import iso
from .outbox import Outbox, upstream_event

__all__ = ["FIRST_RETRY", "MAX_BATCH_BYTES", "MAX_RETRY", "Forwarder"]

log = logging.getLogger("analytics_identity.forwarder")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET without its body: answer with the 3xx instead."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)

#: Segment's batch limit (the collector's own body limit is the same).
MAX_BATCH_BYTES = 500 * 1024
#: Rows looked at per batch; at least a few hundred bytes each, so 500 KB needs no more.
_ROWS = 2000
FIRST_RETRY = 0.5
MAX_RETRY = 60.0
#: With nothing queued, look at the outbox this often anyway (new events also wake the thread).
_IDLE_POLL = 5.0
_RETRYABLE = {408, 429}


class _Retry(Exception):
    """The batch may go through later; ``after`` is the upstream's own ``Retry-After``, if any."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), capped at :data:`MAX_RETRY`."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY)


class Forwarder:
    """The relay thread: ``start()``, ``wake()`` when events were stored, ``stop()`` at shutdown."""

    def __init__(self, db_path: str, url: str, *, timeout: float = 15.0) -> None:
        self.url = url
        self.timeout = timeout
        self._db_path = db_path
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="analytics-identity-forwarder", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New events are in the outbox (a back-off still runs its course)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the request in flight, if any, has its answer (and its rows their fate)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        outbox = Outbox(self._db_path)
        delay = 0.0
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    sent = self._forward_once(outbox)
                except Exception as error:  # noqa: BLE001 - the thread must outlive any failure
                    problem = error if isinstance(error, _Retry) else _Retry(f"{type(error).__name__}: {error}")
                    delay = min(max(delay * 2, FIRST_RETRY), MAX_RETRY)
                    wait = problem.after if problem.after is not None else delay * random.uniform(0.8, 1.2)
                    log.warning("forwarding to %s failed (%s); retrying in %.1f s", self.url, problem, wait)
                    self._stop.wait(wait)
                    continue
                if sent:
                    delay = 0.0
                else:
                    self._wake.wait(_IDLE_POLL)
        finally:
            outbox.close()

    def _forward_once(self, outbox: Outbox) -> bool:
        """Send the oldest batch; ``False`` when nothing waits. Raises :class:`_Retry` to back off."""
        now = datetime.now(timezone.utc)
        rows = outbox.head(_ROWS)
        if not rows:
            return False
        sent_at = iso(now)
        key, _ = upstream_event(rows[0][1], now)
        envelope = f'],"writeKey":{json.dumps(key)},"sentAt":"{sent_at}"}}'
        size = len('{"batch":[') + len(envelope.encode())
        seqs, texts = [], []
        for seq, stored in rows:
            event_key, text = upstream_event(stored, now)
            length = len(text.encode()) + (1 if texts else 0)
            if event_key != key:
                continue
            if size + length > MAX_BATCH_BYTES:
                break
            seqs.append(seq)
            texts.append(text)
            size += length
        body = ('{"batch":[' + ",".join(texts) + envelope).encode()
        status, reason = self._post(body, key)
        if 200 <= status < 300:
            outbox.delivered(seqs)
        else:
            log.error("the upstream %s refused %d events for good (HTTP %d: %s); kept in the outbox as failed",
                      self.url, len(seqs), status, reason)
            outbox.failed(seqs, f"HTTP {status}: {reason}")
        return True

    def _post(self, body: bytes, key: str | None) -> tuple[int, str]:
        """POST one batch: ``(status, reason)`` for a final answer; raises :class:`_Retry` otherwise."""
        headers = {"Content-Type": "application/json", "User-Agent": f"analytics-identity/{__version__}"}
        if key:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return response.status, ""
        except urllib.error.HTTPError as error:
            reason = error.read(300).decode("utf-8", "replace").strip() or str(error.reason)
            if error.code in _RETRYABLE or error.code >= 500:
                raise _Retry(f"HTTP {error.code}: {reason}", _retry_after(error.headers.get("Retry-After"))) from None
            return error.code, reason
        except (OSError, ValueError) as error:  # refused, reset, timed out, bad answer
            raise _Retry(str(error) or type(error).__name__) from None
