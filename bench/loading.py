"""Loading figures: what the snippet costs a page, and ways to take the boot off its main thread.

``python bench/loading.py [--runs N]`` (also importable: :func:`measure`)
serves the build and ``bench/loading_pages/`` from 127.0.0.1 with
``analytics-identity serve`` and opens each page in headless Chromium, cold
(fresh on-disk profile) then warm (same profile: HTTP cache and storage
kept), round-robin so a busy machine hits every page alike:

- ``plain``: the markup alone (the baseline for first paint and ``load``);
- ``idle``: the snippet with the default ``loadMode`` (boot after ``load``);
- ``inline``: the same with the built snippet inlined (no request for it);
- ``immediate``: the snippet with ``loadMode: "immediate"``;
- ``worker``: investigation (b), Pyodide + wheel + core in a module Worker;
- ``snapshot``: investigation (c), Pyodide restored from a memory snapshot
  (made once per run by ``snapshot-make.html``, Python initialized, no
  wheel: see docs/loading.md for why), then the wheel and the bridge.

Per visit: first paint, first contentful paint, DOMContentLoaded, load,
ready (all ms from navigation start), boot (from the runtime's first
request to ready), and main-thread long tasks (PerformanceObserver
``longtask``): longest before ``load``, longest until ready, and total
blocking time until ready. Writes ``bench/loading-results.json`` and
``bench/loading-results.md`` (median, min, max per figure).
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Playwright, sync_playwright

from analytics_identity.server.process import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PAGES = HERE / "loading_pages"
GENERATED = PAGES / "generated"  # made by each run, not in git
SNAPSHOT = GENERATED / "core.snapshot"
_spec = importlib.util.spec_from_file_location("playwright_config", ROOT / "playwright.config.py")
assert _spec and _spec.loader
config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config)

VARIANTS = ("plain", "idle", "inline", "immediate", "worker", "snapshot")
#: Each variant's page under /bench-loading/ (``generated/`` ones are made by each run).
URLS = {
    "plain": "plain.html",
    "idle": "snippet.html",
    "inline": "generated/inline.html",
    "immediate": "snippet.html?loadMode=immediate",
    "worker": "worker.html",
    "snapshot": "snapshot.html",
}
FIGURES = ("first_paint", "first_contentful_paint", "dom_content_loaded", "load", "ready", "boot",
           "longest_task_before_load", "longest_task_until_ready", "blocking_until_ready")

#: Long tasks from the start, whatever the page does.
OBSERVE = """(() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
})();"""

COLLECT = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
  const ready = window.benchReady ?? null;
  const runtime = performance.getEntriesByType("resource").find((e) => /pyodide\\.mjs$/.test(e.name));
  const tasks = window.__longtasks;
  const longest = (until) => Math.max(0, ...tasks.filter(([s]) => s < until).map(([, d]) => d));
  const end = ready ?? nav.loadEventEnd;
  return {
    first_paint: paint["first-paint"] ?? null,
    first_contentful_paint: paint["first-contentful-paint"] ?? null,
    dom_content_loaded: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    ready,
    boot: ready !== null && runtime ? ready - runtime.startTime : null,
    longest_task_before_load: longest(nav.loadEventEnd),
    longest_task_until_ready: longest(end + 1),
    blocking_until_ready: tasks.filter(([s]) => s < end + 1).reduce((sum, [, d]) => sum + Math.max(0, d - 50), 0),
  };
}"""


def log(message: str) -> None:
    print(f"[loading] {message}", file=sys.stderr, flush=True)


@contextmanager
def serve() -> Iterator[str]:
    """``analytics-identity serve`` with the loading pages at /bench-loading/."""
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(
        ROOT / config.STATIC_DIR, Path(tmp) / "events.sqlite3", host=config.HOST,
        mounts={"bench-loading": PAGES}, quiet=True,
    ) as server:
        yield server.url


def make_snapshot(pw: Playwright, base_url: str) -> int:
    """Boot Pyodide with ``_makeSnapshot`` in Chromium and store the heap for ``snapshot.html``."""
    browser = pw.chromium.launch(executable_path=config.EXECUTABLE_PATH, args=config.ARGS, headless=config.HEADLESS)
    try:
        page = browser.new_page()
        page.goto(base_url + "/bench-loading/snapshot-make.html")
        page.wait_for_function("window.snapshotBase64 !== undefined", timeout=120_000)
        data = base64.b64decode(page.evaluate("snapshotBase64"))
    finally:
        browser.close()
    SNAPSHOT.write_bytes(data)
    return len(data)


def make_inline_page() -> None:
    """``snippet.html`` (default ``loadMode``) with the built snippet inlined, as a site may ship it."""
    snippet = (ROOT / config.STATIC_DIR / "snippet.js").read_text()
    page = (PAGES / "snippet.html").read_text().replace(
        '<script src="/static/analytics/snippet.js"></script>',
        f'<script data-base="/static/analytics/">{snippet}</script>')
    (GENERATED / "inline.html").write_text(page.replace("bench loading: snippet", "bench loading: snippet, inlined"))


def visit(page: Page, url: str, waits_for_ready: bool) -> dict[str, Any] | None:
    """One visit's figures, or None (logged) when the page never got ready."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="load")
    try:
        if waits_for_ready:
            page.wait_for_function("window.benchReady !== undefined", timeout=config.BOOT_TIMEOUT_MS)
        else:
            page.wait_for_timeout(300)  # let late paint entries land
    except PlaywrightError as error:
        log(f"{url}: not ready ({error.message.splitlines()[0]}); console errors: {errors[-3:]}")
        return None
    return page.evaluate(COLLECT)


def one_round(pw: Playwright, base_url: str, variant: str) -> dict[str, dict[str, Any] | None]:
    """A cold and a warm visit of one variant in a fresh on-disk profile."""
    profile = tempfile.mkdtemp(prefix="loading-bench-")
    try:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=config.EXECUTABLE_PATH, args=config.ARGS, headless=config.HEADLESS)
        context.add_init_script(OBSERVE)
        url = f"{base_url}/bench-loading/{URLS[variant]}"
        result = {}
        for visit_name in ("cold", "warm"):
            page = context.new_page()
            result[visit_name] = visit(page, url, variant != "plain")
            page.close()
        context.close()
        return result
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def summarize(values: list[float | None]) -> dict[str, float] | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return {"median": statistics.median(present), "min": min(present), "max": max(present), "n": len(present)}


def measure(runs: int = 5) -> dict[str, Any]:
    """Run every variant ``runs`` times; the figures as a dict (also what ``main`` writes)."""
    rounds: dict[str, list[dict[str, dict[str, Any] | None]]] = {v: [] for v in VARIANTS}
    GENERATED.mkdir(exist_ok=True)
    make_inline_page()
    with serve() as base_url, sync_playwright() as pw:
        snapshot_bytes = make_snapshot(pw, base_url)
        log(f"snapshot: {snapshot_bytes / 1e6:.1f} MB")
        for run in range(runs):
            for variant in VARIANTS:
                rounds[variant].append(one_round(pw, base_url, variant))
            log(f"round {run + 1}/{runs} done")
    figures = {
        variant: {
            visit_name: {
                **{f: summarize([r[visit_name][f] for r in results if r[visit_name]]) for f in FIGURES},
                "failed": sum(1 for r in results if not r[visit_name]),
            }
            for visit_name in ("cold", "warm")
        }
        for variant, results in rounds.items()
    }
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runs": runs,
        "chromium": config.EXECUTABLE_PATH,
        "snapshot_bytes": snapshot_bytes,
        "figures": figures,
        "raw": rounds,
    }


def markdown(results: dict[str, Any]) -> str:
    def cell(figure: dict[str, float] | None) -> str:
        if figure is None:
            return "–"
        return f"{figure['median']:.0f} ({figure['min']:.0f}–{figure['max']:.0f})"

    lines = [
        "# Loading figures",
        "",
        f"`python bench/loading.py --runs {results['runs']}`, {results['date']}, headless Chromium, 127.0.0.1.",
        "Milliseconds from navigation start (boot: from the runtime's first request to ready);",
        "median (min–max). Long tasks from PerformanceObserver `longtask`; blocking = sum of (task − 50 ms).",
        f"Memory snapshot: {results['snapshot_bytes'] / 1e6:.1f} MB uncompressed.",
        "",
    ]
    for visit_name in ("cold", "warm"):
        lines += [f"## {visit_name.capitalize()} visit", "",
                  "| page | " + " | ".join(FIGURES) + " | failed |",
                  "|---" * (len(FIGURES) + 2) + "|"]
        for variant in VARIANTS:
            row = results["figures"][variant][visit_name]
            lines.append(f"| {variant} | " + " | ".join(cell(row[f]) for f in FIGURES) + f" | {row['failed']} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    results = measure(args.runs)
    (HERE / "loading-results.json").write_text(json.dumps(results, indent=1) + "\n")
    (HERE / "loading-results.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
