"""The ASGI application of ``analytics-identity serve``.

Starlette on uvicorn: small, typed, well kept, with the static-file,
CORS and gzip pieces this server needs and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from .collector import Collector
from .eventstore import EventStore
from .static import StaticBuild

__all__ = ["create_app"]


def create_app(
    static_dir: Path, demo_dir: Path, db_path: Path | str, mounts: dict[str, Path] | None = None
) -> Starlette:
    """Demo pages at ``/``, the build at ``/static/analytics/``, the collector at ``/v1``.

    ``mounts`` adds more static folders by URL prefix (tests and benchmarks
    serve analytics-next and their own pages from the same origin this way).
    """
    collector = Collector(EventStore(db_path))
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

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", health),
            Route("/v1/{endpoint}", collector.ingest, methods=["POST"]),
            Route("/api/events", collector.events),
            Route("/static/analytics/{path:path}", static.serve),
            *extra,
            Route("/{path:path}", demo.serve),
        ],
        middleware=[
            # Any origin may send events; Retry-After is exposed so a 429's wait is readable cross-origin.
            Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"],
                       expose_headers=["Retry-After"], max_age=86400),
            Middleware(GZipMiddleware, minimum_size=1024),
        ],
    )
    app.state.collector = collector
    return app
