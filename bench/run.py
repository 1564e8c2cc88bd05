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
alike, in the reverse order every other round (each page is not always the
one that follows stock Pyodide's closing browser), and every figure is the
median, min and max over ``--runs`` rounds: 9 in Chromium, whose ready rows
the targets compare (on this two-core machine the medians of 5 swung by
±150 ms from run to run), and ``--engine-runs`` (5) in the other engines.
Each round launches a fresh on-disk profile: the first visit is cold (empty
HTTP cache, no cookies), the second is warm (HTTP cache and storage kept; an
incognito context would keep no file over ~6 MB and refetch the wasm). On our
pages the bench waits between the two until the first visit has saved its
memory snapshot (as a visitor who stays a few seconds), so the warm visit
restores it. That warm visit follows the cold one in the same tab, whose
renderer still holds the wasm it compiled; a last visit after the browser was
closed and started again on the same profile (``restart``) is the visitor who
comes back another day, every function compiled again on first call. The
memory reading (after DevTools' garbage collection, which tells V8 memory is
low) is taken in that last visit: taken after the cold one, it made the warm
visit in the same renderer compile Pyodide's JavaScript again on its main
thread instead of taking its code cache (~50 ms more, docs/loading.md).
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
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Playwright, sync_playwright

import engines
import lighthouse
import report
import workload
from site_config import BUILD, HERE, LIBRARIES, PAGES, STATIC, brotli_mounts, config, log, serve
from visit import CALLS, PROBE, InFlight, memory, per_call, snapshot_saved, storage, visit


def one_round(pw: Playwright, base_url: str, name: str) -> dict[str, Any]:
    """A fresh on-disk profile: a cold visit, a warm visit and its per-call loops, and for the
    libraries a second warm visit for the workload of bench/workload.py (each starts right
    after a warm ready); then the browser is closed and started again on the same profile for
    one more visit (``restart``: nothing of the earlier visits is left in memory, as for a
    visitor who comes back another day)."""
    profile = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    context = launch(pw, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        inflight = InFlight(page)
        url = base_url + PAGES[name].format(runtime=BUILD.get("runtime", ""))
        cold = visit(page, url)
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
        context.close()
        context = launch(pw, profile)
        page = context.pages[0] if context.pages else context.new_page()
        restart = visit(page, url)
        restart["memory"] = memory(page)
        log(f"  after a browser restart: ready {restart['ready']:.0f} ms")
        return {"cold": cold, "warm": warm, "restart": restart, "calls": calls, "workload": batches}
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def launch(pw: Playwright, profile: Path) -> BrowserContext:
    """Chromium on the on-disk ``profile``, the probe in every page."""
    context = pw.chromium.launch_persistent_context(
        profile, executable_path=config.EXECUTABLE_PATH, args=config.ARGS, headless=config.HEADLESS,
    )
    context.set_default_timeout(config.ACTION_TIMEOUT_MS)
    context.add_init_script(PROBE)
    return context


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
    """Round-robin over the pages, ``runs`` rounds, every other one in the reverse order."""
    rounds: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    with sync_playwright() as pw:
        for i in range(runs):
            for name in names[::-1] if i % 2 else names:
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
    parser.add_argument("--runs", type=int, default=9, help="rounds per page in Chromium (default 9)")
    parser.add_argument("--engine-runs", type=int, default=5,
                        help="rounds per page in each other engine (default 5)")
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
            in_engines = engines.measure(others, urls, args.engine_runs, log)
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
            "runs": args.runs, "engineRuns": args.engine_runs, "browser": browser_version and f"Chromium {browser_version}", "cpus": os.cpu_count(),
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
