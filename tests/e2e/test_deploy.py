"""docs/deploy.md's nginx configuration, run by Debian's nginx exactly as documented.

The build is deployed as the page says (``static/analytics/`` under the
site's root), a page carries the documented snippet, and the collector sits
behind nginx's ``proxy_pass`` with the documented options. The README's identity example then runs in
Chromium against that origin, and the headers the page promises are checked
on the responses.
"""

from __future__ import annotations

import json
import re
import shlex
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Response

from analytics_identity.server.process import ServerProcess, free_port
from tests.conftest import ROOT, config
from tests.documented import fenced
from tests.e2e.helpers import cookie, wait_ready
from tests.e2e.nginx import DEPLOY, Nginx, documented_server_block
from tests.e2e.test_delivery import wait_collected

BUILD = ROOT / config.STATIC_DIR
IMMUTABLE = "public, max-age=31536000, immutable"
BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
#: The page's only change: the test's site is plain HTTP (the documented default protocol is https).
DOCUMENTED_LOAD = '{ apiHost: location.host + "/v1" }'
TEST_LOAD = '{ apiHost: location.host + "/v1", protocol: "http" }'


def documented_collector_options() -> list[str]:
    """deploy.md's collector command, less where it listens, stores and finds the build (the test's own)."""
    words = shlex.split(fenced("collector", DEPLOY))
    assert words[:2] == ["analytics-identity", "serve"] and len(words) % 2 == 0
    pairs = list(zip(words[2::2], words[3::2]))
    options = [word for option, value in pairs if option not in {"--host", "--port", "--db", "--static"}
               for word in (option, value)]
    assert options == ["--write-key", "YOUR_WRITE_KEY"]  # the page's key: events are accepted only with it
    return options


@dataclass
class Deployment:
    site: str
    collector: str
    nginx: Nginx


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("deploy")
    site = folder / "site"
    (site / "static").mkdir(parents=True)
    (site / "static" / "analytics").symlink_to(BUILD.resolve())
    init = fenced("init", DEPLOY)
    assert init.count(DOCUMENTED_LOAD) == 1
    (site / "index.html").write_text(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>deployed</title>\n'
        f"{fenced('page', DEPLOY)}</head><body>a page of the site</body></html>\n")
    (site / "analytics-init.js").write_text(init.replace(DOCUMENTED_LOAD, TEST_LOAD))
    port = free_port()
    collector_process = ServerProcess(BUILD, folder / "events.sqlite3", quiet=True, options=documented_collector_options())
    with collector_process as collector, \
            Nginx(folder / "nginx", documented_server_block(port, site, collector.port), port) as nginx:
        yield Deployment(nginx.url, collector.url, nginx)
        assert "[emerg]" not in nginx.errors() and "[crit]" not in nginx.errors(), nginx.errors()


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def built_paths() -> dict[str, str]:
    info = json.loads((BUILD / "build.json").read_text())
    pyscript = next(BUILD.glob("pyscript-*/core-*.js")).relative_to(BUILD).as_posix()
    runtime = info["runtime"]
    return {"wasm": info["wasm"], "PyScript's wasm": f"{runtime}/pyodide.asm.wasm", "runtime module": f"{runtime}/pyodide.mjs",
            "stdlib": f"{runtime}/python_stdlib.zip", "compiled stdlib": info["stdlib"],
            "boot stdlib": info["bootStdlib"], "wheel": info["wheel"],
            "pyscript": pyscript}


def test_headers_are_as_documented(deployment: Deployment) -> None:
    paths = built_paths()
    # path: (Content-Type, Content-Encoding for a browser, Cache-Control), the table of docs/deploy.md
    expected = {
        "snippet.js": ("text/javascript", "br", "no-cache"),
        "loader.mjs": ("text/javascript", "br", "no-cache"),
        "pyscript.json": ("application/json", None, "no-cache"),
        "build.json": ("application/json", None, "no-cache"),
        paths["wasm"]: ("application/wasm", "br", IMMUTABLE),
        paths["PyScript's wasm"]: ("application/wasm", "br", IMMUTABLE),
        paths["runtime module"]: ("text/javascript", "br", IMMUTABLE),
        paths["stdlib"]: ("application/zip", None, IMMUTABLE),
        paths["compiled stdlib"]: ("application/zip", "br", IMMUTABLE),
        paths["boot stdlib"]: ("application/zip", "br", IMMUTABLE),
        paths["wheel"]: ("application/zip", "br", IMMUTABLE),
        paths["pyscript"]: ("text/javascript", "br", IMMUTABLE),
    }
    seen = {}
    for path in expected:
        status, headers, body = fetch(f"{deployment.site}/static/analytics/{path}", **{"Accept-Encoding": BROWSER})
        assert status == 200, path
        seen[path] = (headers["content-type"], headers.get("content-encoding"), headers.get("cache-control"))
        if headers.get("content-encoding"):
            assert "Accept-Encoding" in headers.get("vary", ""), path
            # The very bytes of the build's precompressed twin.
            assert body == (BUILD / f"{path}.br").read_bytes(), path
        else:
            assert body == (BUILD / path).read_bytes(), path
    assert seen == expected

    # A client without brotli gets the .gz twin; one without either, the file itself.
    _, headers, body = fetch(f"{deployment.site}/static/analytics/{paths['wasm']}", **{"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip" and body == (BUILD / f"{paths['wasm']}.gz").read_bytes()
    _, headers, body = fetch(f"{deployment.site}/static/analytics/snippet.js", **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers and body == (BUILD / "snippet.js").read_bytes()

    # A stable name is revalidated: its ETag answers 304 while it is unchanged.
    _, headers, _ = fetch(f"{deployment.site}/static/analytics/snippet.js", **{"Accept-Encoding": BROWSER})
    status, _, _ = fetch(f"{deployment.site}/static/analytics/snippet.js",
                         **{"Accept-Encoding": BROWSER, "If-None-Match": headers["etag"]})
    assert status == 304


def test_the_sizes_the_page_quotes_are_the_builds() -> None:
    """docs/deploy.md quotes the wasm's sizes, plain and precompressed, in MB."""
    quoted = re.search(r"`pyodide.asm.wasm` is ([\d.]+) MB, ([\d.]+) MB as its `.br`, ([\d.]+) MB as its\s+`.gz`",
                       DEPLOY.read_text())
    assert quoted, "docs/deploy.md no longer quotes the wasm's sizes"
    wasm = BUILD / built_paths()["wasm"]
    sizes = [wasm, wasm.with_name(wasm.name + ".br"), wasm.with_name(wasm.name + ".gz")]
    assert [float(q) for q in quoted.groups()] == [round(p.stat().st_size / 1e6, 1) for p in sizes]


def test_only_v1_reaches_the_collector(deployment: Deployment) -> None:
    status, _, _ = fetch(f"{deployment.site}/api/events")
    assert status == 404  # the collector's read API stays private
    status, _, _ = fetch(f"{deployment.collector}/api/events")
    assert status == 200


def test_the_readme_example_runs_on_the_deployed_site(page: Page, context: BrowserContext,
                                                      deployment: Deployment) -> None:
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(deployment.site + "/")
    wait_ready(page)
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    page.evaluate(f"() => {{ {fenced('example:identity')} }}")

    # The page, identify and track went to the site's own origin and through proxy_pass to the collector.
    events = wait_collected(deployment.collector, 3, anonymousId=anonymous_id)
    by_type = {e["type"]: e for e in events}  # separate requests: they may arrive in any order
    assert sorted((e["type"], e["userId"], e.get("event")) for e in events) == [
        ("identify", "user_123", None), ("page", None, None), ("track", "user_123", "Clicked Email")]
    assert by_type["identify"]["traits"] == {"name": "Jane Kim"}
    # nginx itself answered them (its access log), and the browser sent nothing elsewhere.
    assert sorted(deployment.nginx.logged_posts(3)) == ["/v1/i 200", "/v1/p 200", "/v1/t 200"]
    assert all(r.url.startswith(deployment.site + "/") for r in responses)

    # reset() then cleared the user from the browser's real cookies; the next visitor gets a new anonymous id.
    assert cookie(context, "ajs_user_id") is None
    new_id = page.evaluate("analytics.user().anonymousId()")
    assert new_id != anonymous_id and cookie(context, "ajs_anonymous_id") == new_id

    # Chromium got the runtime brotli-compressed, with the MIME types it insists on.
    received = {Path(r.url).name: r.headers for r in responses if "/static/analytics/" in r.url}
    assert received["pyodide.asm.wasm"]["content-type"] == "application/wasm"
    assert received["pyodide.asm.wasm"]["content-encoding"] == "br"
    assert received["loader.mjs"]["content-type"] == "text/javascript"
