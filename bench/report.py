"""``make bench``'s figures: medians over rounds, the targets, and bench/results.md.

Kept apart from bench/run.py (which drives the browser) so what is measured
and how it is judged can be read separately. Every target compares medians
of one run, side by side: a busy machine slows every page of the run alike.
"""

from __future__ import annotations

import statistics
from typing import Any

import workload

#: The pages whose ready every engine's table shows (bench/engines.py measures these).
ENGINE_PAGES = ("pyodide", "snippet", "snippet-immediate")

#: Targets of issue 21 (a site keeps its Lighthouse score), over those of issues 6
#: and 11 that still hold: ready against stock Pyodide (a ratio of medians), the
#: longest main-thread task until ready, the first visit's bytes as served with
#: brotli against stock Pyodide's, the origin's storage after a warm visit, the
#: host page's paint and load against the plain page (a difference of medians),
#: per-call costs against analytics-next, and Lighthouse's mobile run of the
#: article page with our snippet.
TARGET_READY_RATIO = {"warm": 0.15, "cold": 0.40}
TARGET_LONGEST_TASK_MS = {"warm": 200, "cold": 400}
TARGET_FIRST_VISIT_RATIO = 0.65
TARGET_ORIGIN_STORAGE_BYTES = 20_000_000
TARGET_PAGE_DELAY_MS = 50
TARGET_CALL_RATIO = {"user().anonymousId()": 0.25, "setAnonymousId(x)": 0.5, "track('E', props)": 0.5,
                     "identify('u', traits)": 0.5}
TARGET_WORKLOAD_RATIO = 0.5
TARGET_LIGHTHOUSE_SCORE = 90
TARGET_LIGHTHOUSE_TBT_MS = 300
TARGET_WHEEL_BYTES = 100 * 1024
TARGET_SNIPPET_LOADER_BYTES = 10 * 1024


def summarize(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": values}


def category(url: str) -> str:
    path = url.split("?", 1)[0]
    if path.startswith(("static/analytics/pyodide-", "static/analytics/stdlib/")):
        return "Pyodide runtime"
    if path.startswith("static/analytics/wheels/"):
        return "our wheel"
    if path in ("static/analytics/snippet.js", "static/analytics/loader.mjs"):
        return "snippet + loader"
    if path.startswith("vendor/"):
        return "analytics-next"
    return "page"


def aggregate(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per page: every figure as median/min/max over the rounds."""
    pages: dict[str, Any] = {}
    for name, runs in rounds.items():
        figures: dict[str, list[float]] = {}

        def add(key: str, value: float | None) -> None:
            if value is not None:
                figures.setdefault(key, []).append(value)

        for run in runs:
            for visit_kind in ("cold", "warm"):
                v = run[visit_kind]
                for key in ("ready", "firstPaint", "load", "timerLate", "longTaskTotal", "longTaskMax", "longTaskCount",
                            "runtimeStart", "runtimeFetched", "cpu"):
                    add(f"{visit_kind}.{key}", v[key])
                if v["runtimeFetched"] is not None:
                    add(f"{visit_kind}.afterRuntime", v["ready"] - v["runtimeFetched"])
                add(f"{visit_kind}.bytes", sum(r["transfer"] for r in v["resources"]))
            for key in ("ready", "cpu", "restored", "longTaskMax"):
                add(f"restart.{key}", (run.get("restart") or {}).get(key))
            add("cold.snapshotSaved", run["cold"].get("snapshotSaved"))
            add("warm.restored", run["warm"].get("restored"))
            by_category: dict[str, dict[str, int]] = {}
            for r in run["cold"]["resources"]:
                if r["transfer"] < r["encoded"]:  # a second fetch of a file, answered by the cache (or a 304)
                    continue
                slot = by_category.setdefault(category(r["url"]), {"transfer": 0, "encoded": 0, "decoded": 0})
                for key in slot:
                    slot[key] += r[key]
            for cat, sizes in by_category.items():
                for key, value in sizes.items():
                    add(f"cold.{key}.{cat}", value)
            for key, value in (run.get("restart") or {}).get("memory", {}).items():
                add(f"memory.{key}", value)
            for label, value in run["calls"].items():
                add(f"call.{label}", value)
            storage = run["warm"].get("storage") or {}
            add("warm.storage", storage.get("usage"))
            for kind, value in (storage.get("details") or {}).items():
                add(f"warm.storage.{kind}", value)
            batches = run.get("workload") or {}
            for label, _, _ in workload.STEPS:
                for measure in workload.MEASURES:
                    add(f"workload.{label}.{measure}", (batches.get(label) or {}).get(measure))
            add("workload.mainThread", batches.get("mainThread"))
            add("workload.warnings", batches.get("warnings"))
            add("workload.restored", batches.get("restored"))
        pages[name] = {key: summarize(values) for key, values in figures.items()}
        pages[name]["cold.requests"] = sorted({r["url"] for run in runs for r in run["cold"]["resources"]})
    return pages


def lighthouse_pages(raw: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per article page: each Lighthouse figure as median/min/max over the runs."""
    pages: dict[str, Any] = {}
    for name, reports in raw.items():
        if not reports:
            continue
        figures: dict[str, list[float]] = {}
        for report in reports:
            for key, value in report.items():
                if isinstance(value, (int, float)):
                    figures.setdefault(key, []).append(value)
        pages[name] = {key: summarize(values) for key, values in figures.items()}
    return pages


def median(pages: dict[str, Any], name: str, key: str) -> float | None:
    figure = pages.get(name, {}).get(key)
    return figure["median"] if figure else None


def targets(pages: dict[str, Any], lighthouse: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each target as a ratio or difference of medians from this one run; ``lighthouse``: by article page."""
    rows = []

    def row(label: str, value: float | None, limit: float, unit: str, detail: str = "", at_least: bool = False) -> None:
        passed = value is not None and (value >= limit if at_least else value <= limit)
        rows.append({"target": label, "value": value, "limit": limit, "unit": unit, "detail": detail,
                     "atLeast": at_least, "pass": passed})

    def ratio(ours: float | None, theirs: float | None) -> float | None:
        return None if not ours or not theirs else ours / theirs

    def versus(ours: float | None, theirs: float | None, unit: str, scale: float = 1) -> str:
        return "" if ours is None or theirs is None else f"{ours * scale:,.0f} vs {theirs * scale:,.0f} {unit}"

    def of(name: str, key: str) -> str:
        value = median(lighthouse or {}, name, key)
        return "–" if value is None else f"{value:,.0f}"

    if lighthouse is not None:
        row("Lighthouse mobile score, article page + snippet", median(lighthouse, "snippet", "score"),
            TARGET_LIGHTHOUSE_SCORE, "", f"page alone {of('plain', 'score')}, + analytics-next "
            f"{of('analytics-next', 'score')}", at_least=True)
        row("Lighthouse Total Blocking Time, article page + snippet", median(lighthouse, "snippet", "tbt"),
            TARGET_LIGHTHOUSE_TBT_MS, "ms", f"page alone {of('plain', 'tbt')} ms, + analytics-next "
            f"{of('analytics-next', 'tbt')} ms")
    ours, stock = median(pages, "snippet", "cold.bytes"), median(pages, "pyodide", "cold.bytes")
    theirs = median(pages, "analytics-next", "cold.bytes")
    row("first-visit bytes, brotli as served, vs stock Pyodide", ratio(ours, stock), TARGET_FIRST_VISIT_RATIO, "×",
        versus(ours, stock, "KiB", 1 / 1024) + ("" if theirs is None else f" (analytics-next {theirs / 1024:,.0f} KiB)"))
    # The site's snippet in its default load mode against stock Pyodide loaded the stock way.
    for kind in ("cold", "warm"):
        ours, stock = median(pages, "snippet", f"{kind}.ready"), median(pages, "pyodide", f"{kind}.ready")
        row(f"{kind} ready vs stock Pyodide", ratio(ours, stock), TARGET_READY_RATIO[kind], "×", versus(ours, stock, "ms"))
    row("origin storage after a warm visit", median(pages, "snippet", "warm.storage"), TARGET_ORIGIN_STORAGE_BYTES,
        "bytes", "`navigator.storage.estimate()`")
    for label, _, _ in workload.STEPS:
        key = f"workload.{label}.{workload.TARGET_MEASURE}"
        ours, theirs = median(pages, "snippet", key), median(pages, "analytics-next", key)
        row(f"`{label}` vs analytics-next, batches of {workload.BATCH}", ratio(ours, theirs), TARGET_WORKLOAD_RATIO,
            "×", versus(ours, theirs, "µs"))
    for kind in ("warm", "cold"):
        row(f"longest main-thread task until ready, {kind}", median(pages, "snippet", f"{kind}.longTaskMax"),
            TARGET_LONGEST_TASK_MS[kind], "ms")
    for key, what in (("firstPaint", "first paint"), ("load", "load event")):
        ours, plain = median(pages, "snippet", f"cold.{key}"), median(pages, "plain", f"cold.{key}")
        row(f"{what} vs the plain page, cold", None if ours is None or plain is None else ours - plain,
            TARGET_PAGE_DELAY_MS, "ms")
    for label, limit in TARGET_CALL_RATIO.items():
        ours, theirs = median(pages, "snippet", f"call.{label}"), median(pages, "analytics-next", f"call.{label}")
        row(f"{label} per call vs analytics-next, one loop", ratio(ours, theirs), limit, "×", versus(ours, theirs, "µs"))
    row("our wheel, compressed as served", median(pages, "snippet", "cold.encoded.our wheel"), TARGET_WHEEL_BYTES, "bytes")
    row("snippet + loader, compressed as served", median(pages, "snippet", "cold.encoded.snippet + loader"),
        TARGET_SNIPPET_LOADER_BYTES, "bytes")
    return rows


# -- report -----------------------------------------------------------------------


def lighthouse_section(lighthouse: dict[str, Any] | None) -> str:
    """The Lighthouse table: one row per article page."""
    if not lighthouse:
        return "## Lighthouse\n\nNot run (`--lighthouse-runs 0`).\n"
    if not lighthouse["pages"]:
        return "## Lighthouse\n\nEvery run failed (see the notes).\n"
    rows = [("performance score", "score", 1, 0), ("Total Blocking Time (ms)", "tbt", 1, 0),
            ("Time to Interactive (s)", "tti", 1e-3, 2), ("bytes (KiB)", "bytes", 1 / 1024, 0),
            ("First Contentful Paint (s)", "fcp", 1e-3, 2), ("Largest Contentful Paint (s)", "lcp", 1e-3, 2),
            ("main-thread work (s)", "mainThread", 1e-3, 2)]
    pages = lighthouse["pages"]
    throttling = lighthouse.get("throttling") or {}
    return (
        f"## Lighthouse {lighthouse['version']}, {lighthouse['formFactor']} (medians of {lighthouse['runs']} runs)\n\n"
        f"`bench/pages/article.html` served with brotli: alone, with analytics-next, with our snippet (bench/lighthouse.py). "
        f"Simulated throttling: {throttling.get('rttMs')} ms RTT, {throttling.get('throughputKbps')} kbit/s, "
        f"CPU ×{throttling.get('cpuSlowdownMultiplier')}. Each cell: median (min–max).\n\n"
        "| page | " + " | ".join(label for label, *_ in rows) + " |\n|---|" + "---:|" * len(rows) + "\n"
        + "".join(f"| {name} | " + " | ".join(fmt(figures.get(key), scale, digits) for _, key, scale, digits in rows)
                  + " |\n" for name, figures in pages.items())
    )



def engines_section(results: dict[str, Any]) -> str:
    """Cold and warm ready of stock Pyodide and ours in each engine measured, Chromium's from its own tables."""
    by_engine = {}
    if results["pages"]:
        by_engine[results["meta"]["browser"]] = results["pages"]
    for figures in (results.get("engines") or {}).values():
        by_engine[figures["browser"]] = figures["pages"]
    if not by_engine:
        return ""

    def ratio(pages: dict[str, Any], name: str, kind: str) -> str:
        ours, stock = median(pages, name, f"{kind}.ready"), median(pages, "pyodide", f"{kind}.ready")
        return "–" if not ours or not stock or name == "pyodide" else f"{ours / stock:.2f}×"

    rows = "".join(
        f"| {browser} | {name} | {fmt(figures.get('cold.ready'))} | {fmt(figures.get('warm.ready'))} | "
        f"{ratio(pages, name, 'cold')} / {ratio(pages, name, 'warm')} | {fmt(figures.get('warm.restored')) if name != 'pyodide' else '–'} |\n"
        for browser, pages in by_engine.items() for name, figures in pages.items() if name in ENGINE_PAGES)
    return (
        "## Ready in each engine (ms from navigation start)\n\n"
        "Stock Pyodide (`pyodide`) and this project (`snippet`: default `loadMode`, boots after `load`; "
        "`snippet-immediate`) in each engine, cold (a fresh on-disk profile: no HTTP cache, Cache Storage or "
        "cookies) and warm (a second visit, caches kept, after the first saved its start-up state). "
        "WebKit and Firefox through the end-to-end tests' drivers (bench/engines.py); every browser on the "
        "same machine in the same run, so compare within a row's engine. Each cell: median (min–max).\n\n"
        "| engine | page | ready, cold | ready, warm | vs stock Pyodide, cold / warm | warm visit restored (1 = yes) |\n"
        "|---|---|---:|---:|---:|---:|\n" + rows + stuck_rounds(results)
    )


def stuck_rounds(results: dict[str, Any]) -> str:
    """The engine rounds run again because a page never got ready (bench/engines.py), if any."""
    stuck = [f"{figures['browser']} `{name}` {count}" for figures in (results.get("engines") or {}).values()
             for name, count in figures.get("again", {}).items()]
    return f"\nRounds run again in a fresh browser, a visit having never got ready: {', '.join(stuck)}.\n" if stuck else ""


def fmt(figure: dict[str, Any] | None, scale: float = 1, digits: int = 0) -> str:
    if not figure:
        return "–"
    m, lo, hi = (figure[k] * scale for k in ("median", "min", "max"))
    return f"{m:,.{digits}f} ({lo:,.{digits}f}–{hi:,.{digits}f})"


def markdown(results: dict[str, Any]) -> str:
    pages = results["pages"]
    names = list(pages)
    header = "| figure | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names) + "\n"

    def table(rows: list[tuple[str, str, float, int]]) -> str:
        body = ""
        for label, key, scale, digits in rows:
            cells = [fmt(pages[n].get(key), scale, digits) for n in names]
            if any(c != "–" for c in cells):
                body += f"| {label} | " + " | ".join(cells) + " |\n"
        return header + body

    meta = results["meta"]
    browsers = ", ".join(filter(None, [meta["browser"], *(e["browser"] for e in (results.get("engines") or {}).values())]))
    others = f" ({meta['engineRuns']} in the other engines)" if results.get("engines") else ""
    head = [
        "# Benchmark results\n",
        f"`make bench`, {meta['date']}: {meta['runs']} rounds in Chromium{others}, {browsers}, {meta['cpus']} CPUs "
        f"(load average {meta['loadavg']} at start, {meta.get('loadavgEnd', '?')} once the browsers were done), Pyodide runtime `{meta['runtime']}`, all from 127.0.0.1. "
        "Each cell: median (min–max).\n",
        engines_section(results),
    ]
    cpython = [
        "## Pure core in CPython (operations per second)\n",
        "| operation | median (min–max) |\n|---|---:|\n" + "".join(
            f"| {label} | {fmt(figure)} |\n" for label, figure in results["cpython"].items()),
    ]
    notes = ["## Notes\n\n" + "\n".join(f"- {n}" for n in results["notes"]) + "\n"] if results.get("notes") else []
    if not pages:  # Chromium not measured (--engines without it): its tables would be empty
        return "\n".join(head + cpython + notes)
    out = [
        "The sections below are Chromium's. Ready: `pyodide` when `loadPyodide` resolves; `snippet` when `analytics.ready` fires (default "
        "`loadMode`: the boot starts after the `load` event); `analytics-next` when `AnalyticsBrowser.load` "
        "resolves; `plain` at `load`. Cold: first visit in a fresh on-disk profile; warm: second visit, "
        "HTTP cache and storage kept. Targets compare medians of the same run; the renderer-CPU rows "
        "(DevTools `ProcessTime`) are the same comparison in CPU time, steadier than wall time on a busy machine.\n",
        "## Targets\n",
        "| target | measured | | limit | |\n|---|---:|---|---:|---|\n" + "".join(
            f"| {t['target']} | {'–' if t['value'] is None else format(t['value'], ',.2f' if t['unit'] == '×' else ',.0f')}"
            f"{' ' + t['unit'] if t['unit'] else ''} | {t['detail']} | {'≥' if t['atLeast'] else '≤'} {t['limit']:,}"
            f"{' ' + t['unit'] if t['unit'] else ''} | {'pass' if t['pass'] else '**FAIL**'} |\n"
            for t in results["targets"]),
        lighthouse_section(results.get("lighthouse")),
        "## Time to ready, paint, load (ms from navigation start)\n",
        table([
            ("ready, cold", "cold.ready", 1, 0), ("ready, warm", "warm.ready", 1, 0),
            ("ready, after a browser restart", "restart.ready", 1, 0),
            ("runtime: first request, cold", "cold.runtimeStart", 1, 0),
            ("runtime: all fetched, cold", "cold.runtimeFetched", 1, 0),
            ("ready minus runtime fetched, cold", "cold.afterRuntime", 1, 0),
            ("ready minus runtime fetched, warm", "warm.afterRuntime", 1, 0),
            ("renderer CPU until ready, cold", "cold.cpu", 1, 0),
            ("renderer CPU until ready, warm", "warm.cpu", 1, 0),
            ("renderer CPU until ready, after a browser restart", "restart.cpu", 1, 0),
            ("longest task, after a browser restart", "restart.longTaskMax", 1, 0),
            ("snapshot saved, s after the first ready", "cold.snapshotSaved", 1, 1),
            ("warm visits restored from the snapshot (1 = yes)", "warm.restored", 1, 0),
            ("visits after a restart restored from the snapshot (1 = yes)", "restart.restored", 1, 0),
            ("first paint, cold", "cold.firstPaint", 1, 0), ("first paint, warm", "warm.firstPaint", 1, 0),
            ("load event, cold", "cold.load", 1, 0), ("load event, warm", "warm.load", 1, 0),
        ]),
        "## Main thread until ready (ms)\n",
        table([
            ("long tasks total, cold", "cold.longTaskTotal", 1, 0), ("longest task, cold", "cold.longTaskMax", 1, 0),
            ("long tasks total, warm", "warm.longTaskTotal", 1, 0), ("longest task, warm", "warm.longTaskMax", 1, 0),
            ("100 ms timer fired late by, cold", "cold.timerLate", 1, 0),
            ("100 ms timer fired late by, warm", "warm.timerLate", 1, 0),
        ]),
        "## Bytes until ready (KB; transferred = compressed as served, with headers; files fetched twice count once)\n",
        table([
            ("transferred, cold", "cold.bytes", 1 / 1024, 1), ("transferred, warm", "warm.bytes", 1 / 1024, 1),
            *[(f"cold, {cat}: transferred", f"cold.transfer.{cat}", 1 / 1024, 1) for cat in results["categories"]],
            *[(f"cold, {cat}: body as served", f"cold.encoded.{cat}", 1 / 1024, 1) for cat in results["categories"]],
            *[(f"cold, {cat}: body decoded", f"cold.decoded.{cat}", 1 / 1024, 1) for cat in results["categories"]],
        ]),
        f"Our wheel: {results['wheel_bytes']:,} bytes (`{meta['wheel']}`).\n",
        "## Origin storage after a warm visit (MB, `navigator.storage.estimate()`)\n",
        table([("usage", "warm.storage", 1e-6, 1),
               *[(f"usage: {kind}", f"warm.storage.{kind}", 1e-6, 1) for kind in results["storageKinds"]]]),
        "## Synchronous cost per call after ready, one loop per call (µs)\n",
        table([(f"{label} ×{n}", f"call.{label}", 1, 1) for label, n in meta["iterations_per_call"].items()]),
        f"## Per-call workload after a warm ready, batches of {workload.BATCH}, one batch per task (µs per call)\n",
        f"Targets use `{workload.TARGET_MEASURE}`. {workload.EXPLAINED}\n",
        table([*[(f"{label} ×{n}: {measure}", f"workload.{label}.{measure}", 1, 0)
                 for label, n, _ in workload.STEPS for measure in workload.MEASURES],
               ("main-thread time per call, whole workload", "workload.mainThread", 1, 0),
               ("console warnings during the workload", "workload.warnings", 1, 0),
               ("workload visits restored from the snapshot (1 = yes)", "workload.restored", 1, 0)]),
        "## Memory after ready, after a browser restart, after a GC (MB)\n",
        table([("JS heap used", "memory.jsHeapUsed", 1 / 2**20, 1),
               ("JS heap total", "memory.jsHeapTotal", 1 / 2**20, 1),
               ("wasm memory", "memory.wasmMemory", 1 / 2**20, 1)]),
    ]
    return "\n".join(head + out + cpython + notes)
