"""How long a browser may keep each file of the build folder, for every way of serving it.

Runtime files (``pyodide-<version>/``, the loader's
``pyodide-<version>-loader-<hash>/`` with the snapshot worker,
``pyscript-<version>/``), the compiled standard library and the wheel
(``stdlib/<hash>/``, ``wheels/<hash>/``) never change under their path: a
year, immutable. The stable names (``snippet.js``, ``loader.mjs``, the rest)
change with each build: revalidated on every visit (cheap with
``ETag``/``Last-Modified``). Used by :mod:`.static` (ASGI) and
:mod:`.wsgi_static` (WhiteNoise).
"""

from __future__ import annotations

__all__ = ["IMMUTABLE", "REVALIDATE", "cache_control", "versioned"]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def versioned(relative: str) -> bool:
    """Whether a path inside the build folder names its content (its folder carries a version or hash)."""
    first = relative.lstrip("/").split("/", 1)[0]
    return first.startswith(("pyodide-", "pyscript-")) or first in ("wheels", "stdlib")


def cache_control(relative: str) -> str:
    """The ``Cache-Control`` of a file of the build folder (path relative to it)."""
    return IMMUTABLE if versioned(relative) else REVALIDATE
