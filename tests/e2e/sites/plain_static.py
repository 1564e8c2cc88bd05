"""The build served as a plain Starlette app would: ``StaticFiles``, no compression, no
``Cache-Control``, and a page with the snippet. It counts what it serves (``/served``)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(os.environ["SITE_STATIC"])
COLLECTOR = os.environ["SITE_COLLECTOR"]  # http://127.0.0.1:PORT
PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain</title>
<script src="/static/analytics/snippet.js"></script>
<script>analytics.load("site-key", {{apiHost: "{COLLECTOR.split("://", 1)[1]}/v1", protocol: "http"}});
analytics.page();</script></head><body><p>A plain page.</p></body></html>"""

#: (path, status) → responses; path → body bytes sent.
responses: Counter[tuple[str, int]] = Counter()
body_bytes: Counter[str] = Counter()


class Count:
    """Counts every response and the bytes of its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/served", "/healthz"):
            return await self.app(scope, receive, send)
        path = scope["path"]

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                responses[(path, message["status"])] += 1
            elif message["type"] == "http.response.body":
                body_bytes[path] += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counted)


async def home(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


async def served(request: Request) -> JSONResponse:
    return JSONResponse([[path, status, count, body_bytes[path]] for (path, status), count in responses.items()])


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Count(Starlette(routes=[
    Route("/", home), Route("/served", served), Route("/healthz", health),
    Mount("/static/analytics", StaticFiles(directory=STATIC)),
]))
