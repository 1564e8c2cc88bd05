"""docs/deploy.md's one line per framework serves the build folder with its rules, run as written."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from werkzeug.test import Client

from analytics_identity.server.cache_rules import IMMUTABLE, REVALIDATE
from tests.documented import ROOT, fenced

DEPLOY = ROOT / "docs" / "deploy.md"
SNIPPET = b"window.analytics = [];\n" * 100
WASM = b"\0asm" * 1000


def decoded(body: bytes, encoding: str | None) -> bytes:
    return {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding or "", bytes)(body)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small build folder at ``static/analytics`` (the docs' relative path) with a runtime file and its twins."""
    build = tmp_path / "static" / "analytics"
    (build / "pyodide-1.0").mkdir(parents=True)
    (build / "snippet.js").write_bytes(SNIPPET)
    (build / "snippet.js.gz").write_bytes(gzip.compress(SNIPPET))
    (build / "pyodide-1.0" / "pyodide.asm.wasm").write_bytes(WASM)
    (build / "pyodide-1.0" / "pyodide.asm.wasm.br").write_bytes(brotli.compress(WASM))
    monkeypatch.chdir(tmp_path)
    return build


def check(get) -> None:  # type: ignore[no-untyped-def]
    """The rules, through ``get(path, accept_encoding) -> (status, headers, decoded body)``."""
    status, headers, body = get("/static/analytics/pyodide-1.0/pyodide.asm.wasm", "gzip, br")
    assert (status, headers["content-type"], headers["content-encoding"], body) == (200, "application/wasm", "br", WASM)
    assert headers["cache-control"] == IMMUTABLE
    status, headers, body = get("/static/analytics/snippet.js", "gzip")
    assert (status, headers["content-encoding"], body, headers["cache-control"]) == (200, "gzip", SNIPPET, REVALIDATE)
    assert headers["content-type"].startswith("text/javascript") and headers["etag"]
    status, headers, body = get("/static/analytics/snippet.js", "")
    assert (status, headers.get("content-encoding"), body) == (200, None, SNIPPET)


def test_a_starlette_site_mounts_the_build_in_one_line(folder: Path) -> None:
    app = Starlette()
    exec(fenced("example:serve-asgi", DEPLOY), {"app": app})  # noqa: S102
    client = TestClient(app)

    def get(path: str, encoding: str):  # type: ignore[no-untyped-def]
        response = client.get(path, headers={"accept-encoding": encoding})
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content  # decoded

    check(get)
    assert client.post("/static/analytics/snippet.js").status_code == 405


def test_a_wsgi_site_serves_the_build_through_whitenoise_in_one_line(folder: Path) -> None:
    class Flaskish:  # what the line touches of a Flask app: its wsgi_app
        @staticmethod
        def wsgi_app(environ, start_response):  # type: ignore[no-untyped-def]
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"the site's own 404"]

    app = Flaskish()
    exec(fenced("example:serve-wsgi", DEPLOY), {"app": app})  # noqa: S102
    client = Client(app.wsgi_app)

    def get(path: str, encoding: str):  # type: ignore[no-untyped-def]
        response = client.get(path, headers={"Accept-Encoding": encoding})
        headers = {k.lower(): v for k, v in response.headers.items()}
        return response.status_code, headers, decoded(response.data, headers.get("content-encoding"))

    check(get)
    assert client.get("/elsewhere").data == b"the site's own 404"
