"""The pure wheel on the oldest Pyodide it promises, 0.27 (Python 3.12), under Node.

An app's own Pyodide may be older than the build's: the wheel's sources must
import there and its FFI fallbacks (browser/ffi.py) must hold. This runs
Pyodide 0.27.7 (a pinned dev dependency) under Node, puts the pure wheel on
``sys.path`` (what micropip would unpack), imports every module of the
browser layer, converts page arguments the way the facade does and runs an
identity round trip. What 0.27 cannot tell apart is documented in
docs/python.md: ``null`` arrives as ``None`` and a ``BigInt`` as an ``int``.
"""

from __future__ import annotations

import json

import pytest

from analytics_identity.tooling.build import build_wheel
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime, wheel] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
const { readFileSync } = await import("node:fs");
pyodide.FS.writeFile("/tmp/core.whl", readFileSync(wheel));
globalThis.sample = ["a", { b: 1, c: undefined }, null, 10n, undefined];
process.stdout.write(pyodide.runPython(`
import json, sys
sys.path.insert(0, "/tmp/core.whl")
import js
from analytics_identity.browser import context, conversion, elements, facade, ffi, host, install, network
from analytics_identity.api.client import Analytics
from analytics_identity.host import MemoryHost

analytics = Analytics(MemoryHost(), "key", {})
analytics.identify("user-1", {"plan": "pro"})
sent = analytics.track("Clicked")
json.dumps({
    "python": list(sys.version_info[:2]),
    "arguments": repr(conversion.arguments_from_js(tuple(js.sample))),
    "jsnull": repr(ffi.jsnull),
    "user": analytics.user().id(),
    "event": sent.event["userId"],
})
`));
"""


@pytest.fixture(scope="module")
def on_0_27(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    runtime = pyodide_folder("pyodide-0.27")
    folder = tmp_path_factory.mktemp("pyodide-0.27")
    return json.loads(run_script(SCRIPT, runtime, folder, build_wheel(folder, None)).stdout)


def test_the_pure_wheel_imports_and_keeps_identity_on_pyodide_0_27(on_0_27: dict[str, object]) -> None:
    assert on_0_27["python"] == [3, 12]
    assert on_0_27["user"] == on_0_27["event"] == "user-1"


def test_page_arguments_convert_on_pyodide_0_27_as_documented(on_0_27: dict[str, object]) -> None:
    # Trailing undefined dropped; null is None there (no jsnull before 0.28); a BigInt is an int (no JsBigInt).
    assert on_0_27["arguments"] == "['a', {'b': 1}, None, 10]"
    assert on_0_27["jsnull"] == "None"
