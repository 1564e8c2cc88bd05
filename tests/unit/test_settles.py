"""``browser/ffi.py``'s ``settles()`` under Node, on the build's Pyodide and on the oldest one promised (0.27).

WebKit's ``fetch`` rejects with an ``Error`` that has no ``stack``, which
Pyodide does not take for an exception: awaited as it comes, the future
raised ``TypeError: invalid exception object`` into the page as an unhandled
rejection and never settled (docs/engines.md). Node's own errors all have a
stack, so the script makes one without, as WebKit's is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics_identity.tooling.build import build_wheel
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime, wheel] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
const { readFileSync } = await import("node:fs");
const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(String(reason).split("\n").pop() || String(reason)));
pyodide.FS.writeFile("/tmp/core.whl", readFileSync(wheel));
const stackless = () => Object.assign(Object.create(Error.prototype), { name: "TypeError", message: "Load failed" });
globalThis.outcomes = {
  stackless: () => Promise.reject(stackless()),
  text: () => Promise.reject("refused"),
  error: () => Promise.reject(new TypeError("Failed to fetch")),
  value: () => new Promise((resolve) => setTimeout(() => resolve(7), 10)),
};
const seen = await pyodide.runPythonAsync(`
import sys
sys.path.insert(0, "/tmp/core.whl")
import json, js
from analytics_identity.browser.ffi import settles

seen = {}
for name in ["stackless", "text", "error", "value"]:
    try:
        seen[name] = repr(await settles(getattr(js.outcomes, name)()))
    except Exception as error:
        seen[name] = type(error).__name__ + ": " + str(error)
json.dumps(seen)
`);
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(JSON.stringify({ seen: JSON.parse(seen), unhandled }));
"""


@pytest.mark.parametrize("runtime", ["pyodide", "pyodide-0.27"])
def test_a_rejection_pyodide_does_not_take_for_an_error_still_settles_and_reaches_no_page(
        runtime: str, tmp_path: Path) -> None:
    result = run_script(SCRIPT, pyodide_folder(runtime), tmp_path, build_wheel(tmp_path, None))
    assert result.stdout, f"an awaited promise never settled: {result.stderr[-2000:]}"
    outcome = json.loads(result.stdout)
    assert outcome["unhandled"] == []
    assert outcome["seen"]["stackless"] == "Rejected: TypeError: Load failed"
    assert outcome["seen"]["text"] == "Rejected: refused"
    assert outcome["seen"]["error"].endswith("Failed to fetch")
    assert outcome["seen"]["value"] == "7"
