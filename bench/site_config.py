"""The bench's configuration, build, pages and server, shared by every bench script.

``playwright.config.py`` says which browser, flags and timeouts; the build
is the one ``make build`` left in ``build/static``; the server is the
project's own ``analytics-identity serve`` with the test mounts, so the bench
measures what a site would serve.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analytics_identity.server.process import ServerProcess

import lighthouse

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("playwright_config", ROOT / "playwright.config.py")
assert _spec and _spec.loader
config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config)

STATIC = ROOT / config.STATIC_DIR
BUILD = json.loads((STATIC / "build.json").read_text()) if (STATIC / "build.json").exists() else {}

#: Bench pages by name (served from bench/pages at /bench-pages/).
PAGES = {
    "pyodide": "/bench-pages/pyodide.html?runtime={runtime}",
    "snippet": "/bench-pages/snippet.html",
    "snippet-immediate": "/bench-pages/snippet.html?loadMode=immediate",
    "analytics-next": "/bench-pages/analytics-next.html",
    "plain": "/bench-pages/plain.html",
}
LIBRARIES = ("snippet", "analytics-next")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def serve(db: Path, static: Path = STATIC, extra: dict[str, Path] | None = None) -> Iterator[str]:
    """``analytics-identity serve`` with the mounts of playwright.config.py, and ``extra`` over them."""
    mounts = {prefix: ROOT / folder for prefix, folder in config.MOUNTS.items()}
    with ServerProcess(static, db, host=config.HOST, mounts={**mounts, **(extra or {})}, quiet=True) as server:
        yield server.url


def brotli_mounts(tmp: Path) -> dict[str, Path]:
    """analytics-next served with brotli, as our build is, and the Lighthouse article pages.

    npm ships analytics-next's bundles with ``.gz`` twins only; a private copy
    gets ``.br`` twins too, so both sides' bytes are "as served with brotli".
    """
    import brotli

    umd = tmp / "analytics-next"
    shutil.copytree(ROOT / config.MOUNTS["vendor/analytics-next"], umd)
    for script in umd.glob("*.js"):
        script.with_name(script.name + ".br").write_bytes(brotli.compress(script.read_bytes(), quality=11))
    mounts = {prefix: umd for prefix, folder in config.MOUNTS.items() if folder == config.MOUNTS["vendor/analytics-next"]}
    return {**mounts, lighthouse.PREFIX: lighthouse.pages(tmp / "article")}
