"""The build's speed patches of Pyodide's JavaScript (``tooling/build.py``), run under Node.

Emscripten's linking wraps each JavaScript function the wasm takes by
address in a one-function wasm module; the patched ``pyodide.asm.mjs``
compiles each distinct module once and instantiates it per function, and
Pyodide starts and runs Python as before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from analytics_identity.tooling.build import COMPILE_HINT, _copy_vendored
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime] = process.argv.slice(2);
const compiled = [];
let instances = 0;
const { Module, Instance } = WebAssembly;
// Counting stand-ins, with the originals' prototypes and static methods (`instanceof` and `customSections` work).
WebAssembly.Module = Object.assign(function (bytes) { compiled.push(String(bytes)); return new Module(bytes); },
  { prototype: Module.prototype, customSections: Module.customSections, imports: Module.imports, exports: Module.exports });
WebAssembly.Instance = Object.assign(function (module, imports) { instances++; return new Instance(module, imports); },
  { prototype: Instance.prototype });
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
const answer = pyodide.runPython("import json, sys; json.dumps(sum(range(10)))");
process.stdout.write(JSON.stringify({ compiled, instances, answer }));
"""


def test_each_function_wrapper_module_is_compiled_once_and_python_runs(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    shutil.copytree(pyodide_folder(), runtime)
    _copy_vendored(pyodide_folder() / "pyodide.asm.mjs", runtime / "pyodide.asm.mjs", COMPILE_HINT)
    assert "wasmFunctionModules" in (runtime / "pyodide.asm.mjs").read_text()
    outcome = json.loads(run_script(SCRIPT, runtime, tmp_path).stdout)
    assert outcome["answer"] == "45"
    # 259 JavaScript functions wrapped; their modules are ~28 distinct ones, each compiled once.
    assert outcome["instances"] > 200
    assert len(outcome["compiled"]) == len(set(outcome["compiled"])) < 40
