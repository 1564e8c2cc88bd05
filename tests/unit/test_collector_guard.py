"""The collector's guards: who reads, which write keys send, and no event that cannot be read back."""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():  # Starlette nudges towards httpx2; httpx is what the project pins
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from analytics_identity.server.access import READ_TOKEN_ENV
from analytics_identity.server.app import create_app
from analytics_identity.server.eventstore import EventStore
from analytics_identity.server.process import ServerProcess
from tests.unit.test_collector import LOCAL, ROOT, event, post

Client = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path, static_dir: Path) -> Iterator[Client]:
    clients: list[TestClient] = []

    def make(base_url: str = LOCAL, client: tuple[str, int] = ("127.0.0.1", 50000), **options: Any) -> TestClient:
        app = create_app(static_dir, ROOT / "web" / "demo", tmp_path / "events.sqlite3", **options)
        test_client = TestClient(app, base_url=base_url, client=client)
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


# -- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("base_url", "client", "headers", "status"), [
    (LOCAL, ("127.0.0.1", 1), {}, 200),
    ("http://localhost:8000", ("::1", 1), {}, 200),
    (LOCAL, ("192.0.2.7", 1), {}, 403),  # another machine
    ("http://shop.example:8000", ("127.0.0.1", 1), {}, 403),  # DNS rebinding: a foreign name on this machine
    (LOCAL, ("127.0.0.1", 1), {"X-Forwarded-For": "198.51.100.1"}, 403),  # a proxy on this machine
    (LOCAL, ("127.0.0.1", 1), {"Forwarded": "for=198.51.100.1"}, 403),
])
def test_without_a_read_token_only_this_machine_reads(
        make_client: Client, base_url: str, client: tuple[str, int], headers: dict[str, str], status: int) -> None:
    answer = make_client(base_url, client).get("/api/events", headers=headers)
    assert answer.status_code == status, answer.text
    if status == 403:
        assert "--read-token" in answer.json()["error"]


def test_with_a_read_token_only_its_bearer_reads_from_anywhere(make_client: Client) -> None:
    remote = make_client("https://collector.example", ("192.0.2.7", 1), read_token="s3cret")
    local = make_client(read_token="s3cret")
    assert remote.get("/api/events", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    for client, headers in ((local, {}), (remote, {"Authorization": "Bearer wrong"}),
                            (remote, {"Authorization": "Basic czNjcmV0Og=="})):
        answer = client.get("/api/events", headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


def test_the_read_token_may_come_from_the_environment(make_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(READ_TOKEN_ENV, "from-env")
    client = make_client()
    assert client.get("/api/events").status_code == 401
    assert client.get("/api/events", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_events_are_sent_cross_origin_but_never_read_cross_origin(make_client: Client) -> None:
    client = make_client()
    sent = client.post("/v1/t", content=json.dumps(event(1)), headers={"Origin": "https://shop.example"})
    assert sent.headers["access-control-allow-origin"] == "*"
    read = client.get("/api/events", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in read.headers


# -- writing ---------------------------------------------------------------------------------


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_write_keys_restrict_what_is_accepted(make_client: Client) -> None:
    client = make_client(write_keys=["site-key", "server-key"])
    assert post(client, "/v1/t", {**event(1), "writeKey": "site-key"}).status_code == 200
    answer = client.post("/v1/batch", content=json.dumps({"batch": [event(2)]}), headers=basic("server-key"))
    assert answer.status_code == 200
    refused = [
        post(client, "/v1/t", {**event(3), "writeKey": "other"}),
        post(client, "/v1/t", event(4)),
        client.post("/v1/batch", content=json.dumps({"batch": [event(5)]}), headers=basic("other")),
        post(client, "/v1/b", {"batch": [event(6), {**event(7), "writeKey": "other"}], "writeKey": "site-key"}),
    ]
    assert [answer.status_code for answer in refused] == [401] * 4
    assert "not accepted" in refused[0].json()["error"] and "required" in refused[1].json()["error"]
    assert refused[3].json()["error"].startswith("batch[1]: ")
    stored = client.get("/api/events").json()
    assert [(e["messageId"], e["writeKey"]) for e in stored] == [("m-2", "server-key"), ("m-1", "site-key")]


def test_gzipped_bodies_are_read_and_bombs_refused(make_client: Client) -> None:
    client = make_client()
    body = gzip.compress(json.dumps({"batch": [event(1)]}).encode())
    assert client.post("/v1/batch", content=body, headers={"Content-Encoding": "gzip"}).json()["stored"] == 1
    bomb = gzip.compress(b" " * 10_000_000)
    assert client.post("/v1/batch", content=bomb, headers={"Content-Encoding": "gzip"}).status_code == 413
    assert client.post("/v1/batch", content=b"nope", headers={"Content-Encoding": "gzip"}).status_code == 400


# -- nothing poisons the store -----------------------------------------------------------------


@pytest.mark.parametrize(("body", "reason"), [
    ('{"type":"track","messageId":"m-x","anonymousId":"a","event":"E","properties":{"name":"\\ud800"}}',
     "properties.name holds a lone UTF-16 surrogate"),
    ('{"type":"track","messageId":"m-x","anonymousId":"a","event":"cut \\ud83d"}', "event.event holds a lone"),
    ('{"type":"track","messageId":"m-x","anonymousId":"a","event":"E","traits":{"\\udc00":1}}', "a key in"),
    ('{"type":"track","messageId":"m-x","anonymousId":"a","event":"E","properties":{"n":NaN}}', "NaN is not JSON"),
    ('{"type":"track","messageId":"m-x","anonymousId":"a","event":"E","properties":{"n":-Infinity}}', "not JSON"),
    ('{"type":"track","messageId":"m-x","anonymousId":"a","event":"E","properties":' + '{"a":' * 80 + "1"
     + "}" * 81, "nested more than 64 levels"),
])
def test_what_cannot_be_read_back_is_refused_with_the_reason(make_client: Client, body: str, reason: str) -> None:
    client = make_client()
    answer = client.post("/v1/t", content=body)
    assert answer.status_code == 400 and reason in answer.json()["error"], answer.text
    batch = client.post("/v1/b", content='{"batch":[' + body + "]}")
    assert batch.status_code == 400 and reason in batch.json()["error"]
    post(client, "/v1/t", event(1))
    assert [e["messageId"] for e in client.get("/api/events").json()] == ["m-1"]


def test_whatever_is_accepted_reads_back_exactly(make_client: Client) -> None:
    client = make_client()
    properties = {"emoji": "😀 whole", "escapes": "\u2028\u0000\"\\", "big": 10**30, "float": 0.1,
                  "deep": json.loads('{"a":' * 60 + "1" + "}" * 60), "unicode key é": [None, True]}
    assert post(client, "/v1/t", event(1, properties=properties)).status_code == 200
    (stored,) = client.get("/api/events").json()
    assert stored["properties"] == properties and stored["receivedAt"].endswith("Z")


def test_events_stored_by_an_earlier_version_that_cannot_be_read_back_are_removed(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The store as the previous version left it: ASCII-escaped bodies, receivedAt in its own column."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL, anonymous_id TEXT, user_id TEXT, received_at TEXT NOT NULL, body TEXT NOT NULL);""")
    rows = [json.dumps(event(1, properties={"name": "\ud800"})), json.dumps(event(2, properties={"x": float("nan")})),
            json.dumps(event(3, properties={"é": "ü"}))]
    db.executemany("INSERT INTO events (message_id, type, received_at, body) VALUES (?, 'track', ?, ?)",
                   [(f"m-{n}", "2026-11-28T12:00:00.000Z", body) for n, body in enumerate(rows, 1)])
    db.commit()
    db.close()
    (kept,) = json.loads(EventStore(path).query())
    assert kept["messageId"] == "m-3" and kept["properties"] == {"é": "ü"}
    assert kept["receivedAt"] == "2026-11-28T12:00:00.000Z"
    assert "removed 2 stored events" in capfd.readouterr().err
    assert json.loads(EventStore(path).query()) == [kept]  # upgraded once


def test_the_demo_live_view_survives_a_poisoned_send(tmp_path: Path, static_dir: Path) -> None:
    """The reported case, on the real server: one surrogate event, then the live view's read."""
    with ServerProcess(static_dir, tmp_path / "events.sqlite3", quiet=True) as server:
        poisoned = '{"type":"track","messageId":"p","anonymousId":"a","event":"E","properties":{"s":"\\ud800"}}'
        assert httpx.post(server.url + "/v1/t", content=poisoned).status_code == 400
        assert httpx.post(server.url + "/v1/t", content=json.dumps(event(1))).status_code == 200
        answer = httpx.get(server.url + "/api/events?limit=300")
        assert answer.status_code == 200 and [e["messageId"] for e in answer.json()] == ["m-1"]
