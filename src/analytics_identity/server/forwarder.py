"""``serve --forward URL``: relay every accepted event, once, to an engine speaking Segment's HTTP API.

Segment, RudderStack's data plane and Jitsu take ``POST …/v1/batch`` with
``{"batch": [...], "writeKey", "sentAt"}`` and the write key as Basic auth
user name. One thread reads the durable outbox (:mod:`.outbox`) oldest first
and sends batches of one write key within Segment's limits (500 KB a
request; each event is at most 32 KB, checked when it was accepted), with
the CPython transport and the answer policy the browser's delivery uses
(:mod:`analytics_identity.delivery.policy`):

- 2xx: the batch leaves the outbox, so it is never sent again, across
  restarts too (the server stops the thread only after the request in
  flight has its answer).
- No answer (refused, reset, timed out), a redirect (give ``--forward`` the
  final URL), 408, 425, 429 or 5xx: the same batch is retried after a
  back-off (1 s doubling to 5 min, jittered; ``Retry-After`` honoured). A
  time-out may hide a batch the upstream did take: it is sent again with
  the same ``messageId``s, which these engines deduplicate on.
- 400 or 413 for a batch: its events are sent one by one, so one bad event
  does not hold back the others.
- Any other 4xx, or 400/413 for one event: the upstream will never take it;
  it stays in the outbox marked with the reason, and the rest goes on.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from datetime import datetime, timezone

from ..version import __version__
from ..delivery.policy import DONE, DROP, SPLIT, classify, retry_delay
from ..delivery.transport import Reply, Request, basic_auth
from ..delivery.urllib_transport import UrllibTransport
from ..instants import iso_timestamp
from .outbox import Outbox, upstream_event

__all__ = ["MAX_BATCH_BYTES", "Forwarder"]

log = logging.getLogger(__name__)

#: Segment's batch limit, which the collector applies to the bodies it takes too.
MAX_BATCH_BYTES = 500 * 1024
#: Rows looked at per batch; each is a few hundred bytes at least, so 500 KB needs no more.
_ROWS = 2000
#: With nothing queued, look at the outbox this often anyway (new events also wake the thread).
_IDLE_POLL = 5.0


class _Retry(Exception):
    """The upstream may take the batch later."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"HTTP {reply.status}: {reply.error}" if reply.status else reply.error or "no answer")
        self.reply = reply


class Forwarder:
    """The relay thread: ``start()``, ``wake()`` when events were stored, ``stop()`` at shutdown."""

    def __init__(self, db_path: str, url: str, *, timeout: float = 15.0) -> None:
        self.url = url
        self.timeout = timeout
        self._db_path = db_path
        self._transport = UrllibTransport(timeout)
        self._rng = random.Random()
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
        attempts = 0
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    sent = self._forward_once(outbox)
                except Exception as error:  # noqa: BLE001 - the thread must outlive any failure
                    attempts += 1
                    reply = error.reply if isinstance(error, _Retry) else Reply(0, None, repr(error))
                    wait = retry_delay(reply, attempts, self._rng)
                    log.warning("forwarding to %s failed (%s); retrying in %.1f s", self.url, error, wait)
                    self._stop.wait(wait)
                    continue
                if sent:
                    attempts = 0
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
        key = upstream_event(rows[0][1], now)[0]
        envelope = f'],"writeKey":{json.dumps(key)},"sentAt":"{iso_timestamp(now)}"}}'
        size = len('{"batch":[') + len(envelope.encode())
        seqs, texts = [], []
        for seq, stored in rows:
            event_key, text = upstream_event(stored, now)
            if event_key != key:
                continue
            length = len(text.encode()) + (1 if texts else 0)
            if size + length > MAX_BATCH_BYTES:
                break
            seqs.append(seq)
            texts.append(text)
            size += length
        reply = self._post(texts, key, envelope)
        if classify(reply, len(seqs)) == SPLIT:
            for seq, text in zip(seqs, texts):
                self._settle(outbox, [seq], self._post([text], key, envelope))
        else:
            self._settle(outbox, seqs, reply)
        return True

    def _post(self, texts: list[str], key: str | None, envelope: str) -> Reply:
        headers = {"Content-Type": "application/json", "User-Agent": f"analytics-identity/{__version__}"}
        if key:  # Basic auth as the browser's delivery sends it
            headers["Authorization"] = basic_auth(key)
        replies: list[Reply] = []
        self._transport.send(Request(self.url, '{"batch":[' + ",".join(texts) + envelope, headers), replies.append)
        return replies[0]

    def _settle(self, outbox: Outbox, seqs: list[int], reply: Reply) -> None:
        """Delivered, refused for good, or (raising :class:`_Retry`) to be tried again."""
        outcome = classify(reply, len(seqs))
        if outcome == DONE:
            outbox.delivered(seqs)
        elif outcome == DROP:
            reason = f"HTTP {reply.status}: {reply.error.strip()}"
            log.error("the upstream %s refused %d events for good (%s); kept in the outbox as failed",
                      self.url, len(seqs), reason)
            outbox.failed(seqs, reason)
        else:
            raise _Retry(reply)
