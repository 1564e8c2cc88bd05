"""Serving the static build: precompressed twins, right MIME types, cache rules.

Runtime files, the compiled standard library and the wheel live under
versioned or content-hashed paths, so they are cached for a year as
immutable; the snippet and loader keep stable names and are revalidated on every visit (cheap with ETags).
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

__all__ = ["StaticBuild"]

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/zip", ".whl")

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


class StaticBuild:
    """An ASGI endpoint for the folder written by ``analytics-identity build``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def _cache_control(self, relative: str) -> str:
        first = relative.split("/", 1)[0]
        versioned = first.startswith(("pyodide-", "pyscript-")) or first in ("wheels", "stdlib")
        return IMMUTABLE if versioned else REVALIDATE

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
            "Cache-Control": self._cache_control(relative),
            "ETag": etag,
            "Vary": "Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        if encoding:
            headers["Content-Encoding"] = encoding
        return FileResponse(served, media_type=media_type, headers=headers, stat_result=stat)
