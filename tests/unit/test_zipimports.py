"""``browser/zipimports.py`` under Node, on the build's Pyodide, as the loader runs it.

The loader takes the first step of the boot's module (``tooling/bootstrap.py``
``boot_module``), which installs it, so that is what runs here, on a zip of
bytecode made by that runtime: a package, a module, and a module whose stale
bytecode sits beside its source.
"""

from __future__ import annotations

import json
from pathlib import Path

from analytics_identity.tooling.bootstrap import boot_module, first_steps
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime, boot] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdout: () => {}, stderr: () => {} });
process.on("uncaughtException", (error) => { process.stderr.write(String(error.message)); process.exit(1); });
pyodide.runPython(`
import importlib.util, marshal, zipfile
def pyc(source):
    code = compile(source, "<zip>", "exec")
    return importlib.util.MAGIC_NUMBER + b"\\x00" * 12 + marshal.dumps(code)
with zipfile.ZipFile("/tmp/test.zip", "w") as archive:
    archive.writestr("pkg/__init__.pyc", pyc("NAME = 'pkg'"))
    archive.writestr("pkg/mod.pyc", pyc("NAME = 'pkg.mod'"))
    archive.writestr("single.pyc", pyc("NAME = 'single'"))
    archive.writestr("both.py", "NAME = 'both, from its source'")
    archive.writestr("both.pyc", b"stale" + pyc("NAME = 'both, stale'")[5:])
`);
const outcome = pyodide.runPython(`
import json, sys, zipimport
root, inside = zipimport.zipimporter("/tmp/test.zip"), zipimport.zipimporter("/tmp/test.zip/pkg/")
importers = {"pkg": root, "pkg.mod": inside, "single": root, "both": root}
stock = {name: importer.get_filename(name) for name, importer in importers.items()}
open("/tmp/_analytics_identity_boot.py", "w").write(${JSON.stringify(boot)})
sys.path.insert(0, "/tmp")
next(__import__("_analytics_identity_boot").steps)
sys.path.remove("/tmp")
patched = {name: importer.get_filename(name) for name, importer in importers.items()}
reads = []
read = zipimport._get_data
zipimport._get_data = lambda archive, entry: reads.append(entry[0].split("test.zip/")[1]) or read(archive, entry)
sys.path.insert(0, "/tmp/test.zip")
import pkg.mod, single, both
zipimport._get_data = read
json.dumps({"stock": stock, "patched": patched, "reads": reads,
            "names": [pkg.NAME, pkg.mod.NAME, single.NAME, both.NAME],
            "files": [pkg.__file__, pkg.mod.__file__, single.__file__, both.__file__],
            "main": sorted(name for name in globals() if name in ("install", "_STOCK", "_get_filename"))})
`);
process.stdout.write(outcome);
"""


def test_the_loaders_zip_imports_read_each_module_once_and_name_the_same_files(tmp_path: Path) -> None:
    boot = boot_module(first_steps()[:1])  # the zip-import fix alone
    outcome = json.loads(run_script(SCRIPT, pyodide_folder(), tmp_path, boot).stdout)
    assert outcome["patched"] == outcome["stock"]
    assert outcome["stock"]["both"].endswith("both.py")  # the stale bytecode is passed over, as before
    # Importing reads each module once (CPython's own read each twice); "both" is
    # left to CPython: its stale bytecode and its source, twice each.
    assert outcome["reads"] == ["pkg/__init__.pyc", "pkg/mod.pyc", "single.pyc"] + ["both.pyc", "both.py"] * 2
    assert outcome["names"] == ["pkg", "pkg.mod", "single", "both, from its source"]
    assert outcome["files"] == [outcome["stock"][name] for name in ("pkg", "pkg.mod", "single", "both")]
    assert outcome["main"] == []  # nothing left in the page's __main__
