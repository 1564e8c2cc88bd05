"""What one visit of a bench page measures, in Chromium through Playwright.

An init script (``PROBE``) notes long tasks, a timer due at 100 ms and the
wasm memories before any page script runs; ``visit`` waits for ready and
the load event and collects times, bytes and renderer CPU; after a warm
visit, ``storage``, ``memory`` and ``per_call`` read the rest. bench/run.py
runs the rounds; bench/calls.py and bench/profile.py reuse these parts.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page

import engines
from devtools import metrics
from site_config import config, log

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
