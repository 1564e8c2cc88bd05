"""The collector endpoints: Segment's browser and HTTP API bodies, checked.

Every bad request gets a 4xx with a message saying what is wrong; only a
well-formed event is stored, and each ``messageId`` only once.
"""

from __future__ import annotations

import json
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
    if len(json.dumps(event)) > MAX_EVENT_BYTES:
        raise BadRequest(f"an event may be at most {MAX_EVENT_BYTES} bytes", 413)
    return {**event, "type": kind}


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
                events = [validate_event({**defaults, **e} if isinstance(e, dict) else e) for e in batch]
            elif endpoint in TYPES:
                events = [validate_event(body, TYPES[endpoint])]
            else:
                raise BadRequest(f"unknown endpoint /v1/{endpoint}", 404)
        except BadRequest as error:
            return JSONResponse({"success": False, "error": str(error)}, status_code=error.status)
        stored = self.store.add(events)
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
        return JSONResponse(events)
