"""Loading that never hurts the host page: real Chromium, real server, real Pyodide.

The order of events is checked through the browser's own records (request
order, ``document.readyState``, Resource Timing entries), never with timers.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route

from analytics_identity.tooling.vendored import FOREIGN_HOSTS
from tests.conftest import ROOT, config
from tests.documented import fenced, policy
from tests.e2e.helpers import wait_ready
from tests.e2e.test_delivery import wait_collected

BUILD = ROOT / config.STATIC_DIR
#: A page with no inline script, for policies without 'unsafe-inline'.
CSP_PAGE = "/test-pages/csp.html"
#: A 1x1 transparent GIF: the image that holds the test page's load event.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def build_info() -> dict[str, str]:
    return json.loads((BUILD / "build.json").read_text())


def head(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


class Requests:
    """Every request a page makes, in order."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))

    def named(self, suffix: str) -> list[str]:
        return [url for url in self.urls if url.split("?")[0].endswith(suffix)]

    def assert_all_local(self, base_url: str) -> None:
        foreign = [url for url in self.urls if not url.startswith((base_url + "/", "data:", "blob:"))]
        assert not foreign, foreign


class Errors:
    """Console errors and uncaught page errors."""

    def __init__(self, page: Page) -> None:
        self.console: list[str] = []
        self.page: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page.append(str(error)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    @property
    def ours(self) -> list[str]:
        return [text for text in self.console if text.startswith("analytics-identity:")]


@pytest.fixture
def held(page: Page) -> Iterator[list[Route]]:
    """Requests for the test page's image wait here until the test releases them."""
    routes: list[Route] = []
    page.route("**/test-pages/held.png", lambda route: routes.append(route))
    yield routes
    release(routes)


def release(routes: list[Route]) -> None:
    while routes:
        routes.pop().fulfill(status=200, content_type="image/gif", body=PIXEL)


# -- serving -------------------------------------------------------------------


def test_versioned_runtime_files_are_immutable_precompressed_and_typed(base_url: str) -> None:
    info = build_info()
    static = base_url + "/static/analytics/"
    pyscript_chunk = next(p.name for p in (BUILD / "pyscript-0.7.31").glob("core-*.js"))
    for path, media_type in [
        (f"{info['runtime']}/pyodide.asm.wasm", "application/wasm"),
        (f"{info['runtime']}/python_stdlib.zip", "application/zip"),
        (info["stdlib"], "application/zip"),
        (info["bootStdlib"], "application/zip"),
        (f"{info['runtime']}/pyodide.asm.mjs", "text/javascript"),
        (info["wasm"], "application/wasm"),
        (info["wasm"].replace(".wasm", ".mjs"), "text/javascript"),
        (info["wasm"].replace("pyodide.asm.wasm", "snapshot-worker.mjs"), "text/javascript"),  # started on every warm visit
        (info["wheel"], "application/zip"),
        (f"pyscript-0.7.31/{pyscript_chunk}", "text/javascript"),
    ]:
        status, headers = head(static + path, **{"Accept-Encoding": "gzip, br"})
        assert status == 200, path
        assert headers["cache-control"] == "public, max-age=31536000, immutable", path
        assert headers["content-type"].startswith(media_type), path
        assert "Accept-Encoding" in headers["vary"], path
        if path.endswith((".wasm", ".mjs", ".js")) or path in (info["stdlib"], info["bootStdlib"]):
            assert headers["content-encoding"] == "br", path
    status, headers = head(static + f"{info['runtime']}/pyodide.asm.wasm", **{"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == (BUILD / info["runtime"] / "pyodide.asm.wasm.gz").stat().st_size


def test_stable_names_are_revalidated_cheaply(base_url: str) -> None:
    for name in ("snippet.js", "loader.mjs", "pyscript.json"):
        status, headers = head(f"{base_url}/static/analytics/{name}")
        assert status == 200 and headers["cache-control"] == "no-cache", name
        status, _ = head(f"{base_url}/static/analytics/{name}", **{"If-None-Match": headers["etag"]})
        assert status == 304, name


def test_the_build_names_no_other_origin() -> None:
    shipped = [p for p in BUILD.rglob("*") if p.suffix in (".js", ".mjs", ".json", ".html", ".css")]
    assert len(shipped) > 10
    for path in shipped:
        found = FOREIGN_HOSTS.search(path.read_text(errors="replace"))
        assert not found, f"{path} names {found.group()}"


# -- the snippet -----------------------------------------------------------------


def test_snippet_is_under_4_kb_and_only_buffers(page: Page, base_url: str) -> None:
    assert (BUILD / "snippet.js").stat().st_size < 4096  # analytics-next's own snippet is ~3-4 KB
    requests = Requests(page)
    page.goto(base_url + "/blank.html")
    page.evaluate("analytics.track('Before', {a: 1}); analytics.setAnonymousId('a1')")
    buffered = page.evaluate("Array.isArray(analytics) && analytics.slice()")
    assert buffered[1] == ["setAnonymousId", "a1"]
    assert buffered[0][:3] == ["track", "Before", {"a": 1}]
    assert buffered[0][3]["__bufferedPage"]["path"] == "/blank.html"  # event calls keep their page
    assert [url.removeprefix(base_url) for url in requests.urls] == ["/blank.html", "/static/analytics/snippet.js"]


def test_inlined_snippet_finds_the_build_at_its_data_base(page: Page, base_url: str) -> None:
    # docs/loading.md's tag as written, the build's snippet.js where it says to paste it.
    tag = fenced("page:inline", ROOT / "docs" / "loading.md")
    assert "/* contents of snippet.js */" in tag
    tag = tag.replace("/* contents of snippet.js */", (BUILD / "snippet.js").read_text())
    page.route(base_url + "/test-pages/inline.html", lambda route: route.fulfill(
        content_type="text/html",
        body=f"<!doctype html><title>inline</title>{tag}"
             "<script>analytics.load('k', {apiHost: location.host + '/v1', protocol: 'http', loadMode: 'immediate'});"
             "analytics.setAnonymousId('inline-id');</script>",
    ))
    page.goto(base_url + "/test-pages/inline.html")
    wait_ready(page)
    assert page.evaluate("analytics.user().anonymousId()") == "inline-id"


# -- when the boot happens ---------------------------------------------------------


def test_default_boot_waits_for_the_load_event_while_the_download_overlaps_the_page(
    page: Page, base_url: str, held: list[Route]
) -> None:
    requests = Requests(page)
    errors = Errors(page)
    with page.expect_request(lambda request: request.url.endswith("/pyodide.asm.wasm")):
        page.goto(base_url + "/test-pages/loading.html", wait_until="commit")
    # The page is still loading (its image is held) and the runtime is already downloading,
    # but the boot has not started: the page sees the buffer.
    assert page.evaluate("document.readyState") != "complete"
    assert page.evaluate("Array.isArray(window.analytics)")
    assert not requests.named("/pyodide.mjs")
    release(held)
    wait_ready(page)
    boot_start, load_end = page.evaluate("""() => [
        performance.getEntriesByType("resource").find((e) => e.name.endsWith("/pyodide.mjs")).startTime,
        performance.getEntriesByType("navigation")[0].loadEventEnd]""")
    assert boot_start >= load_end > 0
    requests.assert_all_local(base_url)
    assert not errors.console and not errors.page


#: What the default mode's first work asks for: the saved start's worker and the runtime's files.
FIRST_WORK = r"/pyodide-[^/]*-loader-[^/]*/|\.zip$|\.whl$"


def test_the_default_mode_asks_for_nothing_before_the_pages_first_frame(
    page: Page, base_url: str, held: list[Route]
) -> None:
    """Run before the page's first paint, the loader's look-up, worker and downloads held that paint back;
    they wait for the page's first frame (loader.mjs ``nextFrame``), and the boot still overlaps the load."""
    page.add_init_script("requestAnimationFrame(() => { window.firstFrame = performance.now(); });")
    with page.expect_request(lambda request: request.url.endswith("/pyodide.asm.wasm")):
        page.goto(base_url + "/test-pages/loading.html", wait_until="commit")
    assert page.evaluate("document.readyState") != "complete"
    release(held)
    wait_ready(page)
    first_frame, asked = page.evaluate("""(pattern) => [window.firstFrame,
        performance.getEntriesByType("resource").filter((e) => new RegExp(pattern).test(e.name)).map((e) => e.startTime)]""",
                                       FIRST_WORK)
    assert first_frame > 0 and len(asked) >= 3
    assert min(asked) >= first_frame


def test_a_page_that_draws_no_frame_boots_all_the_same(page: Page, base_url: str, held: list[Route]) -> None:
    """A page the browser does not draw (no animation frame comes) is not kept waiting for one."""
    page.add_init_script("window.requestAnimationFrame = () => 0;")
    errors = Errors(page)
    # Polled on a timer: Playwright polls on animation frames by default.
    with page.expect_request(lambda request: request.url.endswith("/pyodide.asm.wasm")):
        page.goto(base_url + "/test-pages/loading.html", wait_until="commit")
    release(held)
    page.wait_for_function("window.analytics.initialized === true", polling=100, timeout=config.BOOT_TIMEOUT_MS)
    assert page.evaluate("analytics.user().anonymousId()")
    assert not errors.console and not errors.page


def test_immediate_mode_boots_while_the_page_is_still_loading(page: Page, base_url: str, held: list[Route]) -> None:
    with page.expect_request(lambda request: request.url.endswith("/pyodide.mjs")):
        page.goto(base_url + "/test-pages/loading.html?mode=immediate", wait_until="commit")
    assert page.evaluate("document.readyState") != "complete"
    release(held)
    wait_ready(page)
    assert page.evaluate("analytics.user().anonymousId()")


# -- replay ------------------------------------------------------------------------


def test_buffered_calls_and_calls_made_during_the_replay_run_in_call_order(page: Page, base_url: str) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate("""() => {
        window.order = [];
        analytics.load("k", {apiHost: location.host + "/v1", protocol: "http", loadMode: "immediate"});
        analytics.track("A", {}, (ctx) => { order.push("callback:" + ctx.event.event); analytics.track("C"); });
        analytics.ready(() => order.push("ready:" + analytics.user().anonymousId()));
        analytics.track("B");
        analytics.on("track", (name) => order.push(name));
        analytics.setAnonymousId("replayed-first");
    }""")
    wait_ready(page)
    page.wait_for_function("order.length === 5")
    assert page.evaluate("order") == ["callback:A", "A", "B", "ready:replayed-first", "C"]
    assert page.evaluate("analytics.ready() instanceof Promise")
    assert page.evaluate("analytics.track('D').then((ctx) => ctx.event.event)") == "D"


def test_buffered_event_calls_describe_the_page_they_were_made_on(page: Page, base_url: str) -> None:
    page.goto(base_url + "/blank.html")
    page.evaluate("""() => {
        window.pages = [];
        analytics.on("page", (category, name, properties) => pages.push([properties.path, properties.title]));
        analytics.page();
        history.pushState({}, "", "/moved.html?after=1");
        document.title = "Moved";
        analytics.load("k", {apiHost: location.host + "/v1", protocol: "http", loadMode: "immediate"});
    }""")
    wait_ready(page)
    page.evaluate("analytics.page()")
    assert page.evaluate("pages") == [["/blank.html", "analytics-identity blank page"], ["/moved.html", "Moved"]]
    context = page.evaluate("analytics.track('After').then((ctx) => ctx.event.context.page)")
    assert context["path"] == "/moved.html" and context["search"] == "?after=1"


# -- failure -----------------------------------------------------------------------


def goto_expecting_our_error(page: Page, url: str) -> str:
    """Open ``url`` and wait for the loader's console error."""
    with page.expect_console_message(lambda m: m.text.startswith("analytics-identity:"),
                                     timeout=config.BOOT_TIMEOUT_MS) as message:
        page.goto(url)
    return message.value.text


def assert_page_keeps_working_with_the_buffer(page: Page, errors: Errors) -> None:
    assert page.evaluate("Array.isArray(window.analytics) && !analytics.initialized")
    before = page.evaluate("analytics.length")
    assert page.evaluate("analytics.track('Still buffered') === analytics")
    assert page.evaluate("analytics.length") == before + 1
    assert page.evaluate("document.body.textContent = 'still working'") == "still working"
    assert len(errors.ours) == 1, errors.ours
    assert not errors.page


def test_missing_wasm_leaves_the_buffer_and_one_clear_error(page: Page, base_url: str) -> None:
    errors = Errors(page)
    page.route("**/pyodide.asm.wasm", lambda route: route.fulfill(status=404, body="not found"))
    message = goto_expecting_our_error(page, base_url + "/test-pages/loading.html")
    assert "pyodide.asm.wasm answered HTTP 404" in message and "serve the whole build folder" in message
    assert_page_keeps_working_with_the_buffer(page, errors)


def test_a_wasm_that_cannot_be_instantiated_leaves_the_buffer_and_one_clear_error(page: Page, base_url: str) -> None:
    """Pyodide only warns when its wasm's instantiation fails, and never resolves: the loader says
    why instead of leaving the page waiting without a word (a LinkError, as files of two builds
    served together would give)."""
    errors = Errors(page)
    page.add_init_script("""{
        const instantiate = WebAssembly.instantiate;
        WebAssembly.instantiate = function (module, imports) {
            return imports && imports.env ? Promise.reject(new WebAssembly.LinkError("refused by the test"))
                : instantiate.apply(this, arguments);
        };
    }""")
    message = goto_expecting_our_error(page, base_url + "/test-pages/loading.html")
    assert "refused by the test" in message and "serve the whole build folder" in message
    assert_page_keeps_working_with_the_buffer(page, errors)


def test_a_wasm_served_without_its_type_still_boots_from_the_downloaded_copy(page: Page, base_url: str) -> None:
    """``compileStreaming`` refuses a response the server did not type ``application/wasm`` (one
    that does not know the type): the loader compiles the copy it downloaded, typed by itself, and
    fetches nothing twice."""
    errors = Errors(page)
    requests = Requests(page)

    def untyped(route: Route) -> None:
        response = route.fetch()
        headers = {name: value for name, value in response.headers.items()
                   if name.lower() not in ("content-type", "content-encoding", "content-length")}
        route.fulfill(status=200, body=response.body(), headers={**headers, "content-type": "application/octet-stream"})

    page.route("**/pyodide.asm.wasm", untyped)
    page.goto(base_url + "/test-pages/loading.html")
    wait_ready(page)
    assert len(requests.named("pyodide.asm.wasm")) == 1
    assert page.evaluate("analytics.track('Typed or not').then((ctx) => ctx.event.event)") == "Typed or not"
    assert not errors.ours and not errors.page


def test_csp_without_wasm_unsafe_eval_leaves_the_buffer_and_says_what_to_add(page: Page, base_url: str) -> None:
    errors = Errors(page)
    serve_with_csp(page, base_url, "default-src 'self'; script-src 'self' 'unsafe-inline'")
    message = goto_expecting_our_error(page, base_url + "/test-pages/loading.html")
    assert "Content-Security-Policy" in message and "'wasm-unsafe-eval'" in message
    assert_page_keeps_working_with_the_buffer(page, errors)


def test_the_readme_csp_is_enough_as_it_stands(page: Page, base_url: str) -> None:
    """The README's policy, pasted verbatim, on a page with no inline script: ready, and the event sent."""
    errors = Errors(page)
    serve_with_csp(page, base_url, policy("csp:loader"), CSP_PAGE)
    page.goto(base_url + CSP_PAGE)
    # A function, not a string: the policy forbids eval, which string predicates use.
    page.wait_for_function("() => window.analytics.initialized === true", timeout=config.BOOT_TIMEOUT_MS)
    anonymous_id = page.evaluate("() => analytics.user().anonymousId()")
    assert [e["type"] for e in wait_collected(base_url, 1, anonymousId=anonymous_id)] == ["page"]
    # No violation reports (Chromium logs each as a console error) and no uncaught errors.
    assert not errors.console and not errors.page


def serve_with_csp(page: Page, base_url: str, policy: str, path: str = "/test-pages/loading.html") -> None:
    """The page at ``path`` as the server sends it, plus a Content-Security-Policy header."""

    def with_policy(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    page.route(base_url + path, with_policy)


# -- TypeScript declarations -------------------------------------------------------


def test_typescript_declarations_describe_what_the_page_gets(page: Page, base_url: str) -> None:
    declarations = (BUILD / "analytics.d.ts").read_text()
    browser_api = declarations.split("export interface AnalyticsBrowser {", 1)[1].split("\n}", 1)[0]
    methods = sorted(set(re.findall(r"^  (\w+)\(", browser_api, flags=re.M)))
    user_api = declarations.split("export interface User {", 1)[1].split("\n}", 1)[0]
    user_methods = sorted(set(re.findall(r"^  (\w+)\(", user_api, flags=re.M)))
    assert {"identify", "track", "page", "group", "alias", "reset", "setAnonymousId", "user", "ready"} <= set(methods)
    page.goto(base_url + "/blank.html")
    page.evaluate("analytics.load('k', {apiHost: location.host + '/v1', protocol: 'http', loadMode: 'immediate'})")
    wait_ready(page)
    assert page.evaluate("(names) => names.filter((n) => typeof analytics[n] !== 'function')", methods) == []
    assert page.evaluate("(names) => names.filter((n) => typeof analytics.user()[n] !== 'function')", user_methods) == []
    assert page.evaluate("analytics.initialized") is True
