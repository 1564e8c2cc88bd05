"""The collector: bad requests answered 4xx, every event stored exactly once."""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():  # Starlette nudges towards httpx2; httpx is what the project pins
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from analytics_identity.api.client import Analytics
from analytics_identity.delivery import Network
from analytics_identity.host import MemoryHost
from analytics_identity.server.app import create_app
from analytics_identity.server.collector import MAX_BODY_BYTES, MAX_EVENT_BYTES
from analytics_identity.server.outbox import upstream_event
from analytics_identity.server.process import ServerProcess
from analytics_identity.delivery.urllib_transport import UrllibTransport

ROOT = Path(__file__).resolve().parents[2]
#: Events are readable from this machine only (see test_collector_access).
LOCAL = "http://127.0.0.1:8000"


def event(n: int | str, kind: str = "track", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": kind, "messageId": f"m-{n}", "anonymousId": "anon-1", "userId": None,
                            "timestamp": "2026-11-28T12:00:00.000Z", "context": {}, "properties": {}}
    if kind == "track":
        base["event"] = "E"
    return {**base, **extra}


@pytest.fixture
def client(tmp_path: Path, static_dir: Path) -> Iterator[TestClient]:
    app = create_app(static_dir, ROOT / "web" / "demo", tmp_path / "events.sqlite3")
    with TestClient(app, base_url=LOCAL, client=("127.0.0.1", 50000)) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: Any, content_type: str = "text/plain") -> httpx.Response:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, content=data, headers={"Content-Type": content_type})


def test_each_type_endpoint_and_both_content_types(client: TestClient) -> None:
    for n, (code, kind) in enumerate({"t": "track", "p": "page", "i": "identify", "g": "group",
                                      "a": "alias", "s": "screen"}.items()):
        extra = {"groupId": "g"} if kind == "group" else {"previousId": "p", "userId": "u"} if kind == "alias" else {}
        answer = post(client, f"/v1/{code}", event(n, kind, **extra), "text/plain" if n % 2 else "application/json")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"success": True, "received": 1, "stored": 1}
    stored = client.get("/api/events").json()
    assert [e["type"] for e in stored] == ["screen", "alias", "group", "identify", "page", "track"]


def test_batch_endpoints(client: TestClient) -> None:
    answer = post(client, "/v1/b", {"batch": [event(1), event(2, "page")], "writeKey": "k", "sentAt": "x"})
    assert answer.json()["stored"] == 2
    answer = post(client, "/v1/batch", {"batch": [event(3, "identify", userId="u")], "context": {"ip": "1.2.3.4"}})
    assert answer.json()["stored"] == 1
    newest = client.get("/api/events?limit=1").json()[0]
    assert newest["messageId"] == "m-3" and newest["context"] == {"ip": "127.0.0.1"}  # its own, with the address
    assert client.get("/api/events?limit=5").json()[-1]["writeKey"] == "k"


def test_each_message_id_is_stored_once(client: TestClient) -> None:
    for _ in range(3):
        post(client, "/v1/t", event(1))
    assert post(client, "/v1/b", {"batch": [event(1), event(2)]}).json() == {"success": True, "received": 2, "stored": 1}
    assert len(client.get("/api/events").json()) == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v1/t", "{not json", 400, "not valid JSON"),
        ("/v1/t", b"\xff\xfe", 400, "not valid JSON"),
        ("/v1/t", "[1, 2]", 400, "must be a JSON object"),
        ("/v1/t", "[" * 100_000 + "]" * 100_000, 400, ""),
        ("/v1/t", {**event(1), "messageId": None}, 400, "messageId is required"),
        ("/v1/t", {**event(1), "anonymousId": None}, 400, "anonymousId or userId is required"),
        ("/v1/t", {**event(1), "event": None}, 400, "event is required"),
        ("/v1/t", {**event(1), "messageId": 5}, 400, "messageId must be a string"),
        ("/v1/t", {**event(1), "properties": [1]}, 400, "properties must be an object"),
        ("/v1/t", {**event(1), "type": "page"}, 400, "page event was sent to the track endpoint"),
        ("/v1/t", {**event(1), "type": "purchase"}, 400, "unknown event type"),
        ("/v1/g", event(1, "group"), 400, "groupId is required"),
        ("/v1/a", event(1, "alias"), 400, "previousId is required"),
        ("/v1/b", {"batch": []}, 400, "non-empty list"),
        ("/v1/b", {"batch": "x"}, 400, "non-empty list"),
        ("/v1/b", {"batch": [event(1), 7]}, 400, "batch[1]: each event must be a JSON object"),
        ("/v1/b", {"batch": [event(1), {**event(2), "type": None}]}, 400, "batch[1]: unknown event type"),
        ("/v1/x", event(1), 404, "unknown endpoint"),
        ("/v1/t", {**event(1), "properties": {"a": "x" * MAX_EVENT_BYTES}}, 413, f"at most {MAX_EVENT_BYTES} bytes"),
        ("/v1/b", {"batch": [event(1, properties={"a": "x" * MAX_BODY_BYTES})]}, 413, f"at most {MAX_BODY_BYTES} bytes"),
    ],
)
def test_bad_requests_get_a_clear_4xx(client: TestClient, path: str, body: Any, status: int, message: str) -> None:
    answer = post(client, path, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["success"] is False and message in answer.json()["error"]
    assert client.get("/api/events").json() == []


def test_a_body_too_large_is_refused_before_it_is_read(client: TestClient) -> None:
    answer = client.post("/v1/t", content=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413


def test_query_filters(client: TestClient) -> None:
    post(client, "/v1/b", {"batch": [
        event(1, anonymousId="a1"), event(2, "identify", anonymousId="a1", userId="u1"),
        event(3, anonymousId="a2"), event(4, "page", anonymousId="a1", userId="u1"),
    ]})
    ids = lambda query: [e["messageId"] for e in client.get(f"/api/events?{query}").json()]  # noqa: E731
    assert ids("anonymousId=a1") == ["m-4", "m-2", "m-1"]
    assert ids("userId=u1&type=page") == ["m-4"]
    assert ids("limit=2") == ["m-4", "m-3"]
    assert client.get("/api/events?limit=zero").status_code == 400
    assert client.get("/api/events?limit=0").status_code == 400


def test_cors_lets_another_origin_send(client: TestClient) -> None:
    preflight = client.options("/v1/t", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    })
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = client.post("/v1/t", content=json.dumps(event(1)), headers={"Origin": "https://shop.example"})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in answer.headers["access-control-expose-headers"].lower()


# -- a real server ------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path, static_dir: Path) -> Iterator[str]:
    with ServerProcess(static_dir, tmp_path / "burst.sqlite3", quiet=True) as server:
        yield server.url


def test_a_burst_of_10000_events_from_8_clients_is_stored_exactly_once(served: str) -> None:
    clients, per_client, batch_size = 8, 1250, 25
    failures: list[str] = []
    requests = [0] * clients

    def client(c: int) -> None:
        with httpx.Client(base_url=served, timeout=30) as http:
            events = [event(f"{c}-{n}", anonymousId=f"anon-{c}") for n in range(per_client)]
            # Most in batches, some one by one, and a tenth sent twice (as a retry would).
            singles, batched = events[:50], events[50:]
            for e in singles + events[:125]:
                answer = http.post("/v1/t", content=json.dumps(e), headers={"Content-Type": "text/plain"})
                requests[c] += 1
                if answer.status_code != 200:
                    failures.append(answer.text)
            for i in range(0, len(batched), batch_size):
                body = {"batch": batched[i:i + batch_size], "writeKey": "k", "sentAt": "2026-11-28T12:00:00.000Z"}
                answer = http.post("/v1/b", content=json.dumps(body))
                requests[c] += 1
                if answer.status_code != 200:
                    failures.append(answer.text)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert failures == []
    stored = httpx.get(served + "/api/events?limit=10000", timeout=30).json()
    ids = [e["messageId"] for e in stored]
    assert len(ids) == len(set(ids)) == clients * per_client
    assert set(ids) == {f"m-{c}-{n}" for c in range(clients) for n in range(per_client)}
    print(f"\n10,000 events (8 clients, {sum(requests)} requests, 1,000 resends) stored once in {elapsed:.2f} s: "
          f"{clients * per_client / elapsed:.0f} events/s")


def test_python_programs_can_post_for_real(served: str) -> None:
    host = served.split("://")[1]
    analytics = Analytics(MemoryHost(), "py-key", {"apiHost": host + "/v1", "protocol": "http"},
                          Network(UrllibTransport()))
    analytics.identify("py-user", {"plan": "pro"})
    analytics.track("From Python")
    assert analytics.delivery.pending == []
    stored = httpx.get(served + "/api/events?userId=py-user").json()
    assert [e["type"] for e in stored] == ["track", "identify"] and stored[0]["writeKey"] == "py-key"


def _stored(client: TestClient, n: str) -> dict[str, Any]:
    return next(e for e in client.get("/api/events?limit=100").json() if e["messageId"] == f"m-{n}")


def test_an_event_without_an_address_gets_the_request_s(client: TestClient) -> None:
    post(client, "/v1/t", event("with-address"))
    assert _stored(client, "with-address")["context"]["ip"] == "127.0.0.1"


def test_an_anonymized_event_stores_no_client_address_anywhere(client: TestClient) -> None:
    post(client, "/v1/t", event("anonymized", context={"ip": "0.0.0.0", "page": {"path": "/"}}))
    post(client, "/v1/b", {"batch": [event("anonymized-batch", context={"ip": "0.0.0.0"})]})
    for n in ("anonymized", "anonymized-batch"):
        kept = _stored(client, n)
        assert kept["context"]["ip"] == "0.0.0.0" and "127.0.0.1" not in json.dumps(kept)


def test_an_address_the_event_names_is_kept(client: TestClient) -> None:
    post(client, "/v1/t", event("server-side", context={"ip": "203.0.113.9"}))
    assert _stored(client, "server-side")["context"]["ip"] == "203.0.113.9"


def test_sec_gpc_is_recorded_with_each_event_of_the_request(client: TestClient) -> None:
    headers = {"Content-Type": "text/plain", "Sec-GPC": "1"}
    client.post("/v1/t", content=json.dumps(event("gpc-single")), headers=headers)
    client.post("/v1/b", content=json.dumps({"batch": [event("gpc-a"), event("gpc-b", "page")]}), headers=headers)
    post(client, "/v1/t", event("no-gpc"))
    for n in ("gpc-single", "gpc-a", "gpc-b"):
        assert _stored(client, n)["requestHeaders"] == {"Sec-GPC": "1"}
    assert "requestHeaders" not in _stored(client, "no-gpc")
    relayed = upstream_event(json.dumps(_stored(client, "gpc-single")), datetime.now(timezone.utc))[1]
    assert "requestHeaders" not in json.loads(relayed)  # the collector's record, not part of the event
