"""The release files as a new user gets them: no checkout, no Node for Python, no ``paths`` for TypeScript.

``make dist`` (which ``make test`` runs first) writes ``dist/``. In a
temporary folder outside the repository: a fresh virtualenv installs the
wheel (its dependencies from the package index) and, with nothing but that
virtualenv on ``PATH``, ``analytics-identity build --no-compress`` writes
the static folder, byte for byte the one ``make build`` writes but for the
``.br``/``.gz`` twins (brotli at its highest level would add minutes to the
suite; it runs in CPython alone, as in a checkout); a Starlette site of a
few lines serves it with ``IdentityMiddleware`` and logs a visitor in, and
Chromium sees one visitor on the page, in the ``Set-Cookie`` and in the
middleware. Then the npm tarball is installed into an empty project and
``tsc --strict`` checks code written against analytics-next's types.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from analytics_identity import __version__
from analytics_identity.server.process import ChildServer
from tests.conftest import ROOT, config
from tests.e2e.helpers import wait_ready

pytestmark = pytest.mark.e2e

DIST = ROOT / "dist"
WHEEL = DIST / f"analytics_identity-{__version__}-py3-none-any.whl"
TARBALL = DIST / f"analytics-identity-{__version__}.tgz"

#: The site a new user writes: the build folder mounted in one line, the middleware, a page, a login.
SITE = '''
from pathlib import Path

import analytics_identity
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route

from analytics_identity.server import IdentityMiddleware
from analytics_identity.server.static import StaticBuild

PAGE = """<!doctype html><title>Shop</title>
<script src="/static/analytics/snippet.js"></script><script src="/init.js"></script>
<p id="server">{anonymous_id}</p>"""
INIT = 'analytics.load("site-key", {cookie: {renew: false}}); analytics.page();'


async def home(request):
    return HTMLResponse(PAGE.format(anonymous_id=request.state.analytics_identity.anonymous_id))


async def init(request):
    return PlainTextResponse(INIT, media_type="text/javascript")


async def identity(request):
    return JSONResponse({**vars(request.state.analytics_identity), "package": analytics_identity.__file__})


async def login(request):
    request.state.analytics_identity.identify("user_123", {"plan": "pro"})
    return RedirectResponse("/", status_code=303)


app = Starlette(routes=[
    Route("/", home), Route("/init.js", init), Route("/api/identity", identity),
    Route("/login", login, methods=["POST"]), Route("/healthz", lambda request: PlainTextResponse("ok")),
    Mount("/static/analytics", StaticBuild(Path(__file__).parent / "static" / "analytics")),
])
app.add_middleware(IdentityMiddleware)
'''


def run(command: list[str], **kwargs: object) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def digests(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def release() -> Path:
    if not (WHEEL.exists() and TARBALL.exists()):
        pytest.fail("dist/ is missing the release files: run `make dist` (make test does)")
    return DIST


@pytest.fixture(scope="module")
def installed(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the repository with the wheel and its extras from the index."""
    home = tmp_path_factory.mktemp("new-user")
    assert not home.is_relative_to(ROOT)
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(home / "venv")])
    run([str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", f"{WHEEL}[server,collector]"])
    return home


def test_the_wheel_alone_builds_the_folder_and_serves_one_visitor_login_included(
        installed: Path, context: BrowserContext, page: Page) -> None:
    venv_bin = installed / "venv" / "bin"
    env = {"PATH": str(venv_bin), "HOME": str(installed), "PYTHONPATH": ""}
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None
    run([str(venv_bin / "analytics-identity"), "build", "--no-compress", "static/analytics"], cwd=installed, env=env)
    checkout = {name: digest for name, digest in digests(ROOT / config.STATIC_DIR).items()
                if not name.endswith((".br", ".gz"))}
    assert digests(installed / "static" / "analytics") == checkout  # what make build writes

    (installed / "shop.py").write_text(SITE)
    command = [str(venv_bin / "python"), "-m", "uvicorn", "--app-dir", str(installed), "shop:app",
               "--host", config.HOST, "--port", "{port}", "--log-level", "warning"]
    context.route("https://api.segment.io/**", lambda route: route.fulfill(status=200, body="{}"))
    with ChildServer(command, host=config.HOST, env=env, quiet=True) as server:
        document = page.goto(server.url + "/")
        assert document is not None
        set_cookie = next(h["value"] for h in document.headers_array()
                          if h["name"].lower() == "set-cookie" and h["value"].startswith("ajs_anonymous_id="))
        minted = re.match(r"ajs_anonymous_id=([^;]+);", set_cookie).group(1)  # type: ignore[union-attr]
        wait_ready(page)
        served = page.evaluate("async () => (await fetch('/api/identity')).json()")
        assert served["package"].startswith(str(installed / "venv"))  # the wheel's copy, not the checkout's
        assert page.evaluate("analytics.user().anonymousId()") == minted == served["anonymous_id"]
        assert page.text_content("#server") == minted

        with page.expect_navigation():
            page.evaluate("""() => { const form = Object.assign(document.createElement("form"),
                                     {method: "post", action: "/login"}); document.body.append(form); form.submit(); }""")
        wait_ready(page)
        served = page.evaluate("async () => (await fetch('/api/identity')).json()")
        assert page.evaluate("[analytics.user().id(), analytics.user().anonymousId(), analytics.user().traits()]") == [
            "user_123", served["anonymous_id"], {"plan": "pro"}]
        assert served["user_id"] == "user_123"


#: Code a site wrote against analytics-next's types, now importing this package's.
TYPED_SITE = (ROOT / "tests" / "typescript" / "migrating-site.ts").read_text().replace(
    '"@segment/analytics-next"', '"analytics-identity"') + '''
import type { AnalyticsBrowser } from "analytics-identity";
export const loaded: (browser: AnalyticsBrowser) => AnalyticsBrowser = (browser) => browser.load("KEY");
'''


def test_the_npm_tarball_installs_and_type_checks_with_no_paths(release: Path, tmp_path: Path) -> None:
    project = tmp_path / "site"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "site", "private": True}))
    run(["npm", "install", "--no-audit", "--no-fund", "--offline", str(TARBALL)], cwd=project)
    package = project / "node_modules" / "analytics-identity"
    assert (package / "analytics" / "snippet.js").exists()
    assert digests(package / "analytics") == digests(ROOT / config.STATIC_DIR)
    assert "node_modules/analytics-identity/analytics/" in (package / "README.md").read_text()

    (project / "site.ts").write_text(TYPED_SITE)
    (project / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "noEmit": True, "target": "es2020", "module": "esnext",
                            "moduleResolution": "bundler", "lib": ["es2020", "dom"], "types": []},
        "files": ["site.ts"]}))
    tsc = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
    result = subprocess.run(["node", str(tsc), "-p", "tsconfig.json"], cwd=project, capture_output=True, text=True,
                            check=False, env={**os.environ})
    assert result.returncode == 0, result.stdout + result.stderr
