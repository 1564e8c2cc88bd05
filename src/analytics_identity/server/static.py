"""Serving the static build from ASGI: precompressed twins, right MIME types, cache rules (:mod:`.cache_rules`).

A Starlette or FastAPI site serves the build folder with one line,
``app.mount("/static/analytics", StaticBuild("static/analytics"))``: a
first visit then moves the brotli twins (~5 MB) instead of the ~30 MB a
plain static-files mount sends, and a repeat visit only revalidates the
stable names.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from .cache_rules import cache_control

__all__ = ["StaticBuild"]

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/zip", ".whl")
mimetypes.add_type("text/plain", ".ts")  # analytics.d.ts (not an MPEG transport stream)

_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


class StaticBuild:
    """The folder written by ``analytics-identity build``, as an ASGI app to mount (or ``serve`` as an endpoint)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder).resolve()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The app a site mounts: ``GET``/``HEAD`` of a file under the mount's path."""
        path, root = scope["path"], scope.get("root_path", "")
        relative = path[len(root):] if root and path.startswith(root) else path
        if scope["method"] not in ("GET", "HEAD"):
            response: Response = PlainTextResponse("method not allowed", status_code=405, headers={"Allow": "GET, HEAD"})
        else:
            request = Request({**scope, "path_params": {"path": relative.lstrip("/")}}, receive)
            response = await self.serve(request)
        await response(scope, receive, send)

    async def serve(self, request: Request) -> Response:
        relative = request.path_params["path"]
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file() or path.suffix in (".gz", ".br"):
            return PlainTextResponse("not found", status_code=404)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        accepted = request.headers.get("accept-encoding", "")
        served, encoding = path, None
        for name, suffix in _ENCODINGS:
            twin = path.with_name(path.name + suffix)
            if name in accepted and twin.is_file():
                served, encoding = twin, name
                break
        stat = served.stat()
        etag = '"' + hashlib.md5(f"{served.name}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest() + '"'
        headers = {
            "Cache-Control": cache_control(relative),
            "ETag": etag,
            "Vary": "Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        if encoding:
            headers["Content-Encoding"] = encoding
        return FileResponse(served, media_type=media_type, headers=headers, stat_result=stat)
