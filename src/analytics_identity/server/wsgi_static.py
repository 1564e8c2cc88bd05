"""Serving the static build from a WSGI site (Flask, Django) with WhiteNoise, configured.

WhiteNoise already sends a file's ``.br``/``.gz`` twin when the browser
accepts it, ``application/wasm`` and ``text/javascript`` for ``.mjs``, with
``ETag`` and ``Last-Modified``; :func:`serve_build` adds the build's cache
rules (:mod:`.cache_rules`: a year, immutable, for the versioned folders;
``no-cache`` for the stable names, where WhiteNoise's default would let a
browser keep an old ``loader.mjs`` for a minute) and the wheel's MIME type.
Needs the ``whitenoise`` extra (``pip install 'analytics-identity[whitenoise]'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .cache_rules import cache_control, versioned

__all__ = ["serve_build"]


def serve_build(app: Any, folder: Path | str, prefix: str = "/static/analytics/") -> Any:
    """``app`` (a WSGI app) with the build ``folder`` served at ``prefix``: a ``WhiteNoise`` instance.

    Flask: ``app.wsgi_app = serve_build(app.wsgi_app, "static/analytics")``;
    Django, in ``wsgi.py``: ``application = serve_build(get_wsgi_application(), BASE_DIR / "static/analytics")``.
    """
    from whitenoise import WhiteNoise

    def headers(headers: Any, path: str, url: str) -> None:
        headers["Cache-Control"] = cache_control(url[len(prefix):] if url.startswith(prefix) else url)

    return WhiteNoise(app, root=str(folder), prefix=prefix, max_age=None, add_headers_function=headers,
                      immutable_file_test=lambda path, url: versioned(url[len(prefix):]),
                      mimetypes={".whl": "application/zip", ".ts": "text/plain"})
