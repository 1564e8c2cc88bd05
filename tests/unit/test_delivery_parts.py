"""The delivery's pure parts: the queue item, the reply policy, batching."""

from __future__ import annotations

import json
import random

import pytest

from analytics_identity.delivery import Endpoint, Reply, Strategy
from analytics_identity.delivery.batching import ready, requests_for
from analytics_identity.delivery.item import QueueItem
from analytics_identity.delivery.policy import DONE, DROP, RETRY, SPLIT, classify, parse_retry_after, retry_delay

NOW = 1_800_000_000.0


def item(n: int, **event: object) -> QueueItem:
    return QueueItem.new({"type": "track", "event": "E", **event}, f"m{n}", "tab", NOW)


def test_an_item_carries_its_json_and_is_stored_with_it() -> None:
    queued = item(1, properties={"a": [1, 2]})
    assert json.loads(queued.json) == {"type": "track", "event": "E", "properties": {"a": [1, 2]}, "messageId": "m1"}
    stored = json.loads(queued.stored())
    assert stored == {"id": "m1", "attempts": 0, "queued": NOW, "due": NOW, "owner": "tab",
                      "event": json.loads(queued.json)}
    again = QueueItem.from_stored(stored)
    assert again is not None and again.event == queued.event and again.json == queued.json
    assert QueueItem.from_stored({**stored, "attempts": "1"}) is None and QueueItem.from_stored([]) is None


@pytest.mark.parametrize(("status", "count", "outcome"), [
    (200, 1, DONE), (204, 3, DONE), (400, 3, SPLIT), (413, 2, SPLIT), (400, 1, DROP), (404, 1, DROP),
    (0, 1, RETRY), (302, 1, RETRY), (408, 1, RETRY), (425, 1, RETRY), (429, 1, RETRY), (500, 4, RETRY),
])
def test_one_policy_classifies_every_reply(status: int, count: int, outcome: str) -> None:
    assert classify(Reply(status), count) == outcome


def test_retry_after_is_parsed_once_for_every_transport() -> None:
    assert parse_retry_after(" 30 ", NOW) == 30.0
    assert parse_retry_after("Fri, 15 Jan 2027 08:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Fri, 15 Jan 2027 07:00:00 GMT", NOW) == 0.0  # in the past: now
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None
    assert retry_delay(Reply(429, 30.0), 1, random.Random(1)) == 30.0
    assert retry_delay(Reply(500, 30.0), 1, random.Random(1)) < 1.0  # only 429 and 503 say when


def test_batches_split_by_count_and_bytes_and_a_solo_item_goes_alone() -> None:
    endpoint = Endpoint("https", "api.test/v1", "K")
    items = [item(n) for n in range(5)]
    items[2].solo = True
    batches = [ids for _, ids in requests_for(items, Strategy(batching=True, size=2), endpoint, "T", 10_000)]
    assert batches == [["m0", "m1"], ["m2"], ["m3", "m4"]]
    small = [ids for _, ids in requests_for(items[:2], Strategy(batching=True), endpoint, "T", items[0].size)]
    assert small == [["m0"], ["m1"]]
    (request, _), = requests_for(items[:1], Strategy(), endpoint, "T", 10_000)
    assert request.url == "https://api.test/v1/t" and json.loads(request.body)["sentAt"] == "T"
    assert not ready(items[:1], Strategy(batching=True, timeout=5), NOW + 1, force=False)
    assert ready(items[:1], Strategy(batching=True, timeout=5), NOW + 5, force=False)
