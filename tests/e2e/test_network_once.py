"""Each runtime file crosses the network once per visit, whatever the server's
cache headers: the loader's download goes to Pyodide and to the snapshot
worker, neither fetches it again. Served by Starlette's ``StaticFiles`` (no
compression, no ``Cache-Control``), counted by the server."""

from __future__ import annotations

import json
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from analytics_identity.server.process import ChildServer
from tests.conftest import ROOT, Server, config
from tests.e2e.helpers import wait_ready
from tests.e2e.test_snapshot import RESTORED, saved_snapshot

COMMAND = [sys.executable, "-m", "uvicorn", "tests.e2e.sites.plain_static:app", "--host", config.HOST,
           "--port", "{port}", "--log-level", "warning"]


@pytest.fixture
def site(server: Server) -> Iterator[str]:
    env = {"SITE_STATIC": str(ROOT / config.STATIC_DIR), "SITE_COLLECTOR": server.url, "PYTHONPATH": str(ROOT)}
    with ChildServer(COMMAND, host=config.HOST, env=env, quiet=True) as child:
        yield child.url


def served(site: str) -> tuple[Counter[str], int]:
    """Responses so far by path under the build folder, and the bytes of their bodies."""
    rows = json.loads(urllib.request.urlopen(site + "/served", timeout=5).read())
    count: Counter[str] = Counter()
    for path, _status, times, _ in rows:
        count[path.removeprefix("/static/analytics/")] += times
    return count, sum({path: size for path, _, _, size in rows}.values())


def test_each_runtime_file_crosses_the_network_once_per_visit(page: Page, site: str) -> None:
    info = json.loads((ROOT / config.STATIC_DIR / "build.json").read_text())
    loader_runtime = info["wasm"].rsplit("/", 1)[0]
    runtime = [info["wasm"], f"{info['runtime']}/pyodide.mjs", f"{loader_runtime}/pyodide.asm.mjs"]
    page.goto(site + "/")
    wait_ready(page)
    saved_snapshot(page)  # the worker has booted its own runtime too
    cold, cold_bytes = served(site)
    # The wasm, the trimmed standard library, the wheel and pyodide.asm.mjs, and a few small files.
    assert cold_bytes < 15e6, cold
    for path in [*runtime, info["bootStdlib"], info["wheel"]]:
        assert cold[path] == 1, (path, cold)
    assert not [path for path in cold if path.endswith(("pyodide-lock.json", "python_stdlib.zip"))], cold
    page.goto(site + "/")
    wait_ready(page)
    assert page.evaluate(RESTORED) == 1
    warm, _ = served(site)
    for path in [*runtime, info["wheel"]]:
        assert warm[path] - cold[path] <= 1, (path, warm)
    for path in (runtime[0], info["bootStdlib"]):  # the saved copies were read
        assert warm[path] == cold[path], (path, warm)
