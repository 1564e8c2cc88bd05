"""Lighthouse on an ordinary article page: plain, with analytics-next, with our snippet.

What a site owner checks before adding a script to every page is Lighthouse
on mobile, so this runs it as they would: Lighthouse 12.2.3 (the npm
devDependency; 13 needs Node 22) in its default mobile run (simulated slow
4G, 4× CPU), performance category, on ``bench/pages/article.html`` served by
the bench's server with brotli. The three pages are that one article; each
library's tag goes where the ``<!-- library -->`` comment is, exactly as its
documentation has a site write it (load, then ``page()``).

Lighthouse drives Debian's chromium (``CHROME_PATH``) with the flags of
``playwright.config.py`` plus ``--headless=new`` and ``--no-sandbox`` (what
Playwright adds itself when it launches chromium as root). Each run starts a
fresh profile, so every run is a visitor's first visit. Pages are run
round-robin; the figures are medians of the runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTICLE = HERE / "pages" / "article.html"
CLI = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
#: URL prefix the article variants are served at (``pages()`` writes the folder).
PREFIX = "bench-article"

#: Each library's tag, as its documentation has a site add it. analytics-next
#: runs offline (bundle and lazy chunks on this origin, settings passed in), as
#: on bench/pages/analytics-next.html.
TAGS = {
    "plain": "",
    "analytics-next": """<script>window.analytics = { _cdn: location.origin + "/vendor/segment-cdn" };</script>
<script src="/vendor/analytics-next/index.js"></script>
<script>
  var segment = { apiKey: "bench-key", apiHost: location.host + "/v1", protocol: location.protocol.replace(":", "") };
  window.analytics = AnalyticsNext.AnalyticsBrowser.load(
    { writeKey: "bench-key", cdnURL: window.analytics._cdn,
      cdnSettings: { integrations: { "Segment.io": segment }, metrics: { sampleRate: 0 } } },
    { integrations: { "Segment.io": { apiHost: segment.apiHost, protocol: segment.protocol } } });
  analytics.page();
</script>""",
    "snippet": """<script src="/static/analytics/snippet.js"></script>
<script>
  analytics.load("bench-key", { integrations: { "Segment.io": { apiHost: location.host + "/v1", protocol: "http" } } });
  analytics.page();
</script>""",
}

#: Figures kept from each report: (key, audit id or ``score``, field of the audit).
FIGURES = [
    ("score", "score", None),
    ("tbt", "total-blocking-time", "numericValue"),
    ("tti", "interactive", "numericValue"),
    ("bytes", "total-byte-weight", "numericValue"),
    ("fcp", "first-contentful-paint", "numericValue"),
    ("lcp", "largest-contentful-paint", "numericValue"),
    ("mainThread", "mainthread-work-breakdown", "numericValue"),
]


def pages(folder: Path) -> Path:
    """Write the article once per library into ``folder`` (with ``.br`` twins, so it is served with brotli)."""
    import brotli

    template = ARTICLE.read_text()
    assert "<!-- library -->" in template, f"{ARTICLE} lost its <!-- library --> marker"
    folder.mkdir(parents=True, exist_ok=True)
    for name, tag in TAGS.items():
        html = template.replace("<!-- library -->", tag).encode()
        (folder / f"{name}.html").write_bytes(html)
        (folder / f"{name}.html.br").write_bytes(brotli.compress(html, quality=11))
    return folder


def chrome_flags(args: list[str]) -> list[str]:
    """``--chrome-flags`` arguments; Lighthouse splits them like a shell, so values with spaces are quoted."""
    flags = ["--headless=new", "--no-sandbox", *args]
    quoted = []
    for flag in flags:
        name, equals, value = flag.partition("=")
        quoted.append(f'{name}="{value}"' if equals and " " in value else flag)
    return [f"--chrome-flags={flag}" for flag in quoted]


def run_once(url: str, executable: str, args: list[str], timeout_s: float) -> dict[str, float]:
    """One Lighthouse run of ``url``: the figures of ``FIGURES``."""
    with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp:
        report = Path(tmp) / "report.json"
        command = ["node", str(CLI), url, "--only-categories=performance", "--output=json",
                   f"--output-path={report}", "--quiet", *chrome_flags(args)]
        # Its own process group: on a timeout, the chromium Lighthouse started goes too.
        process = subprocess.Popen(command, env={**os.environ, "CHROME_PATH": executable, "TMPDIR": tmp},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RuntimeError(f"lighthouse on {url} took over {timeout_s} s") from None
        if process.returncode or not report.exists():
            raise RuntimeError(f"lighthouse failed on {url} ({process.returncode}): {stderr[-2000:]}")
        lhr = json.loads(report.read_text())
    if lhr.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {lhr['runtimeError']}")
    origin = url.split("/", 3)[:3]
    requests = [item["url"] for item in lhr["audits"]["network-requests"]["details"]["items"]]
    outside = [r for r in requests if r.split("/", 3)[:3] != origin and not r.startswith(("data:", "blob:"))]
    if outside:
        raise RuntimeError(f"lighthouse on {url}: requests off 127.0.0.1: {outside}")
    figures = {}
    for key, audit, field in FIGURES:
        if audit == "score":
            score = lhr["categories"]["performance"]["score"]
            figures[key] = None if score is None else 100 * score
        else:
            figures[key] = lhr["audits"][audit].get(field)
    figures["version"] = lhr["lighthouseVersion"]
    figures["throttling"] = lhr["configSettings"]["throttling"]
    figures["formFactor"] = lhr["configSettings"]["formFactor"]
    return figures


def measure(base_url: str, runs: int, executable: str, args: list[str], log: Any,
            timeout_s: float = 240) -> dict[str, Any]:
    """``runs`` rounds over the three pages: per page, the figures of each run (``raw``), the
    settings, and the runs that failed (``failures``: logged and left out, the rest still counts)."""
    raw: dict[str, list[dict[str, Any]]] = {name: [] for name in TAGS}
    failures: list[str] = []
    for i in range(runs):
        for name in TAGS:
            try:
                figures = run_once(f"{base_url}/{PREFIX}/{name}.html", executable, args, timeout_s)
            except RuntimeError as error:
                failures.append(str(error))
                log(f"lighthouse {name}: {error}")
                continue
            raw[name].append(figures)
            log(f"lighthouse {name}: score {figures['score']:.0f}, TBT {figures['tbt']:.0f} ms, "
                f"TTI {figures['tti']:.0f} ms, {figures['bytes'] / 1024:,.0f} KiB ({i + 1}/{runs})")
    first = next((reports[0] for reports in raw.values() if reports), {})
    return {"raw": raw, "version": first.get("version"), "throttling": first.get("throttling"),
            "formFactor": first.get("formFactor"), "runs": runs, "failures": failures}
