"""The ASGI application of ``analytics-identity serve``.

Starlette on uvicorn: small, typed, well kept, with the static-file,
CORS and gzip pieces this server needs and nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from .access import ReadAccess, WriteKeys
from .collector import Collector
from .eventstore import EventStore
from .forwarder import Forwarder
from .static import StaticBuild

__all__ = ["create_app"]


def create_app(
    static_dir: Path,
    demo_dir: Path,
    db_path: Path | str,
    mounts: dict[str, Path] | None = None,
    *,
    read_token: str | None = None,
    write_keys: Iterable[str] = (),
    forward: str | None = None,
    forward_timeout: float = 15.0,
) -> Starlette:
    """Demo pages at ``/``, the build at ``/static/analytics/``, the collector at ``/v1``.

    ``mounts`` adds more static folders by URL prefix (tests and benchmarks
    serve analytics-next and their own pages from the same origin this way).
    ``read_token`` and ``write_keys``: :mod:`.access`; ``forward``: the
    upstream's batch URL (:mod:`.forwarder`), relayed from while the app runs.
    """
    store = EventStore(db_path)
    forwarder = Forwarder(store.path, forward, timeout=forward_timeout) if forward else None
    collector = Collector(store, ReadAccess(read_token), WriteKeys(write_keys), forwarder)
    static = StaticBuild(static_dir)
    demo = StaticBuild(demo_dir)
    extra = [
        Route(f"/{prefix.strip('/')}/{{path:path}}", StaticBuild(folder).serve)
        for prefix, folder in (mounts or {}).items()
    ]

    async def index(request: Request) -> Response:
        return FileResponse(demo_dir / "index.html", headers={"Cache-Control": "no-cache"})

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if forwarder:
            forwarder.start()
        try:
            yield
        finally:
            if forwarder:
                forwarder.stop()

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", health),
            # Any origin may send events (and only send them: /api/events has no CORS header);
            # Retry-After is exposed so a 429's wait is readable cross-origin.
            Mount("/v1", routes=[Route("/{endpoint}", collector.ingest, methods=["POST"])], middleware=[
                Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["*"],
                           expose_headers=["Retry-After"], max_age=86400),
            ]),
            Route("/api/events", collector.events),
            Route("/static/analytics/{path:path}", static.serve),
            *extra,
            Route("/{path:path}", demo.serve),
        ],
        middleware=[Middleware(GZipMiddleware, minimum_size=1024)],
        lifespan=lifespan,
    )
    app.state.collector = collector
    return app
