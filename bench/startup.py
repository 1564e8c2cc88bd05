"""Where our start-up time goes, step by step, in the browser.

``python bench/startup.py [ROUNDS [BUILD_DIR [zipimport|loadPackage]]]`` boots
the build's runtime on a blank page (warm HTTP cache after the first round)
and times each step the loader takes: ``loadPyodide`` alone, making our wheel
importable (``zipimport``, as ``loader.mjs`` does, or ``loadPackage`` to
compare), ``import analytics_identity.browser.install``, and ``install()``; it also lists the
standard library modules the import pulls in that Pyodide had not loaded at
boot (each is compiled from source: the runtime ships no bytecode). Used to
find why the ready-overhead target of ``make bench`` is missed.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_config import STATIC, config, serve  # noqa: E402 - the bench's server, config and build

STEPS = """async ([runtime, wheel, variant]) => {
  const indexURL = "/static/analytics/" + runtime + "/";
  const { loadPyodide } = await import(indexURL + "pyodide.mjs");
  const t0 = performance.now();
  const pyodide = await loadPyodide({ indexURL });
  const t1 = performance.now();
  const before = pyodide.runPython("import sys; frozenset(sys.modules)");
  if (variant === "zipimport") {
    const bytes = new Uint8Array(await (await fetch("/static/analytics/" + wheel)).arrayBuffer());
    pyodide.FS.writeFile("/lib/analytics_identity.whl", bytes);
    pyodide.runPython("import sys; sys.path.insert(0, '/lib/analytics_identity.whl')");
  } else {
    await pyodide.loadPackage("/static/analytics/" + wheel);
  }
  const t2 = performance.now();
  pyodide.pyimport("analytics_identity.browser.install");
  const t3 = performance.now();
  pyodide.pyimport("analytics_identity.browser.install").install("bench-key", {});
  const t4 = performance.now();
  pyodide.globals.set("before", before);
  const added = pyodide.runPython(
    "import sys; ' '.join(sorted(m for m in set(sys.modules) - before if not m.startswith('analytics_identity')))");
  return { boot: t1 - t0, wheel: t2 - t1, import: t3 - t2, install: t4 - t3, added };
}"""


def main(argv: list[str]) -> int:
    rounds = int(argv[0]) if argv else 3
    static = Path(argv[1]) if len(argv) > 1 else STATIC
    variant = argv[2] if len(argv) > 2 else "zipimport"
    build = json.loads((static / "build.json").read_text())
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "events.sqlite3", static) as base_url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            Path(tmp) / "profile", executable_path=config.EXECUTABLE_PATH, args=config.ARGS)
        for _ in range(rounds):
            page = browser.new_page()
            page.goto(f"{base_url}/bench-pages/plain.html")
            result = page.evaluate(STEPS, [build["runtime"], build["wheel"], variant])
            added = result.pop("added")
            for step, ms in result.items():
                figures.setdefault(step, []).append(ms)
            page.close()
        browser.close()
    for step, values in figures.items():
        print(f"{step:8} median {statistics.median(values):7.1f} ms  ({', '.join(f'{v:.0f}' for v in values)})")
    print(f"stdlib modules the import adds: {added or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
