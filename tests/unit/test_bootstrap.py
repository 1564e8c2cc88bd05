"""``tooling/bootstrap.py``'s steps under Node, on the build's Pyodide, where the loader takes them.

Python starts with the build's arguments (without ``site``), the steps'
module comes in the loader's standard library and each step is taken
before Pyodide's own bootstrap, as ``web/runtime.mjs`` takes it (a step of
the module's generator), and what it imported is recorded: no step imports
more than a few modules, ``asyncio`` comes a module per step and works once
Pyodide has started, no step leaves a name in ``__main__``, and ``site``
did what it does at a stock start-up.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from analytics_identity.tooling.bootset import boot_sources
from analytics_identity.tooling.bootstrap import (BOOTSTRAP, BOOTSTRAP_FILE, RECORDER, SETTINGS, bootstrap_steps,
                                                  first_steps, recorded)
from tests.unit.under_node import loader_stdlib_file, pyodide_folder, run_script

SCRIPT = r"""
const [runtime, settingsFile, stdlib, stock] = process.argv.slice(2);
const { readFileSync } = await import("node:fs");
const { args, module: steps, after } = stock ? { args: [] } : JSON.parse(readFileSync(settingsFile, "utf8"));
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const asm = await import(runtime + "/pyodide.asm.mjs");
process.on("uncaughtException", (error) => { process.stderr.write(String(error.message)); process.exit(1); });
const imported = [];
const pyodide = await loadPyodide({
  indexURL: runtime + "/", stdLibURL: stdlib, args, stdout: () => {}, stderr: () => {},
  async createPyodideModule(settings) {
    const module = await asm.default(settings);
    // Read through a file: nothing is left in __main__, and rawRun only captures tracebacks.
    const ask = (expression) => {
      module.API.rawRun(`exec("import sys; open('/tmp/answer', 'w').write(repr(${expression}))", {})`);
      return module.FS.readFile("/tmp/answer", { encoding: "utf8" });
    };
    const count = () => ask("len(sys.modules)");
    const names = () => ask("sorted(sys.modules['__main__'].__dict__)");
    const before = names();
    if (steps) {
      module.API.rawRun(`exec("__import__('${steps}')", {})`);
      for (;;) {
        const start = Number(count());
        if (ask(`next(__import__('${steps}').steps, 'done')`) !== "None") break; // no StopIteration (its traceback imports)
        imported.push(Number(count()) - start);
      }
      globalThis.failed = ask(`__import__('${steps}').failed`); // its repr: nothing more imported
    }
    if (after) module.API.rawRun(after);
    globalThis.mainNames = { before, after: names() };
    return module;
  },
});
// What RECORDER noted, when a statement installed it (read first: nothing below adds to it).
const loads = JSON.parse(pyodide.runPython(
  "import json, sys; json.dumps([getattr(sys, '_analytics_identity_loads', None), list(sys.builtin_module_names)])"));
const site = pyodide.runPython(`
import builtins, sys
repr((sys.path, sorted(set(sys.modules) - {"_analytics_identity_boot"}), sorted(vars(builtins))))
`);
const works = await pyodide.runPythonAsync(`
import asyncio, sys
async def twice(x):
    await asyncio.sleep(0)
    return 2 * x
[await asyncio.gather(twice(1), twice(2)), hasattr(asyncio, "__analytics_identity_in_steps__"),
 sorted(m for m in sys.modules if m.startswith("asyncio."))]
`);
process.stdout.write(JSON.stringify({ imported, failed: globalThis.failed, main: globalThis.mainNames, works: works.toJs(), site, loads }));
"""


def test_the_bootstrap_imports_a_few_modules_a_task_asyncio_included_and_it_works(tmp_path: Path) -> None:
    folder = pyodide_folder()
    stdlib, stdlib_file = loader_stdlib_file(folder, tmp_path)
    steps = bootstrap_steps((folder / "python_stdlib.zip").read_bytes())
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps(SETTINGS))
    outcome = json.loads(run_script(SCRIPT, folder, tmp_path, settings_file, stdlib_file).stdout)
    stock = json.loads(run_script(SCRIPT, folder, tmp_path, settings_file, stdlib_file, "stock").stdout)
    assert SETTINGS["args"] == ["-S"] and outcome["failed"] == "[]"
    assert len(outcome["imported"]) == len(steps)
    # Without `site` at start-up, the steps leave Python as a stock
    # start-up does: the same sys.path, modules (the steps' own aside) and builtins.
    assert outcome["site"] == stock["site"]
    assert outcome["main"]["after"] == outcome["main"]["before"]
    gathered, marked, submodules = outcome["works"]
    assert gathered == [2, 4] and not marked
    in_steps = [i for i, (action, name) in enumerate(steps) if action == "import" and name.startswith("asyncio.")]
    assert len(in_steps) == len(submodules)  # every asyncio module the import brings, a step each
    assert sum(outcome["imported"][i] for i in in_steps) >= len(submodules)
    # Each step imports its module with at most a few others: `json`
    # its own three, `asyncio.events` the C accelerator `_asyncio`, which
    # imports four small modules of the package (imported as one, asyncio
    # was 30 modules; `dataclasses` before `inspect` had been 15).
    assert [(steps[i], n) for i, n in enumerate(outcome["imported"]) if n > 5] == []
    assert steps[in_steps[-1] + 1] == ("finish", "asyncio") and outcome["imported"][in_steps[-1] + 1] == 0


def test_the_bootstrap_list_is_what_the_runtime_imports(tmp_path: Path) -> None:
    """Recorded after the first steps, as the loader takes them: Pyodide's
    bootstrap imports ``BOOTSTRAP``, in that order. After a Pyodide upgrade,
    ``BOOTSTRAP=write`` rewrites ``bootstrap.txt`` from the recording."""
    folder = pyodide_folder()
    stdlib, stdlib_file = loader_stdlib_file(folder, tmp_path, first_steps())
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps({**SETTINGS, "after": f"exec({RECORDER!r}, {{}})"}))
    outcome = json.loads(run_script(SCRIPT, folder, tmp_path, settings_file, stdlib_file).stdout)
    assert outcome["failed"] == "[]"
    loads, built_in = outcome["loads"]
    with zipfile.ZipFile(io.BytesIO(stdlib)) as stock:
        pyodide_package = [name[:-3].replace("/", ".").removesuffix(".__init__") for name in stock.namelist()
                           if name.startswith("_pyodide/") and name.endswith(".py")]
    order = recorded(loads, set(built_in), boot_sources(stdlib, pyodide_package))
    if os.environ.get("BOOTSTRAP") == "write":
        BOOTSTRAP_FILE.write_text("# Written by `BOOTSTRAP=write pytest tests/unit/test_bootstrap.py` (tooling/bootstrap.py\n"
                                  "# RECORDER, recorded): what Pyodide's bootstrap imports, in the order each import finished.\n"
                                  + "".join(f"{name}\n" for name in order))
    assert list(BOOTSTRAP) == order, (
        "Pyodide's bootstrap imports another list than tooling/bootstrap.txt: rewrite it with "
        "`BOOTSTRAP=write .venv/bin/python -m pytest tests/unit/test_bootstrap.py`, then `make build`")


def test_what_the_recording_keeps_and_leaves_out() -> None:
    loads = [
        ("_struct", ["struct"]), ("struct", []),  # built in; then the module that imports it
        ("json.decoder", ["json"]), ("json", []),  # brought by its package's import
        ("_pyodide._base", ["_pyodide_core", "_pyodide"]), ("_pyodide", ["_pyodide_core"]),
        ("_pyodide.docstring", ["_pyodide_core"]), ("_pyodide.jsbind", ["_pyodide_core"]),
        ("_pyodide_core", []), ("zipfile", ["pyodide._package_loader"]), ("pyodide._package_loader", ["pyodide"]),
        ("pyodide", []),
    ]
    sources = {"_pyodide/__init__.py": "from . import _base\n", "_pyodide/_base.py": "import ast\n",
               "_pyodide/docstring.py": "import re\n", "_pyodide/jsbind.py": "from _pyodide_core import JsProxy\n"}
    assert recorded(loads, {"_struct", "_pyodide_core"}, sources) == [
        "struct", "json", "_pyodide", "_pyodide.docstring", "zipfile", "_pyodide_core"]
