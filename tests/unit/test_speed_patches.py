"""The build's speed patches of Pyodide's JavaScript (``tooling/vendored.py``), run under Node.

Emscripten's linking wraps each JavaScript function the wasm takes by
address in a one-function wasm module; the patched ``pyodide.asm.mjs``
compiles each distinct module once and instantiates it per function. It
gives the main module's exports an entry in the global offset table (GOT)
only when asked (by the main module itself, or later by a side module),
and a side module's definition of a symbol the main module exports still
gives way to the main module's. Its copy of the main module's exports into
the symbols side modules resolve against is a plain loop, and the table it
makes is the one stock Pyodide makes. A JavaScript function goes to its
wrapper without being refused by the function table first, and the table's
slots are mapped only once a wasm function is looked up. Pyodide starts and runs Python as
before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analytics_identity.tooling.vendored import copy_scripts
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
let refused = 0; // functions the table refused (a TypeError each)
const tableSet = WebAssembly.Table.prototype.set;
WebAssembly.Table.prototype.set = function (...args) {
  try { return tableSet.apply(this, args); } catch (error) { refused++; throw error; }
};
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
const answer = pyodide.runPython("import json, sys; json.dumps(sum(range(10)))");
const mod = pyodide._module;
// Emscripten keeps each slot it read (a JavaScript object made for the function in it) in `wasmTableMirror`.
const slotsRead = () => mod.wasmTableMirror.filter(Boolean).length;
const readAtBoot = slotsRead();
// Asked about a wasm function, the map of the slots is made: the last slot holding it, as stock Emscripten answers.
const slot = Math.floor(mod.wasmTable.length / 2);
const inTable = mod.wasmTable.get(slot);
let last = 0;
for (let i = 0; i < mod.wasmTable.length; i++) if (mod.wasmTable.get(i) === inTable) last = i;
const found = [mod.getFunctionAddress(inTable), last, slotsRead(), mod.wasmTable.length];
const main = mod.LDSO.loadedLibsByName.__main__.exports;
const functions = Object.keys(main).filter((name) => typeof main[name] === "function");
const entries = Object.keys(mod.GOT).length;
const outside = functions.filter((name) => !(name in mod.GOT) && name.startsWith("Py"));
// A side module that defines a symbol the main module exports, as its linking calls updateGOT.
const [defined, asked] = outside;
mod.updateGOT({ [defined]: main[outside[2]] });
// A side module that asks for another (Emscripten's GOT handler, then reportUndefinedSymbols).
mod.GOT[asked] = new WebAssembly.Global({ value: "i32", mutable: true }, -1);
mod.reportUndefinedSymbols();
const points = (name) => mod.wasmTable.get(mod.GOT[name].value) === main[name];
process.stdout.write(JSON.stringify({
  compiled, instances, refused, readAtBoot, found, answer, functions: functions.length, entries,
  mainWins: points(defined), lazilyResolved: points(asked), stillRuns: pyodide.runPython("str(len([1, 2, 3]))"),
}));
"""


#: The symbols side modules resolve against (the main module's as ``dlsym`` sees them), in order:
#: each name, its kind and, for a function, whether it is the wasm's own or JavaScript's.
SYMBOLS = r"""
const [runtime] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
const kind = (value) => typeof value !== "function" ? typeof value : /^\d+$/.test(value.name) ? "wasm" : "js";
const symbols = Object.entries(pyodide._module.LDSO.loadedLibsByName.__main__.exports);
process.stdout.write(JSON.stringify(symbols.map(([name, value]) => `${name} ${kind(value)}`)));
"""


def symbols(runtime: Path, work: Path) -> list[str]:
    return json.loads(run_script(SYMBOLS, runtime, work).stdout)


@pytest.fixture(scope="module")
def patched(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("speed")
    runtime = work / "runtime"
    shutil.copytree(pyodide_folder(), runtime, ignore=shutil.ignore_patterns("pyodide.mjs", "pyodide.asm.mjs"))
    copy_scripts(pyodide_folder(), runtime)
    text = (runtime / "pyodide.asm.mjs").read_text()
    assert "wasmFunctionModules" in text and "lazyMainExports" in text
    return {**json.loads(run_script(SCRIPT, runtime, work).stdout), "symbols": symbols(runtime, work)}


def test_each_function_wrapper_module_is_compiled_once_and_python_runs(patched: dict) -> None:
    assert patched["answer"] == "45"
    # 259 JavaScript functions wrapped; their modules are ~28 distinct ones, each compiled once.
    assert patched["instances"] > 200
    assert len(patched["compiled"]) == len(set(patched["compiled"])) < 40
    assert patched["refused"] == 0  # each went to its wrapper without a failed try in the table first
    # The ~9,000 slots were not read one by one to map them, until a wasm function was asked about.
    address, last, read_then, slots = patched["found"]
    assert patched["readAtBoot"] < slots / 4 < slots / 2 < read_then
    assert address == last > 0


def test_the_offset_table_holds_what_was_asked_for_and_the_main_module_still_wins(patched: dict) -> None:
    # Thousands of exported functions; the main module itself asks for a few hundred symbols.
    assert patched["functions"] > 5000
    assert patched["entries"] < patched["functions"] / 10
    assert patched["mainWins"] is True
    assert patched["lazilyResolved"] is True
    assert patched["stillRuns"] == "3"


def test_the_symbols_side_modules_resolve_against_are_stock_pyodide_s(
        patched: dict, tmp_path: Path) -> None:
    stock = symbols(pyodide_folder(), tmp_path)
    assert len(stock) > 8000 and any(entry.endswith(" js") for entry in stock)
    assert any(entry.startswith("main ") or entry.startswith("__main_argc_argv ") for entry in stock)
    assert patched["symbols"] == stock
