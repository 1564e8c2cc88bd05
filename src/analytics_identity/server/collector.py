"""The collector endpoints: Segment's browser and HTTP API bodies, checked.

Every bad request gets a 4xx with a message saying what is wrong (never a
500); only a well-formed event is stored, and each ``messageId`` only once,
so clients may resend freely. Bodies are JSON whatever the Content-Type says
(browsers send ``text/plain`` to avoid a CORS preflight). Limits, as
Segment's: :data:`MAX_BODY_BYTES` a request, :data:`MAX_EVENT_BYTES` an event.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .eventstore import EventStore

__all__ = ["MAX_BODY_BYTES", "Collector", "validate_event"]

#: Segment's own limits: 32 KB an event, 500 KB a batch request.
MAX_BODY_BYTES = 500 * 1024
MAX_EVENT_BYTES = 32 * 1024
TYPES = {"t": "track", "p": "page", "i": "identify", "g": "group", "a": "alias", "s": "screen"}
_TYPE_NAMES = {*TYPES.values()}
_STRING_FIELDS = ("messageId", "anonymousId", "userId", "event", "groupId", "previousId", "timestamp", "sentAt")
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
    if len(json.dumps(event).encode()) > MAX_EVENT_BYTES:
        raise BadRequest(f"an event may be at most {MAX_EVENT_BYTES} bytes", 413)
    return {**event, "type": kind}


def _in_batch(index: int, event: Any) -> dict[str, Any]:
    try:
        return validate_event(event)
    except BadRequest as error:
        raise BadRequest(f"batch[{index}]: {error}", error.status) from None


class Collector:
    """``POST /v1/{t,p,i,g,a,s}``, ``/v1/b``, ``/v1/batch`` and ``GET /api/events``."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def _body(self, request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise BadRequest(f"the body may be at most {MAX_BODY_BYTES} bytes", 413)
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                raise BadRequest(f"the body may be at most {MAX_BODY_BYTES} bytes", 413)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise BadRequest(f"the body is not valid JSON: {error}") from None
        except RecursionError:
            raise BadRequest("the body is nested too deeply") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body

    async def ingest(self, request: Request) -> JSONResponse:
        endpoint = request.path_params["endpoint"]
        try:
            body = await self._body(request)
            if endpoint in ("b", "batch"):
                batch = body.get("batch")
                if not isinstance(batch, list) or not batch:
                    raise BadRequest("batch must be a non-empty list of events")
                defaults = {k: v for k, v in body.items() if k in ("context", "integrations", "writeKey", "sentAt")}
                events = [_in_batch(i, {**defaults, **e} if isinstance(e, dict) else e) for i, e in enumerate(batch)]
            elif endpoint in TYPES:
                events = [validate_event(body, TYPES[endpoint])]
            else:
                raise BadRequest(f"unknown endpoint /v1/{endpoint}", 404)
        except BadRequest as error:
            return JSONResponse({"success": False, "error": str(error)}, status_code=error.status)
        try:
            stored = self.store.add(events)
        except sqlite3.Error as error:  # disk full, database locked: the client retries later
            return JSONResponse({"success": False, "error": f"the event store is unavailable: {error}"},
                                status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"success": True, "received": len(events), "stored": stored})

    async def events(self, request: Request) -> JSONResponse:
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
        return JSONResponse(events, headers={"Cache-Control": "no-store"})
