"""``tooling/boot_code.py``: the code the boot generates, compiled by the build, under Node on the build's Pyodide.

Started as the loader starts it (its arguments, standard library and
the boot's steps, then the core's modules), with the table the build
made, the runtime compiles none of what ``dataclasses`` and ``namedtuple``
generate, nor the string annotations of a ``typing.NamedTuple``: recorded
again, nothing is missed. The table holds each source's
code as the runtime's compiler makes it; what it does not hold (a class made
later) is compiled as before and works the same. In CPython: the patches
are found.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from analytics_identity.tooling.boot_code import EMPTY, MODULE, boot_code
from analytics_identity.tooling.build import build_stdlib, build_wheel, loader_python, project_root
from analytics_identity.tooling.stdlib_sources import PRECOMPILED, patched
from analytics_identity.tooling.vendored import copy_scripts
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime, stdlib] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdLibURL: stdlib, stdout: () => {}, stderr: () => {} });
process.stdout.write(pyodide.runPython(`
import collections, dataclasses, json, typing
import _analytics_identity_code as table
same = all(code == compile(source, "<string>", mode, dont_inherit=True) for (mode, source), code in table._CODE.items())
missed = len(table.missed)

@dataclasses.dataclass(frozen=True)
class Later:
    name: str
    count: int = 0

Pair = collections.namedtuple("Pair", "left right")
Named = typing.NamedTuple("Named", [("size", "int | None")])  # its __new__, then its annotation (annotationlib)
later = [repr(Later("a", 2)), Later("a") == Later("a", 0), hash(Later("b")) == hash(Later("b")),
         Pair(1, right=2)._asdict(), typing.get_type_hints(Named)["size"] == (int | None),
         [mode for mode, _ in table.missed[missed:]]]
json.dumps({"held": len(table._CODE), "same": same, "kinds": sorted({mode for mode, _ in table._CODE}), "later": later})
`));
"""


SHIPPED = r"""
const [runtime, stdlib, wheel, settingsFile, web] = process.argv.slice(2);
const { readFileSync } = await import("node:fs");
process.on("uncaughtException", (error) => { process.stderr.write(String(error.message)); process.exit(1); });
const { args, module: steps, modules } = JSON.parse(readFileSync(settingsFile, "utf8"));
const { takeSteps } = await import(web + "/runtime.mjs");
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const asm = await import(runtime + "/pyodide.asm.mjs");
const pyodide = await loadPyodide({
  indexURL: runtime + "/", stdLibURL: stdlib, args, stdout: () => {}, stderr: () => {},
  async createPyodideModule(settings) {
    const module = await asm.default(settings);
    // Compiled before the boot: from here on, each use of Python's compiler is noted.
    module.API.rawRun("import sys\nsys.addaudithook(lambda event, args, sys=sys: event == 'compile' and "
                      + "sys.__dict__.setdefault('_compiled', []).append(repr(args[0])[:80]))\ndel sys");
    await takeSteps(module, steps);
    return module;
  },
});
pyodide.FS.writeFile("/lib/core.whl", readFileSync(wheel));
const sys = pyodide.pyimport("sys");
sys.path.insert(0, "/lib/core.whl");
for (const name of modules) pyodide.pyimport(name);
process.stdout.write(JSON.stringify({ compiled: sys._compiled ? sys._compiled.toJs() : [],
                                      failed: pyodide.pyimport(steps).failed.toJs() }));
"""


@pytest.fixture(scope="module")
def loader(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes, dict[str, object], list[str]]:
    """The build's wheel, the loader's standard library with its table, its settings and the core's modules."""
    folder = pyodide_folder()
    work = tmp_path_factory.mktemp("loader")
    wheel = build_wheel(work / "wheel", folder)
    stdlib, settings, modules, _ = loader_python(folder, wheel, work / "cache")
    return folder, wheel, stdlib, settings, modules


def test_the_loaders_boot_compiles_nothing(loader: tuple[Path, Path, bytes, dict[str, object], list[str]],
                                           tmp_path: Path) -> None:
    """From the boot's first step to the core's last module, on Pyodide's scripts as the build ships them and with
    the loader's own ``takeSteps``, Python's compiler is never used (docs/loading.md, step 37)."""
    folder, wheel, stdlib, settings, modules = loader
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    copy_scripts(folder, runtime)
    for name in ("pyodide.asm.wasm", "pyodide-lock.json"):
        (runtime / name).symlink_to(folder / name)
    # As bytecode, as the build ships it (and keeps it in its cache): sources would be compiled on import.
    compiled = build_stdlib(tmp_path, stdlib, folder, project_root() / "build" / "static" / ".bytecode-cache")
    (tmp_path / "settings.json").write_text(json.dumps({**settings, "modules": modules}))
    outcome = json.loads(run_script(SHIPPED, runtime, tmp_path, compiled, wheel, tmp_path / "settings.json",
                                    project_root() / "web").stdout)
    assert outcome == {"compiled": [], "failed": []}


def test_the_boot_compiles_nothing_it_generates_and_what_comes_later_still_compiles(
        loader: tuple[Path, Path, bytes, dict[str, object], list[str]], tmp_path: Path) -> None:
    folder, wheel, stdlib, settings, modules = loader
    # The recording run again, on the standard library holding the table: it notes nothing.
    again = boot_code(folder, stdlib, settings, modules, wheel, tmp_path / "again")
    assert again == EMPTY, f"the boot compiled code the table lacks ({len(again)} bytes of it)"
    (tmp_path / "python_stdlib.zip").write_bytes(stdlib)
    outcome = json.loads(run_script(SCRIPT, folder, tmp_path, tmp_path / "python_stdlib.zip").stdout)
    # The core's dataclasses, the standard library's (`_colorize`, `inspect`...) and its named tuples.
    assert outcome["held"] > 40 and outcome["kinds"] == ["eval", "exec"]
    assert outcome["same"]  # each as the runtime's own compiler makes it
    assert outcome["later"] == ["Later(name='a', count=2)", True, True, {"left": 1, "right": 2}, True,
                                ["exec", "eval", "eval", "eval"]]


def test_the_loader_standard_library_holds_the_table_and_asks_it() -> None:
    stock = (pyodide_folder() / "python_stdlib.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(stock)) as source:
        for path in PRECOMPILED:
            text = patched(path, source.read(path).decode())
            asked = re.search(rf"^from {MODULE} import \w+ as (\w+)\n", text, re.M)
            assert asked and text.count(asked.group(1) + "(") == 1, path
