"""The collector endpoints: Segment's browser and HTTP API bodies, checked.

Every bad request gets a 4xx with a message saying what is wrong (never a
500); only a well-formed event that reads back as sent (:mod:`.faithful`)
is stored, and each ``messageId`` only once, so clients may resend freely.
Bodies are JSON whatever the Content-Type says (browsers send ``text/plain``
to avoid a CORS preflight), gzipped when ``Content-Encoding`` says so (as
server libraries may send them). Limits, as Segment's: :data:`MAX_BODY_BYTES`
a request, :data:`MAX_EVENT_BYTES` an event as stored. Who may read and
write: :mod:`.access`; forwarding: :mod:`.forwarder`.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .access import ReadAccess, WriteKeys, basic_auth_key
from .eventstore import EventStore
from .faithful import FaithfulEvent, Unfaithful, faithful
from .forwarder import MAX_BATCH_BYTES, Forwarder
from ..instants import iso_timestamp
from .privacy import RequestFacts

__all__ = ["MAX_BODY_BYTES", "MAX_EVENT_BYTES", "BadRequest", "Collector", "validate_event"]

#: Segment's own limits: 32 KB an event, 500 KB a batch request.
MAX_BODY_BYTES = MAX_BATCH_BYTES  # Segment's: what the forwarder sends upstream as well
MAX_EVENT_BYTES = 32 * 1024
TYPES = {"t": "track", "p": "page", "i": "identify", "g": "group", "a": "alias", "s": "screen"}
_TYPE_NAMES = {*TYPES.values()}
_STRING_FIELDS = ("messageId", "anonymousId", "userId", "event", "groupId", "previousId", "timestamp", "sentAt",
                  "writeKey")
_OBJECT_FIELDS = ("context", "properties", "traits", "integrations")
_REQUIRED = {"track": ("event",), "group": ("groupId",), "alias": ("previousId", "userId")}


class BadRequest(Exception):
    """A request the collector refuses, with the reason sent back."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def validate_event(event: Any, expected_type: str | None = None) -> dict[str, Any]:
    """Check one event's shape; raise :class:`BadRequest` naming the first fault."""
    if not isinstance(event, dict):
        raise BadRequest("each event must be a JSON object")
    kind = event.get("type", expected_type)
    if kind not in _TYPE_NAMES:
        raise BadRequest(f"unknown event type {kind!r}")
    if expected_type and kind != expected_type:
        raise BadRequest(f"a {kind} event was sent to the {expected_type} endpoint")
    for name in _STRING_FIELDS:
        if event.get(name) is not None and not isinstance(event[name], str):
            raise BadRequest(f"{name} must be a string")
    for name in _OBJECT_FIELDS:
        if event.get(name) is not None and not isinstance(event[name], dict):
            raise BadRequest(f"{name} must be an object")
    if not event.get("messageId"):
        raise BadRequest("messageId is required")
    if not event.get("anonymousId") and not event.get("userId"):
        raise BadRequest("anonymousId or userId is required")
    for name in _REQUIRED.get(kind, ()):
        if not event.get(name):
            raise BadRequest(f"{name} is required for {kind} events")
    return {**event, "type": kind}


def _stored(event: Any, expected_type: str | None, write_keys: WriteKeys, received_at: str,
            request: RequestFacts) -> FaithfulEvent:
    """One event checked for shape, write key, fidelity and size, as it will be stored."""
    event = request.annotate(validate_event(event, expected_type))
    refusal = write_keys.refusal(event.get("writeKey"))
    if refusal:
        raise BadRequest(refusal, 401)
    try:
        stored = faithful(event, received_at)
    except Unfaithful as error:
        raise BadRequest(f"refused, it could not be read back as sent: {error}") from None
    if len(stored.text.encode("utf-8")) > MAX_EVENT_BYTES:
        raise BadRequest(f"an event may be at most {MAX_EVENT_BYTES} bytes", 413)
    return stored


def _json(raw: bytes) -> Any:
    """Strict JSON: ``NaN`` and ``Infinity`` are not JSON (and could never be read back)."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(raw.decode("utf-8"), parse_constant=refuse)


def _inflate(raw: bytes) -> bytes:
    """A gzipped body, inflated no further than the body limit (a small bomb cannot fill memory)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, MAX_BODY_BYTES + 1)
    except zlib.error as error:
        raise BadRequest(f"the body is not valid gzip: {error}") from None
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the body may be at most {MAX_BODY_BYTES} bytes", 413)
    return body


class Collector:
    """``POST /v1/{t,p,i,g,a,s}``, ``/v1/b``, ``/v1/batch`` and ``GET /api/events``."""

    def __init__(self, store: EventStore, read_access: ReadAccess | None = None,
                 write_keys: WriteKeys | None = None, forwarder: Forwarder | None = None) -> None:
        self.store = store
        self.read_access = read_access or ReadAccess()
        self.write_keys = write_keys or WriteKeys()
        self.forwarder = forwarder

    async def _body(self, request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise BadRequest(f"the body may be at most {MAX_BODY_BYTES} bytes", 413)
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                raise BadRequest(f"the body may be at most {MAX_BODY_BYTES} bytes", 413)
        if request.headers.get("content-encoding", "").strip().lower() == "gzip":
            raw = bytearray(_inflate(bytes(raw)))
        try:
            body = _json(raw)
        except (UnicodeDecodeError, ValueError) as error:
            raise BadRequest(f"the body is not valid JSON: {error}") from None
        except RecursionError:
            raise BadRequest("the body is nested too deeply") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body

    async def ingest(self, request: Request) -> JSONResponse:
        endpoint = request.path_params["endpoint"]
        received_at = iso_timestamp(datetime.now(timezone.utc))
        key = basic_auth_key(request)
        facts = RequestFacts.of(request)
        try:
            if endpoint not in TYPES and endpoint not in ("b", "batch"):
                raise BadRequest(f"unknown endpoint /v1/{endpoint}", 404)
            body = await self._body(request)
            if endpoint in TYPES:
                events = [_stored({"writeKey": key, **body} if key else body, TYPES[endpoint], self.write_keys,
                                  received_at, facts)]
            else:
                batch = body.get("batch")
                if not isinstance(batch, list) or not batch:
                    raise BadRequest("batch must be a non-empty list of events")
                defaults = {k: v for k, v in body.items() if k in ("context", "integrations", "writeKey", "sentAt")}
                if key:
                    defaults.setdefault("writeKey", key)
                events = []
                for index, event in enumerate(batch):
                    try:
                        events.append(_stored({**defaults, **event} if isinstance(event, dict) else event, None,
                                              self.write_keys, received_at, facts))
                    except BadRequest as error:
                        raise BadRequest(f"batch[{index}]: {error}", error.status) from None
        except BadRequest as error:
            return JSONResponse({"success": False, "error": str(error)}, status_code=error.status)
        try:
            stored = self.store.add(events, outbox=self.forwarder is not None)
        except sqlite3.Error as error:  # disk full, database locked: the client retries later
            return JSONResponse({"success": False, "error": f"the event store is unavailable: {error}"},
                                status_code=503, headers={"Retry-After": "5"})
        if stored and self.forwarder is not None:
            self.forwarder.wake()
        return JSONResponse({"success": True, "received": len(events), "stored": stored})

    async def events(self, request: Request) -> Response:
        refusal = self.read_access.refusal(request)
        if refusal:
            status, reason = refusal
            return JSONResponse({"error": reason}, status_code=status,
                                headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
        params = request.query_params
        try:
            limit = int(params.get("limit", "100"))
        except ValueError:
            return JSONResponse({"error": "limit must be a whole number"}, status_code=400)
        if not 1 <= limit <= 10000:
            return JSONResponse({"error": "limit must be between 1 and 10000"}, status_code=400)
        events = self.store.query(
            anonymous_id=params.get("anonymousId"),
            user_id=params.get("userId"),
            type=params.get("type"),
            limit=limit,
        )
        return Response(events, media_type="application/json", headers={"Cache-Control": "no-store"})
