"""The one place that says how end-to-end tests drive the browser.

Read by ``tests/conftest.py`` (pytest-playwright fixtures) and by
``bench/run.py``, so tests and benchmarks use the same browser and flags.
"""

from __future__ import annotations

#: Debian's chromium; ``playwright install`` cannot download here.
EXECUTABLE_PATH = "/usr/bin/chromium"

#: No GPU on this machine, and no network beyond loopback.
ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Names under example.test reach the local server, so tests can check the
    # cookie domain probe on a real multi-label host (a.b.example.test).
    # Every *.test name (a.one.test, b.two.test: two sites for the cross-domain hand-off) too.
    # (WebKitGTK has no such rules: its window forwards *.test names through a proxy of its own,
    # tests/e2e/engines/webkit_shell.py; Firefox resolves the names of FIREFOX_PREFS below.)
    "--host-resolver-rules=MAP *.example.test 127.0.0.1,MAP *.test 127.0.0.1",
]

HEADLESS = True

#: Pyodide boots in ~2 s; allow for a loaded 2-core machine.
BOOT_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 20_000

#: The server under test binds here, on a free port chosen per session.
HOST = "127.0.0.1"

#: Where the static build lives (``make build`` writes it).
STATIC_DIR = "build/static/analytics"

#: Extra folders served by the test and benchmark server, by URL prefix.
MOUNTS = {
    "vendor/analytics-next": "node_modules/@segment/analytics-next/dist/umd",
    "test-pages": "tests/e2e/pages",
    # analytics-next loads its lazy chunks from <_cdn>/analytics-next/bundles/.
    "vendor/segment-cdn/analytics-next/bundles": "node_modules/@segment/analytics-next/dist/umd",
    "bench-pages": "bench/pages",
}

# -- The other engines -------------------------------------------------------------------------
# tests/e2e/engines/ runs the identity walk-through in WebKit (Safari's engine)
# and Firefox too, from Debian's packages (Playwright's own builds cannot be
# downloaded here), each through its own WebDriver protocol.

#: WebKitGTK's WebDriver (classic, over HTTP); it starts the browser below.
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"

#: The WebKitGTK window it drives: Debian's python3 (PyGObject) running the
#: shell that keeps its data on disk with tracking prevention on, as Safari
#: does (MiniBrowser's automation mode keeps Cache Storage in memory only).
WEBKIT_BROWSER = ["/usr/bin/python3", "tests/e2e/engines/webkit_shell.py"]

#: WebKitGTK draws into an X display even when nobody looks: a virtual one,
#: on a display number Xvfb picks itself (``-displayfd``).
XVFB = ["/usr/bin/Xvfb", "-nolisten", "tcp", "-screen", "0", "1280x1024x24"]

#: Firefox ESR speaks WebDriver BiDi itself (no geckodriver), on the port it
#: prints; a fresh profile per session.
FIREFOX = "/usr/bin/firefox-esr"
FIREFOX_ARGS = ["--headless", "--no-remote", "--remote-debugging-port=0"]

#: On top of the prefs Firefox's remote agent sets for automation: no
#: first-run pages, reports or experiments, nothing fetched from the network.
FIREFOX_PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.normandy.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "network.connectivity-service.enabled": False,
    # Firefox's counterpart of Chromium's --host-resolver-rules above (exact names, no wildcards):
    # the names under example.test the tests open reach the local server, over plain HTTP.
    "network.dns.localDomains": "a.b.example.test,shop.example.test,blog.example.test",
    "dom.security.https_first": False,
}

#: Starting a driver and its browser, and one WebDriver command.
ENGINE_START_TIMEOUT_S = 60
ENGINE_COMMAND_TIMEOUT_S = ACTION_TIMEOUT_MS / 1000
