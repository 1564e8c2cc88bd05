"""``make bench``: this project side by side with bare Pyodide and analytics-next.

One run of this script starts ``analytics-identity serve`` on 127.0.0.1,
opens headless Chromium as ``playwright.config.py`` says, and measures three
pages served by that one server from the same files:

1. ``pyodide``: stock ``loadPyodide`` from the self-hosted runtime (the npm
   files, standard library as sources), nothing else: the baseline;
2. ``snippet``: this project, through its snippet, default ``loadMode``
   (the boot waits for the ``load`` event), the page the targets compare
   with the baseline; ``snippet-immediate`` is the same page with
   ``loadMode: "immediate"`` (boots at once, as the baseline does);
3. ``analytics-next``: ``@segment/analytics-next`` (pinned npm test
   dependency), offline with local settings;

plus ``plain``, the same markup without any script, for paint and load.
bench/engines.py then takes cold and warm ready of the first two (and
``snippet-immediate``) in WebKit and Firefox too (``--engines``).

Pages are visited round-robin, so the noise of a shared machine hits them
alike, and every figure is the median, min and max over ``--runs`` rounds.
Each round launches a fresh on-disk profile: the first visit is cold (empty
HTTP cache, no cookies), the second is warm (HTTP cache and storage kept; an
incognito context would keep no file over ~6 MB and refetch the wasm). On our
pages the bench waits between the two until the first visit has saved its
memory snapshot (as a visitor who stays a few seconds), so the warm visit
restores it.
Nothing is intercepted (``page.route`` would disable the cache); the only
addition to each page is a small init script that observes long tasks and a
100 ms timer. After the warm visit the bench reads the origin's storage
(``navigator.storage.estimate()``) and times each library's calls in tight
loops; a second warm visit runs the per-call workload of bench/workload.py.
analytics-next is served with brotli too (a private copy with ``.br`` twins).
Then bench/lighthouse.py runs Lighthouse on an article page, alone and with
each library, from the same server.

Writes ``bench/results.json`` (every value) and ``bench/results.md`` (tables
and targets, written by bench/report.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from analytics_identity.server.process import ServerProcess

import engines
import lighthouse
import report
import workload
from devtools import metrics

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

#: Runs before any page script: long tasks, a timer due at 100 ms, and the page's wasm
#: memories (noted as instances are made, so no library has to expose its Pyodide).
PROBE = """(() => {
  const bench = (window.__bench = { longtasks: [], timerLate: null, memories: new Set() });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (error) { bench.longtaskError = String(error); }
  const scheduled = performance.now();
  setTimeout(() => { bench.timerLate = performance.now() - scheduled - 100; }, 100);
  const note = (namespace) => {
    for (const value of Object.values(namespace || {})) {
      if (value instanceof WebAssembly.Memory) bench.memories.add(value);
    }
  };
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (source, imports) {
      Object.values(imports || {}).forEach(note);
      return original.apply(this, arguments).then((result) => {
        note((result.instance || result).exports);
        return result;
      });
    };
  }
  bench.wasmMemory = () => [...bench.memories].reduce((sum, m) => sum + m.buffer.byteLength, 0);
})();"""

#: Everything measured once the page is ready (and its load event has fired).
COLLECT = """() => {
  const ready = window.benchReady;
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-paint")[0];
  const entries = [nav, ...performance.getEntriesByType("resource")].filter((e) => e.responseEnd <= ready);
  const tasks = window.__bench.longtasks.filter(([start]) => start < ready);
  const runtime = entries.filter((e) => /\/static\/analytics\/(pyodide-|stdlib\/)/.test(e.name));
  return {
    ready,
    runtimeStart: runtime.length ? Math.min(...runtime.map((e) => e.startTime)) : null,
    runtimeFetched: runtime.length ? Math.max(...runtime.map((e) => e.responseEnd)) : null,
    firstPaint: paint ? paint.startTime : null,
    load: nav.loadEventStart,
    timerLate: window.__bench.timerLate,
    longTaskTotal: tasks.reduce((sum, [, d]) => sum + d, 0),
    longTaskMax: tasks.reduce((max, [, d]) => Math.max(max, d), 0),
    longTaskCount: tasks.length,
    resources: entries.map((e) => ({
      url: e.name, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize,
    })),
  };
}"""

#: Synchronous cost per call after ready: (label, JavaScript call with loop index i, iterations).
#: Event calls stay under this project's queue bound (100 events) so none is dropped.
CALLS = [
    ("user().anonymousId()", "analytics.user().anonymousId()", 300),
    ("setAnonymousId(x)", "analytics.setAnonymousId('bench-anon-' + i)", 300),
    ("track('E', props)", "analytics.track('E', { plan: 'pro', count: i, tags: ['a', 'b'] })", 50),
    ("identify('u', traits)", "analytics.identify('u', { email: 'u@example.com', logins: i })", 50),
    ("page()", "analytics.page()", 50),
]
#: Warm-up calls before each timed loop (lets V8 tier the wasm interpreter up to optimised code).
WARMUP = 20

# -- server -------------------------------------------------------------------


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


# -- browser --------------------------------------------------------------------


class InFlight:
    """Counts the page's unfinished requests, to let event deliveries drain."""

    def __init__(self, page: Page) -> None:
        self.count = 0
        self.urls: list[str] = []
        self.last_change = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        self.count += 1
        self.last_change = time.monotonic()
        self.urls.append(request.url)

    def _ended(self, request: Any) -> None:
        self.count -= 1
        self.last_change = time.monotonic()

    def drain(self, page: Page, timeout_s: float = 30, quiet_s: float = 0.5) -> None:
        """Wait until no request has started or ended for ``quiet_s``.

        A queue goes out in waves (a few requests at a time, the next wave
        sent once one is answered), so a moment with nothing in flight does
        not mean the queue is empty, and the requests a loop just made may not
        have been reported yet: measuring then would time the next calls on
        top of a queue still full of the last loop's events (which made
        identify() look ~60 % dearer: its events overflowed the queue bound).
        """
        deadline = time.monotonic() + timeout_s
        self.last_change = time.monotonic()  # requests the last loop made may not have been reported yet
        while time.monotonic() < deadline:
            if self.count <= 0 and time.monotonic() - self.last_change >= quiet_s:
                return
            page.wait_for_timeout(50)


def renderer_cpu(page: Page) -> float:
    """Seconds of CPU the page's renderer process has used so far (DevTools ``ProcessTime``)."""
    return metrics(page)["ProcessTime"]


def visit(page: Page, url: str) -> dict[str, Any]:
    """Navigate, wait for ready and the load event, then collect the figures.

    Besides wall-clock times, the renderer's CPU time until ready is taken:
    on a machine shared with other work it is far steadier than wall time.
    """
    cpu_before = renderer_cpu(page)
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.benchReady !== undefined", timeout=config.BOOT_TIMEOUT_MS, polling=20)
    cpu_after = renderer_cpu(page)
    page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0",
                           timeout=config.BOOT_TIMEOUT_MS)
    figures = page.evaluate(COLLECT)
    figures["restored"] = page.evaluate(engines.RESTORED)
    # A navigation to a new site may start a new renderer process, whose count starts at zero.
    figures["cpu"] = 1000 * (cpu_after - cpu_before if cpu_after >= cpu_before else cpu_after)
    figures["resources"] = [{**r, "url": r["url"].split("/", 3)[-1]} for r in figures["resources"]]
    return figures


def memory(page: Page) -> dict[str, float]:
    """JS heap after a GC and the page's wasm memories, in bytes."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("HeapProfiler.collectGarbage")
        usage = cdp.send("Runtime.getHeapUsage")
    finally:
        cdp.detach()
    return {"jsHeapUsed": usage["usedSize"], "jsHeapTotal": usage["totalSize"],
            "wasmMemory": page.evaluate("window.__bench.wasmMemory()")}


def per_call(page: Page, inflight: InFlight) -> dict[str, float]:
    """µs per synchronous call, each a loop timed with performance.now(), network drained between."""
    results = {}
    for label, call, iterations in CALLS:
        inflight.drain(page)
        started = time.monotonic()
        results[label] = page.evaluate(
            f"""([n, warmup]) => {{
                for (let i = 0; i < warmup; i++) {call};
                const start = performance.now();
                for (let i = 0; i < n; i++) {call};
                return (performance.now() - start) * 1000 / n;
            }}""",
            [iterations, WARMUP],
        )
        log(f"  {label}: {results[label]:.1f} µs per call ({time.monotonic() - started:.1f} s)")
    inflight.drain(page)
    return results


def snapshot_saved(page: Page, timeout_s: float = 60) -> float | None:
    """Seconds after the first visit's ready until its idle-time worker had
    saved the memory snapshot warm visits restore (``None``: not within
    ``timeout_s``). The bench waits for it, as a visitor who stays a few
    seconds on the first page gives it time; the per-call loops then do not
    share the CPU with that worker either."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if page.evaluate(engines.SNAPSHOT_SAVED):
            return page.evaluate("(performance.now() - window.benchReady) / 1000")
        page.wait_for_timeout(200)
    return None


def storage(page: Page) -> dict[str, Any]:
    """The origin's storage as the browser counts it (``navigator.storage.estimate()``, bytes)."""
    return page.evaluate("""async () => {
      const estimate = await navigator.storage.estimate();
      return { usage: estimate.usage, details: estimate.usageDetails || {} };
    }""")


def one_round(pw: Playwright, base_url: str, name: str) -> dict[str, Any]:
    """A fresh on-disk profile: a cold visit, a warm visit and its per-call loops, and for the
    libraries a second warm visit for the workload of bench/workload.py (each starts right
    after a warm ready)."""
    profile = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    context: BrowserContext = pw.chromium.launch_persistent_context(
        profile, executable_path=config.EXECUTABLE_PATH, args=config.ARGS, headless=config.HEADLESS,
    )
    try:
        context.set_default_timeout(config.ACTION_TIMEOUT_MS)
        context.add_init_script(PROBE)
        page = context.pages[0] if context.pages else context.new_page()
        inflight = InFlight(page)
        url = base_url + PAGES[name].format(runtime=BUILD.get("runtime", ""))
        cold = visit(page, url)
        cold["memory"] = memory(page)
        if name.startswith("snippet"):
            cold["snapshotSaved"] = snapshot_saved(page)
        page.goto("about:blank")
        warm = visit(page, url)
        inflight.drain(page)
        warm["storage"] = storage(page)
        log(f"{name}: ready {cold['ready']:.0f} ms cold, {warm['ready']:.0f} ms warm, "
            f"origin storage {warm['storage']['usage'] / 1e6:.1f} MB")
        calls = per_call(page, inflight) if name in LIBRARIES else {}
        batches = {}
        if name in LIBRARIES:
            page.goto("about:blank")
            again = visit(page, url)
            batches = {**workload.run(page, inflight.drain), "restored": again["restored"]}
            log("  workload: " + ", ".join(f"{label} {batches[label]['sync']:.0f} µs sync, "
                                            f"{batches[label]['task']:.0f} µs with its task"
                                            for label, _, _ in workload.STEPS)
                + f"; main thread {batches['mainThread']:.0f} µs per call, {batches['warnings']} warnings")
        outside = [u for u in inflight.urls if not u.startswith(base_url) and not u.startswith("about:")]
        if outside:
            raise RuntimeError(f"{name} made requests off 127.0.0.1: {outside}")
        return {"cold": cold, "warm": warm, "calls": calls, "workload": batches}
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


# -- CPython core ---------------------------------------------------------------


def cpython_core(repeat: int) -> dict[str, dict[str, Any]]:
    """Operations per second of the pure core in CPython (best of ``repeat`` timings each)."""
    from analytics_identity.api.client import Analytics
    from analytics_identity.storage.codec import decode_value, encode_value, parse_cookie_header
    from analytics_identity.host import MemoryHost

    analytics = Analytics(MemoryHost(), "bench-key")
    analytics.identify("user 1; é", {"email": "u@example.com"})
    traits = {"name": "Zoë; x=y", "plan": "pro", "logins": 3, "tags": ["a", "b"]}
    header = "; ".join(f"c{i}=v{i}" for i in range(10)) + "; ajs_anonymous_id=" + encode_value("anon id; ü")
    encoded = encode_value(traits)

    def track() -> None:
        analytics.track("E", {"plan": "pro", "count": 1})
        analytics.delivery.flush()

    cases: dict[str, tuple[Callable[[], Any], int]] = {
        "events built and queued (track)": (track, 300),
        "cookie encode (traits object)": (lambda: encode_value(traits), 5000),
        "cookie decode (traits object)": (lambda: decode_value(encoded), 5000),
        "cookie header parse (11 cookies)": (lambda: parse_cookie_header(header), 5000),
    }
    results = {}
    for label, (fn, number) in cases.items():
        rates = [number / t for t in timeit.repeat(fn, number=number, repeat=repeat)]
        results[label] = report.summarize(rates)
    return results


# -- runs -------------------------------------------------------------------------


def measure_pages(names: list[str], runs: int, base_url: str, started: float) -> dict[str, list[dict[str, Any]]]:
    """Round-robin over the pages, ``runs`` rounds."""
    rounds: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    with sync_playwright() as pw:
        for i in range(runs):
            for name in names:
                rounds[name].append(one_round(pw, base_url, name))
            log(f"round {i + 1}/{runs} done ({time.monotonic() - started:.0f} s)")
    return rounds


def chromium_version() -> str:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=config.EXECUTABLE_PATH, args=config.ARGS)
        found = browser.version
        browser.close()
    return found


def loading_figures(runs: int, out: Path, results: dict[str, Any]) -> str:
    """Run bench/loading.py (loading modes, worker, snapshot); its table, a level down."""
    spec = importlib.util.spec_from_file_location("bench_loading", HERE / "loading.py")
    assert spec and spec.loader
    loading = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loading)
    figures = loading.measure(runs)
    (out / "loading-results.json").write_text(json.dumps(figures, indent=1) + "\n")
    table = loading.markdown(figures)
    (out / "loading-results.md").write_text(table)
    results["loading"] = {key: value for key, value in figures.items() if key != "raw"}
    return "\n".join("#" + line if line.startswith("#") else line for line in table.splitlines()) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds per page (default 5)")
    parser.add_argument("--pages", default="pyodide,snippet,snippet-immediate,analytics-next,plain",
                        help="comma-separated, from " + ", ".join(PAGES))
    parser.add_argument("--engines", default="chromium," + ",".join(engines.ENGINES),
                        help="comma-separated, from chromium (every figure), " + ", ".join(engines.ENGINES)
                        + " (cold and warm ready of the pages " + ", ".join(engines.PAGES) + "; default all)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and results.json")
    parser.add_argument("--lighthouse-runs", type=int, default=3,
                        help="Lighthouse runs per article page (default 3; 0 skips Lighthouse)")
    parser.add_argument("--loading", action="store_true",
                        help="also run bench/loading.py (loading modes, worker, snapshot; doubles the time)")
    args = parser.parse_args(argv)
    if not BUILD:
        print(f"{STATIC} has no build: run `make build`", file=sys.stderr)
        return 2
    names = [n for n in args.pages.split(",") if n]
    chosen = [e for e in args.engines.split(",") if e]
    unknown = set(chosen) - {"chromium", *engines.ENGINES}
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    chromium = "chromium" in chosen
    others = [e for e in engines.ENGINES if e in chosen]
    started = time.monotonic()
    loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        # A private copy of the build: a `make build` elsewhere during the run cannot change what is measured.
        static = Path(tmp) / "static"
        shutil.copytree(STATIC, static)
        build = json.loads((static / "build.json").read_text())
        BUILD.update(build)
        with serve(static.parent / "events.sqlite3", static, brotli_mounts(Path(tmp))) as base_url:
            rounds = measure_pages(names, args.runs, base_url, started) if chromium else {}
            urls = {name: base_url + PAGES[name].format(runtime=build["runtime"]) for name in names}
            in_engines = engines.measure(others, urls, args.runs, log)
            lighthouse_raw = lighthouse.measure(base_url, args.lighthouse_runs, config.EXECUTABLE_PATH, config.ARGS,
                                                log) if chromium and args.lighthouse_runs > 0 else None
        wheel_bytes = (static / build["wheel"]).stat().st_size
    loadavg_end = " ".join(f"{x:.2f}" for x in os.getloadavg())  # the browsers are done
    browser_version = chromium_version() if chromium else None
    pages = report.aggregate(rounds)
    light, notes = None, []
    if lighthouse_raw:
        light = {**lighthouse_raw, "pages": report.lighthouse_pages(lighthouse_raw["raw"])}
        notes += [f"A Lighthouse run failed and is left out: {failure}" for failure in lighthouse_raw["failures"]]
    results = {
        "meta": {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "runs": args.runs, "browser": browser_version and f"Chromium {browser_version}", "cpus": os.cpu_count(),
            "loadavg": loadavg, "loadavgEnd": loadavg_end, "runtime": BUILD["runtime"],
            "wheel": BUILD["wheel"], "python": platform.python_version(),
            "iterations_per_call": {label: n for label, _, n in CALLS},
        },
        "wheel_bytes": wheel_bytes,
        "categories": sorted({report.category(u) for p in pages.values() for u in p["cold.requests"]}),
        "storageKinds": sorted({k.split(".", 2)[2] for p in pages.values() for k in p if k.startswith("warm.storage.")}),
        "pages": pages,
        "lighthouse": light,
        "engines": in_engines,
        "notes": notes,
        "rounds": rounds,
        "cpython": cpython_core(max(args.runs, 5)),
    }
    results["targets"] = report.targets(pages, light and light["pages"]) if chromium else []
    args.out.mkdir(parents=True, exist_ok=True)
    text = report.markdown(results)
    if args.loading:
        text += "\n" + loading_figures(args.runs, args.out, results)
    results["meta"]["seconds"] = round(time.monotonic() - started)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "results.md").write_text(text)
    print((args.out / "results.md").read_text())
    print(f"bench took {results['meta']['seconds']} s")
    missed = [t["target"] for t in results["targets"] if not t["pass"]]
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
