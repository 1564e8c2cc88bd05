"""cProfile of the Python core inside Pyodide, around real page calls.

``python bench/profile.py [CALL ...]`` boots bench/pages/profile.html (the
build's runtime and wheel, installed as ``window.analytics`` exactly as the
loader does), runs each page call of ``visit.CALLS`` and of the workload
(bench/workload.py, one batch) in a JavaScript loop under ``cProfile``, the
network drained before each, and prints the functions that take the time,
plus how often the call touched ``document.cookie`` and ``localStorage``.
Used to find why a per-call target of ``make bench`` is missed
(bench/calls.py counts what one call does in JavaScript).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
import visit  # noqa: E402 - the calls timed by make bench
import workload  # noqa: E402 - the calls of the per-call workload
from site_config import BUILD, config, serve  # noqa: E402 - the bench's server, config and build
from calls import COUNTERS  # noqa: E402 - document.cookie and localStorage counted

PROFILE = """
import cProfile, io, pstats
def _bench_profile(n):
    import js
    profiler = cProfile.Profile()
    profiler.enable()
    js.benchLoop(n)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()
_bench_profile
"""


def main(argv: list[str]) -> int:
    calls = [*visit.CALLS, *((label, call, workload.BATCH) for label, _, call in workload.STEPS)]
    wanted = argv or [label for label, _, _ in calls]
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "events.sqlite3") as base_url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=config.EXECUTABLE_PATH, args=config.ARGS)
        page = browser.new_page()
        page.add_init_script(COUNTERS)
        inflight = visit.InFlight(page)
        page.goto(f"{base_url}/bench-pages/profile.html?runtime={BUILD['runtime']}&wheel={BUILD['wheel']}")
        page.wait_for_function("window.benchReady !== undefined", timeout=config.BOOT_TIMEOUT_MS)
        profile = page.evaluate_handle(f"() => pyodide.runPython({PROFILE!r})")
        for label, call, iterations in calls:
            if label not in wanted:
                continue
            inflight.drain(page)
            page.evaluate(f"() => {{ window.benchLoop = (n) => {{ for (let i = 0; i < n; i++) {call}; }}; benchLoop({visit.WARMUP}); }}")
            before = page.evaluate("({...__counts})")
            stats = page.evaluate("([profile, n]) => profile(n)", [profile, iterations])
            after = page.evaluate("({...__counts})")
            touched = ", ".join(f"{k} {(after[k] - before[k]) / iterations:g}" for k in after if after[k] != before[k])
            print(f"=== {label}: per call {touched or 'no storage access'}\n{stats}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
