"""What one call makes the browser do after ready, counted: ``python bench/calls.py [--samples N]``.

On the snippet page as a site has it (warm visit, restored start-up state,
the page of ``make bench``), for each call of bench/workload.py's workload
(``track('E', {i})``, ``identify('u', {a: 1})``), after a few of the same
calls and a quiet network:

* JavaScript functions run during ONE call, by name and file (DevTools
  precise coverage with call counts): among them Pyodide's trampolines from
  Python into JavaScript (``JsvFunction_CallBound``, ``JsvFunction_Call_OneArg``,
  ...), one per JavaScript call the Python core makes;
* ``document.cookie`` and ``localStorage`` reads and writes of that call,
  and calls of a few browser functions (``Date.now``, ``fetch``,
  ``setTimeout``...), from Python or JavaScript (wrapped before any page
  script runs), and the localStorage keys written or removed.

The call is counted with the microtasks its task runs after it (promise
callbacks: the async delivery's steps, or the end of an earlier delivery);
then:

* the same figures again for the tasks that run before a ``setTimeout(0)`` queued after it;
* where the time goes over ``--samples`` calls in batches of 50 (DevTools
  CPU profile, self time by file:function; WebAssembly frames are the
  interpreter and the Python code it runs: ``python bench/profile.py`` splits
  those by Python function).

Prints a report; used to find what a per-call target of ``make bench`` misses by.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import CDPSession, Page, sync_playwright

import visit
import workload
from site_config import PAGES, config, serve

#: Counts document.cookie and localStorage traffic, and calls of the browser functions the
#: core is known to call (installed before any page script, so the core binds the wrappers).
COUNTERS = """(() => {
  window.__written = [];  // keys written or removed, in order
  const counts = (window.__counts = { cookieRead: 0, cookieWrite: 0, storageGet: 0, storageSet: 0, storageRemove: 0 });
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  Object.defineProperty(Document.prototype, "cookie", {
    configurable: true,
    get() { counts.cookieRead++; return cookie.get.call(this); },
    set(value) { counts.cookieWrite++; cookie.set.call(this, value); },
  });
  for (const [name, key] of [["getItem", "storageGet"], ["setItem", "storageSet"], ["removeItem", "storageRemove"]]) {
    const original = Storage.prototype[name];
    Storage.prototype[name] = function (item) {
      counts[key]++;
      if (name !== "getItem") window.__written.push(name + " " + String(item).replace(/:.*/, ":…"));
      return original.apply(this, arguments);
    };
  }
  // Not performance.now: cProfile (bench/profile.py) reads that clock on every Python call.
  const natives = [[Date, "now"], [window, "setTimeout"], [window, "clearTimeout"],
    [window, "fetch"], [window, "queueMicrotask"], [crypto, "getRandomValues"], [crypto, "randomUUID"],
    [Document.prototype, "querySelector"], [console, "warn"], [console, "log"], [JSON, "parse"], [JSON, "stringify"]];
  const unwrapped = (window.__unwrapped = {});  // for the harness's own calls
  for (const [owner, name] of natives) {
    const key = (owner === window ? "" : (owner[Symbol.toStringTag] || owner.name || "document") + ".") + name;
    const original = (unwrapped[key] = owner[name]);
    if (typeof original !== "function") continue;
    counts[key] = 0;
    owner[name] = function () { counts[key]++; return original.apply(this, arguments); };
  }
})();"""

#: Files whose functions are counted (the page's own and the harness's are not).
COUNTED = ("/static/analytics/",)
WARMUP = 5
#: Rows of each listing.
TOP = 15


def short(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?")[0] or url


def counted_calls(cdp: CDPSession) -> collections.Counter[str]:
    """Invocations per ``file:function`` since the last take (taking resets the counters)."""
    counts: collections.Counter[str] = collections.Counter()
    for script in cdp.send("Profiler.takePreciseCoverage")["result"]:
        if not any(part in script["url"] for part in COUNTED):
            continue
        for function in script["functions"]:
            count = function["ranges"][0]["count"]
            if count and function["functionName"]:
                counts[f"{short(script['url'])}:{function['functionName']}"] += count
    return counts


def one_call(page: Page, cdp: CDPSession, call: str) -> dict[str, Any]:
    """Counts for one ``call``: with the microtasks of its task, then until a ``setTimeout(0)``."""
    phases = {}
    written = {}
    counted_calls(cdp)
    before = page.evaluate("({...__counts})")
    page.evaluate(f"() => {{ __written.length = 0; const i = 1; {call}; }}")
    written["the call and its microtasks"] = page.evaluate("__written.splice(0)")
    phases["the call and its microtasks"] = (counted_calls(cdp), before, page.evaluate("({...__counts})"))
    page.evaluate("() => new Promise((resolve) => __unwrapped.setTimeout.call(window, resolve, 0))")
    phases["then until a setTimeout(0)"] = (counted_calls(cdp), phases["the call and its microtasks"][2],
                                            page.evaluate("({...__counts})"))
    written["then until a setTimeout(0)"] = page.evaluate("__written.splice(0)")
    return {name: {"calls": calls, "browser": {k: after[k] - before[k] for k in after if after[k] != before[k]},
                   "written": written[name]}
            for name, (calls, before, after) in phases.items()}


def cpu_profile(page: Page, cdp: CDPSession, call: str, samples: int, drain: Any,
                interval_us: int = 100) -> list[tuple[str, float]]:
    """Self time (ms) by file:function over ``samples`` calls in batches of 50, highest first.

    Each batch is profiled until a ``setTimeout(0)`` after it (what the calls
    leave to the end of their task included), then the network is drained
    unprofiled (``drain(page)``), so the queue never fills: the path of a page
    that calls now and then. (bench/workload.py's workload calls faster than
    the queue drains: then every call past the 100th also drops the oldest
    event, with a console warning.)
    """
    self_ms: collections.Counter[str] = collections.Counter()
    cdp.send("Profiler.setSamplingInterval", {"interval": interval_us})
    for done in range(0, samples, workload.BATCH):
        cdp.send("Profiler.start")
        page.evaluate(f"""async ([start, end]) => {{
          for (let i = start; i < end; i++) {call};
          await new Promise((resolve) => setTimeout(resolve, 0));
        }}""", [done, min(done + workload.BATCH, samples)])
        profile = cdp.send("Profiler.stop")["profile"]
        by_node = {node["id"]: node for node in profile["nodes"]}
        for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
            frame = by_node[node_id]["callFrame"]
            url = frame["url"]
            if url.startswith("wasm://"):
                self_ms["wasm:(all functions)"] += delta / 1000
            else:
                self_ms[f"{short(url) if url else '(native)'}:{frame['functionName'] or '(anonymous)'}"] += delta / 1000
        drain(page)
    del self_ms["(native):(idle)"]
    return self_ms.most_common(TOP)


def report(name: str, counts: dict[str, Any], profile: list[tuple[str, float]], samples: int) -> str:
    lines = [f"=== {name}"]
    for phase, figures in counts.items():
        calls = figures["calls"]
        into_js = {k.split(":", 1)[1]: v for k, v in calls.items() if ":JsvFunction_" in k}
        lines.append(f"{phase}: {sum(calls.values())} JS function calls in the build's files; JavaScript functions "
                     f"called from Python {into_js or 'none'}; cookie, storage and other browser calls "
                     f"{figures['browser'] or 'none'}; localStorage keys written {figures['written'] or 'none'}")
        lines += [f"    {count:5d}  {function}" for function, count in calls.most_common(TOP)]
    total = sum(ms for _, ms in profile)
    lines.append(f"CPU profile, {samples} calls in batches of 50 (top self time, ms; listed {total:.0f} ms):")
    lines += [f"    {ms:8.1f}  {where}" for where, ms in profile]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="calls in the CPU profile of each kind (default 200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp, \
            serve(Path(tmp) / "events.sqlite3") as base_url, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            Path(tmp) / "profile", executable_path=config.EXECUTABLE_PATH, args=config.ARGS,
            headless=config.HEADLESS)
        context.set_default_timeout(config.ACTION_TIMEOUT_MS)
        context.add_init_script(visit.PROBE)
        context.add_init_script(COUNTERS)
        page = context.pages[0]
        inflight = visit.InFlight(page)
        url = base_url + PAGES["snippet"]
        visit.visit(page, url)
        visit.snapshot_saved(page)
        page.goto("about:blank")
        warm = visit.visit(page, url)
        print(f"warm ready {warm['ready']:.0f} ms, restored {warm['restored']}")
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.startPreciseCoverage", {"callCount": True, "detailed": False})
        for label, _, call in workload.STEPS:
            page.evaluate(f"() => {{ for (let i = 0; i < {WARMUP}; i++) {call}; }}")
            inflight.drain(page)
            counts = one_call(page, cdp, call)
            inflight.drain(page)
            profile = cpu_profile(page, cdp, call, args.samples, inflight.drain)
            inflight.drain(page)
            print(report(label, counts, profile, args.samples))
        cdp.send("Profiler.stopPreciseCoverage")
        context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
