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
