"""``make bench`` in every engine: the harness runs and reports each engine's ready next to stock Pyodide.

One round of the bare Pyodide page and of the snippet page (``loadMode:
"immediate"``, which skips Chromium's per-call loops) in Chromium,
WebKit and Firefox, through bench/run.py as ``make bench BENCH_ARGS=...``
runs it (its own server, fresh profiles). Only that the figures are there
and the warm visit (and, in Chromium, the visit after a browser restart)
restored what the cold one saved is checked: timings
never are (a shared machine's are noise).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_bench_reports_cold_and_warm_ready_in_each_engine_next_to_stock_pyodide(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "bench/run.py", "--engines", "chromium,webkit,firefox", "--runs", "1", "--engine-runs", "1",
                    "--pages", "pyodide,snippet-immediate", "--lighthouse-runs", "0", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, timeout=900, stdout=subprocess.DEVNULL)
    results = json.loads((tmp_path / "results.json").read_text())
    by_browser = {results["meta"]["browser"]: results["pages"],
                  **{figures["browser"]: figures["pages"] for figures in results["engines"].values()}}
    assert [browser.split()[0] for browser in by_browser] == ["Chromium", "WebKitGTK", "Firefox"]
    for browser, pages in by_browser.items():
        for name in ("pyodide", "snippet-immediate"):
            for kind in ("cold", "warm"):
                assert pages[name][f"{kind}.ready"]["n"] == 1, (browser, name, kind)
        assert pages["snippet-immediate"]["warm.restored"]["values"] == [1], browser  # the warm visit took the saved state
    # Chromium's rounds end with a visit after the browser was started again, which restores it too.
    assert results["pages"]["snippet-immediate"]["restart.restored"]["values"] == [1]
    assert results["pages"]["pyodide"]["restart.ready"]["n"] == 1
    table = (tmp_path / "results.md").read_text().split("## Ready in each engine")[1].split("\n## ")[0]
    rows = [line.split(" | ")[:2] for line in table.splitlines() if line.startswith("| ") and "ready, cold" not in line]
    assert rows == [[f"| {browser}", name] for browser in by_browser for name in ("pyodide", "snippet-immediate")]
