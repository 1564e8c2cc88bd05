"""``make bench`` in WebKit and Firefox: cold and warm ready, next to stock Pyodide in the same engine.

bench/run.py measures in Chromium through Playwright. A third of a site's
visitors are on Safari and a few percent on Firefox, whose engines compile
WebAssembly and keep Cache Storage their own way, so the same two figures
are taken in both, with the drivers the end-to-end tests use
(tests/e2e/engines: WebKitGTK through WebKitWebDriver under Xvfb, Firefox
ESR over WebDriver BiDi, both from Debian).

Each round of each page starts the engine afresh on a new on-disk profile,
as bench/run.py does for Chromium: the first visit is cold (no HTTP cache,
Cache Storage, cookies or localStorage), then, on our pages, the bench waits
until the first visit has saved its start-up state (as a visitor who stays a
few seconds), leaves for ``about:blank`` and visits again: warm, caches
kept. Ready is the page's own ``window.benchReady`` (``performance.now()``
from navigation start), so how the driver polls for it does not count.
Only ready, load and whether the warm visit restored the saved state are
taken here; bytes, long tasks, memory and per-call costs need Chromium's
DevTools and stay Chromium's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import report

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the engine drivers live with the tests that use them first

from tests.e2e.engines.engine import Engine, EngineError  # noqa: E402
from tests.e2e.engines.firefox import Firefox  # noqa: E402
from tests.e2e.engines.webkit import WebKit  # noqa: E402

#: The engines besides Playwright's Chromium, and the Debian package whose version names each.
ENGINES: dict[str, tuple[type[Engine], str, str]] = {
    "webkit": (WebKit, "WebKitGTK", "libwebkit2gtk-4.1-0"),
    "firefox": (Firefox, "Firefox ESR", "firefox-esr"),
}
#: The pages of bench/run.py measured in every engine (the baseline and ours).
PAGES = report.ENGINE_PAGES

#: The saved start-up state is whole once its snapshot is stored (web/saved.mjs stores it last).
SNAPSHOT_SAVED = ("caches.open('analytics-identity').then((cache) => cache.keys())"
                  ".then((keys) => keys.some((key) => new URL(key.url).pathname.endsWith('/snapshot')))")
#: How many times the loader marked a boot restored from that state (0 or 1).
RESTORED = "performance.getEntriesByName('analytics-identity:restored').length"

#: The figures of a visit, once the page is ready.
COLLECT = f"""({{
  ready: window.benchReady,
  load: performance.getEntriesByType("navigation")[0].loadEventStart,
  restored: {RESTORED},
}})"""

#: Seconds a page may take to be ready, and the first visit to save its state.
READY_TIMEOUT_S = 120
SAVED_TIMEOUT_S = 60


def version(engine: str) -> str:
    """The engine as Debian installed it, e.g. "WebKitGTK 2.50.6"."""
    _, label, package = ENGINES[engine]
    installed = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True)
    number = re.match(r"[\d.]+", installed.stdout)  # "153.8.0esr-1~deb12u1": 153.8.0
    return f"{label} {number.group() if number else '(version unknown)'}"


def visit(engine: Engine, url: str) -> dict[str, Any]:
    """Open ``url`` (the driver waits for its load event), wait for ready; the figures."""
    engine.goto(url)
    engine.wait_for("window.benchReady !== undefined", READY_TIMEOUT_S)
    return engine.run(COLLECT)


def one_round(engine: str, url: str, ours: bool, folder: Path) -> dict[str, Any]:
    """A fresh browser on a fresh profile: a cold visit, then a warm one (our pages: once the state is saved)."""
    with ENGINES[engine][0](folder) as browser:
        cold = visit(browser, url)
        if ours:
            browser.wait_for(SNAPSHOT_SAVED, SAVED_TIMEOUT_S)
            cold["snapshotSaved"] = browser.run("(performance.now() - window.benchReady) / 1000")
        browser.goto("about:blank")
        warm = visit(browser, url)
    if not ours:
        del cold["restored"], warm["restored"]  # only our loader marks a restore
    return {"cold": cold, "warm": warm}


def measure(engines: list[str], urls: dict[str, str], runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Per engine: its version and, per page of ``urls`` (name: address) among ``PAGES``, every figure
    as median/min/max, and the rounds run again (``again``); pages and engines round-robin, so a busy
    moment of the machine hits them alike.

    A round whose page never gets ready (stock Pyodide's once stayed unready for 120 s in WebKitGTK,
    every file downloaded) runs once more in a fresh browser, so one stuck visit does not end the whole
    bench; the report counts such rounds for every page, ours included, and a round stuck twice is
    left out (its page then has fewer rounds than asked)."""
    names = [name for name in urls if name in PAGES]
    rounds: dict[str, dict[str, list[dict[str, Any]]]] = {e: {n: [] for n in names} for e in engines}
    again: dict[str, dict[str, int]] = {e: {} for e in engines}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        for i in range(runs):
            for engine in engines:
                for name in names:
                    for attempt in (1, 2):
                        folder = Path(tempfile.mkdtemp(prefix=f"{engine}-{name}-", dir=tmp))
                        try:
                            figures = one_round(engine, urls[name], name.startswith("snippet"), folder)
                        except EngineError as error:
                            again[engine][name] = again[engine].get(name, 0) + 1
                            log(f"{engine} {name}: {str(error).splitlines()[0]}; "
                                + ("once more in a fresh browser" if attempt == 1 else "this round is left out"))
                            continue
                        rounds[engine][name].append(figures)
                        log(f"{engine} {name}: ready {figures['cold']['ready']:.0f} ms cold, "
                            f"{figures['warm']['ready']:.0f} ms warm, restored {figures['warm'].get('restored', '–')}")
                        break
            log(f"engines: round {i + 1}/{runs} done ({time.monotonic() - started:.0f} s)")
    return {engine: {"browser": version(engine), "pages": aggregate(by_page), "rounds": by_page, "again": again[engine]}
            for engine, by_page in rounds.items()}


def aggregate(by_page: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per page: ``cold.ready``, ``warm.ready``, ``cold.load``, ``warm.load``, ``cold.snapshotSaved``,
    ``warm.restored`` as median/min/max over the rounds."""
    pages: dict[str, Any] = {}
    for name, runs in by_page.items():
        figures: dict[str, list[float]] = {}
        for run in runs:
            for kind in ("cold", "warm"):
                for key, value in run[kind].items():
                    if value is not None and (kind, key) != ("cold", "restored"):
                        figures.setdefault(f"{kind}.{key}", []).append(value)
        pages[name] = {key: report.summarize(values) for key, values in figures.items()}
    return pages
