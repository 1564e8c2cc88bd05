"""``tooling/loader_runtime.py``: the loader's wasm and ``pyodide.asm.mjs`` export only what JavaScript uses.

In CPython: every section but the exports is npm's byte for byte, every
function the module's global offset table or Pyodide's scripts name
stays, and so does every global Emscripten's export list reads; the
loader's ``pyodide.asm.mjs`` lists exactly the wasm's exports; a script
whose export list moved fails the build. Under Node, Pyodide starts Python on
the loader's wasm and script and crosses between JavaScript and Python both ways
(the end-to-end tests run the loader on them in three browsers).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analytics_identity.tooling.loader_runtime import (_EXPORT_SECTION, _export_list, _exports, _got_functions, _sections,
                                                  _GLOBAL, exported_functions, kept_exports, lean_script, lean_wasm)
from analytics_identity.tooling.build import project_root
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
globalThis.twice = (x) => 2 * x;
const answer = await pyodide.runPythonAsync(`
import asyncio, json, js
from pyodide.ffi import create_proxy, to_js
async def later(x):
    await asyncio.sleep(0)
    return js.twice(x)
proxy = create_proxy(lambda items: sum(items))
[await later(21), json.dumps(to_js({"a": [1, 2]}).to_py()), proxy(to_js([1, 2, 3]))]
`);
const fromPython = pyodide.runPython("lambda name: f'hello {name}'");
process.stdout.write(JSON.stringify({ answer: answer.toJs(), called: fromPython("js") }));
"""


def _runtime_scripts(folder: Path) -> list[str]:
    return [(folder / name).read_text() for name in ("pyodide.mjs", "pyodide.asm.mjs")]


def _copying(script: str) -> str:
    """The text of Emscripten's function that copies the exports onto the module."""
    return re.search(r"function assignWasmExports\(wasmExports\)\{.*?\}", script, re.S).group()


def _web_sources() -> list[str]:
    return [path.read_text() for path in sorted((project_root() / "web").glob("*.mjs"))]


def test_only_exports_nobody_names_go() -> None:
    folder = pyodide_folder()
    wasm = (folder / "pyodide.asm.wasm").read_bytes()
    keep = kept_exports(wasm, _runtime_scripts(folder), _web_sources())
    lean = lean_wasm(wasm, keep)
    stock_sections = [wasm[start:end] for section, start, _, end in _sections(wasm) if section != _EXPORT_SECTION]
    lean_sections = [lean[start:end] for section, start, _, end in _sections(lean) if section != _EXPORT_SECTION]
    assert lean_sections == stock_sections
    assert [e for e in _exports(wasm) if e[0] in keep] == _exports(lean)
    functions = exported_functions(lean)
    assert 100 < len(functions) < len(exported_functions(wasm)) / 10
    assert _got_functions(wasm) & exported_functions(wasm) <= functions  # the module links against these itself
    assert {"sbrk", "malloc", "free"} <= functions  # the loader reads the heap's break; Pyodide's JavaScript allocates
    # Every global Emscripten's export list names stays (it reads each one's value), and the table and memory.
    script = _runtime_scripts(folder)[1]
    read = set(re.findall(r'wasmExports\["([\w$]+)"\]\.value', _copying(script)))
    assert 100 < len(read) and read <= {name for name, kind, _ in _exports(lean) if kind == _GLOBAL}
    assert {kind for _, kind, _ in _exports(lean)} == {kind for _, kind, _ in _exports(wasm)}


def test_the_loader_s_script_lists_exactly_the_wasm_s_exports_and_the_rest_is_as_it_was() -> None:
    folder = pyodide_folder()
    wasm = (folder / "pyodide.asm.wasm").read_bytes()
    script = _runtime_scripts(folder)[1]
    keep = kept_exports(wasm, _runtime_scripts(folder), _web_sources())
    lean = lean_script(script, wasm, keep)
    def copied(text: str) -> set[str]:
        return set(re.findall(r'wasmExports\["([\w$]+)"\]', _copying(text)))

    exported = {name for name, _, _ in _exports(lean_wasm(wasm, keep))}
    assert copied(lean) == copied(script) & exported  # what the wasm still exports is still copied, nothing else
    assert len(lean) < 0.7 * len(script)
    assert script[:_export_list(script).start()] == lean[:_export_list(lean).start()]
    assert script[_export_list(script).end():] == lean[_export_list(lean).end():]
    with pytest.raises(ValueError, match="export list is not where it was"):
        lean_script(script.replace("function assignWasmExports(", "function assignTheExports("), wasm, keep)


def test_an_export_list_that_moved_fails_the_build() -> None:
    folder = pyodide_folder()
    wasm = (folder / "pyodide.asm.wasm").read_bytes()
    script = re.sub(r"var _[\w$]+(?:,[\w$]+)*;(function assignWasmExports)", r"\1", _runtime_scripts(folder)[1])
    with pytest.raises(ValueError, match="export list is not where it was"):
        kept_exports(wasm, [script], [])


def test_pyodide_runs_python_on_the_loader_s_wasm_and_script(tmp_path: Path) -> None:
    folder = pyodide_folder()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for path in folder.iterdir():
        if path.name not in ("pyodide.asm.wasm", "pyodide.asm.mjs"):
            (runtime / path.name).symlink_to(path)
    wasm = (folder / "pyodide.asm.wasm").read_bytes()
    keep = kept_exports(wasm, _runtime_scripts(folder), [])
    (runtime / "pyodide.asm.wasm").write_bytes(lean_wasm(wasm, keep))
    (runtime / "pyodide.asm.mjs").write_text(lean_script(_runtime_scripts(folder)[1], wasm, keep))
    outcome = json.loads(run_script(SCRIPT, runtime, tmp_path).stdout)
    assert outcome == {"answer": [42, '{"a": [1, 2]}', 6], "called": "hello js"}
