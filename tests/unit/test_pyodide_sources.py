"""``tooling/pyodide_sources.py``: Pyodide's package loader without its top-level ``shutil``, ``tempfile`` and ``zipfile``.

Under Node, on the build's Pyodide with the loader's standard library: the
runtime starts without those modules, and Pyodide's package loader still
installs a wheel (``unpack_buffer``, what ``loadPackage`` calls) and
registers the wheel format with ``shutil`` as it did on import. In
CPython: an upgrade that moves a pattern, or adds a use of a moved name,
fails the build.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from analytics_identity.tooling.pyodide_sources import DEFERRED, loader_stdlib, patched
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime, stdlib] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdLibURL: stdlib, stdout: () => {}, stderr: () => {} });
const MOVED = "('shutil', 'tempfile', 'zipfile', 'bz2', 'lzma', 'compression.zstd')";
const atStart = pyodide.runPython(`import sys; [m for m in ${MOVED} if m in sys.modules]`).toJs();
const installed = pyodide.runPython(`
import io, importlib, sys, zipfile
from pyodide.ffi import to_js
import pyodide._package_loader as loader
wheel = io.BytesIO()
with zipfile.ZipFile(wheel, "w") as archive:
    archive.writestr("demo_pkg/__init__.py", "ANSWER = 42\\n")
    archive.writestr("demo_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: demo-pkg\\nVersion: 1.0\\n")
    archive.writestr("demo_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\n")
loader.unpack_buffer(to_js(wheel.getvalue()), filename="demo_pkg-1.0-py3-none-any.whl", extract_dir="/tmp/site")
sys.path.insert(0, "/tmp/site")
import shutil
[importlib.import_module("demo_pkg").ANSWER, "whl" in dict(shutil.get_archive_formats()),
 loader.get_format("whl"), [m for m in ${MOVED} if m not in sys.modules]]
`).toJs();
process.stdout.write(JSON.stringify({ atStart, installed }));
"""


def test_the_runtime_starts_without_them_and_the_package_loader_still_installs_a_wheel(tmp_path: Path) -> None:
    folder = pyodide_folder()
    stdlib = tmp_path / "python_stdlib.zip"
    stdlib.write_bytes(loader_stdlib((folder / "python_stdlib.zip").read_bytes()))
    outcome = json.loads(run_script(SCRIPT, folder, tmp_path, stdlib).stdout)
    assert outcome["atStart"] == []
    answer, registered, wheel_format, still_missing = outcome["installed"]
    assert (answer, registered, wheel_format) == (42, True, "whl")
    assert still_missing == []  # imported once installing asked for them


def test_a_pattern_that_moved_fails_the_build() -> None:
    source = "import re\nimport sys\n"
    with pytest.raises(ValueError, match="found 0 times"):
        patched("pyodide/common.py", source)


def test_a_function_that_reads_a_moved_name_without_importing_it_fails_the_build() -> None:
    with zipfile.ZipFile(pyodide_folder() / "python_stdlib.zip") as archive:
        stock = {path: archive.read(path).decode() for path in DEFERRED}
    for path, source in stock.items():
        assert patched(path, source)
    upgraded = stock["pyodide/common.py"] + "\n\ndef copy(a, b):\n    shutil.copy2(a, b)\n"
    with pytest.raises(ValueError, match=r"copy\(\) reads shutil"):
        patched("pyodide/common.py", upgraded)
