"""serve --forward: every accepted event reaches a Segment-compatible upstream once, whatever the upstream does."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from analytics_identity.server.collector import MAX_EVENT_BYTES
from analytics_identity.server.forwarder import MAX_BATCH_BYTES
from analytics_identity.instants import iso_timestamp as iso
from analytics_identity.server.outbox import upstream_event
from analytics_identity.server.process import ServerProcess
from tests.unit.test_collector import event
from tests.upstream import Upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    stand_in = Upstream().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def collector(tmp_path: Path, static_dir: Path, upstream: Upstream) -> Iterator[ServerProcess]:  # noqa: F811
    """The collector relaying to the stand-in, not started; stopped (if running) at the end."""
    server = ServerProcess(static_dir, tmp_path / "events.sqlite3", quiet=True,
                           options=["--forward", upstream.url, "--forward-timeout", "1"])
    yield server
    server.stop()


def send(url: str, events: list[dict], write_key: str, per_request: int = 50) -> None:
    for i in range(0, len(events), per_request):
        body = {"batch": events[i:i + per_request], "writeKey": write_key}
        answer = httpx.post(url + "/v1/batch", json=body, timeout=30)
        assert answer.status_code == 200, answer.text


def outbox(db: Path) -> list[tuple[int, str | None]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT seq, failed FROM outbox").fetchall()


def test_everything_is_delivered_exactly_once_through_failures_time_outs_and_restarts(
        collector: ServerProcess, upstream: Upstream) -> None:
    sent: dict[str, str] = {}  # messageId -> write key

    def batch(prefix: str, count: int, key: str, size: int = 0) -> None:
        events = [event(f"{prefix}-{n}", properties={"pad": "x" * size}) for n in range(count)]
        sent.update({e["messageId"]: key for e in events})
        send(collector.url, events, key, 10 if size else 50)

    # The upstream fails, hangs past the time-out, and rate-limits before it takes anything.
    upstream.plan = ["500", "hang", "429", "307"]
    collector.start()
    batch("a", 120, "key-1")
    batch("b", 60, "key-2")
    batch("big", 40, "key-1", size=MAX_EVENT_BYTES - 1000)  # 1.2 MB: three batches at least
    assert set(upstream.wait_for(set(sent))) == set(sent)

    # The upstream goes away; events wait in the outbox while the collector itself restarts.
    upstream.stop()
    batch("c", 80, "key-2")
    time.sleep(1)  # a few refused attempts
    collector.stop()
    upstream.start()
    collector.start()
    assert set(upstream.wait_for(set(sent))) == set(sent)

    # A restart of the collector right behind a burst: what was in flight is answered before it exits.
    batch("d", 300, "key-1")
    collector.stop()
    collector.start()
    deliveries = upstream.wait_for(set(sent))
    collector.stop()

    assert set(deliveries) == set(sent) and set(deliveries.values()) == {1}
    assert {"500", "hang", "429", "307"} <= set(upstream.answers)
    for taken in upstream.taken:
        assert taken.size <= MAX_BATCH_BYTES
        assert {sent[e["messageId"]] for e in taken.events} == {taken.write_key}  # each batch: one key, as auth
        assert all("receivedAt" not in e for e in taken.events)
    assert sum(1 for taken in upstream.taken if any(e["messageId"].startswith("m-big") for e in taken.events)) >= 3
    assert outbox(collector.db) == []


def test_an_event_the_upstream_refuses_for_good_is_kept_as_failed_and_the_rest_goes_on(
        collector: ServerProcess, upstream: Upstream) -> None:
    upstream.plan = ["400", "ok", "400", "ok"]  # the batch, then its events one by one
    collector.start()
    send(collector.url, [event("one"), event("bad"), event("three")], "key-1")
    assert upstream.wait_for({"m-one", "m-three"}) == {"m-one": 1, "m-three": 1}
    send(collector.url, [event("later")], "key-1")
    assert upstream.wait_for({"m-later"})["m-later"] == 1
    stored = {e["messageId"] for e in httpx.get(collector.url + "/api/events").json()}
    assert stored == {"m-one", "m-bad", "m-three", "m-later"}
    collector.stop()
    assert [failed for _, failed in outbox(collector.db)] == [
        'HTTP 400: {"success":false,"error":"stand-in says 400"}']


def test_without_forward_nothing_is_queued(tmp_path: Path, static_dir: Path) -> None:  # noqa: F811
    db = tmp_path / "events.sqlite3"
    with ServerProcess(static_dir, db, quiet=True) as server:
        send(server.url, [event(1)], "k")
    assert outbox(db) == []


def test_sent_at_moves_on_by_the_time_the_event_waited() -> None:
    """The upstream computes receivedAt - (sentAt - timestamp): the event keeps its own time."""
    received = datetime(2026, 11, 28, 12, 0, 5, tzinfo=timezone.utc)
    stored = json.dumps({**event(1), "timestamp": "2026-11-28T12:00:00.000Z", "sentAt": "2026-11-28T12:00:02.000Z",
                         "writeKey": "k", "receivedAt": iso(received)})
    key, text = upstream_event(stored, received + timedelta(hours=3))
    relayed = json.loads(text)
    assert key == "k" and "receivedAt" not in relayed
    assert relayed["sentAt"] == "2026-11-28T15:00:02.000Z" and relayed["timestamp"] == "2026-11-28T12:00:00.000Z"
    assert len(text) < len(stored)
    _, text = upstream_event(json.dumps({**event(2), "sentAt": "yesterday", "receivedAt": iso(received)}), received)
    assert "sentAt" not in json.loads(text)
