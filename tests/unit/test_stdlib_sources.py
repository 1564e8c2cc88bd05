"""``tooling/stdlib_sources.py``: the loader's standard library without the imports the boot never needs.

Under Node, on the build's Pyodide with the loader's standard library: the
runtime starts without ``shutil``, ``tempfile``, ``zipfile`` and ``ssl``;
Pyodide's package loader still installs a wheel (``unpack_buffer``, what
``loadPackage`` calls) and registers the wheel format with ``shutil`` as
it did on import; ``urllib.parse`` imports ``ipaddress`` only for a
bracketed host, which it still checks; ``asyncio`` runs
(``test_bootstrap.py`` too). In CPython: an upgrade that moves a pattern,
adds a use of a moved name or imports an absent module fails the build.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from analytics_identity.tooling.stdlib_sources import DEFERRED, patched
from tests.unit.under_node import loader_stdlib_file, pyodide_folder, run_script

SCRIPT = r"""
const [runtime, stdlib] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdLibURL: stdlib, stdout: () => {}, stderr: () => {} });
const MOVED = "('shutil', 'tempfile', 'zipfile', 'bz2', 'lzma', 'compression.zstd', 'ssl', 'ipaddress')";
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
const hosts = pyodide.runPython(`
import asyncio, sys, urllib.parse
before = "ipaddress" in sys.modules
def host(url):
    try:
        return urllib.parse.urlsplit(url).hostname
    except ValueError as error:
        return str(error)
[before, asyncio.base_events.ssl, host("http://[::1]:8080/"), host("http://[1.2.3.4]/"), host("http://a.test/")]
`).toJs();
process.stdout.write(JSON.stringify({ atStart, installed, hosts }));
"""


def test_the_runtime_starts_without_them_and_the_package_loader_still_installs_a_wheel(tmp_path: Path) -> None:
    folder = pyodide_folder()
    _, stdlib = loader_stdlib_file(folder, tmp_path)
    outcome = json.loads(run_script(SCRIPT, folder, tmp_path, stdlib).stdout)
    assert outcome["atStart"] == []
    answer, registered, wheel_format, still_missing = outcome["installed"]
    assert (answer, registered, wheel_format) == (42, True, "whl")
    assert still_missing == ["ssl", "ipaddress"]  # the others imported once installing asked for them
    assert outcome["hosts"] == [False, None, "::1", "An IPv4 address cannot be in brackets", "a.test"]


def test_an_absent_module_imported_again_fails_the_build() -> None:
    with zipfile.ZipFile(pyodide_folder() / "python_stdlib.zip") as archive:
        source = archive.read("asyncio/sslproto.py").decode()
    assert "import ssl" not in patched("asyncio/sslproto.py", source)
    with pytest.raises(ValueError, match="imports ssl"):
        patched("asyncio/sslproto.py", source + "\n\ndef context():\n    from ssl import create_default_context\n")


def test_a_pattern_that_moved_fails_the_build() -> None:
    source = "import re\nimport sys\n"
    with pytest.raises(ValueError, match="found 0 times"):
        patched("pyodide/common.py", source)


def test_a_function_that_reads_a_moved_name_without_importing_it_fails_the_build() -> None:
    with zipfile.ZipFile(pyodide_folder() / "python_stdlib.zip") as archive:
        stock = {path: archive.read(path).decode() for path in DEFERRED}
    for path, source in stock.items():
        assert patched(path, source) != source
    upgraded = stock["pyodide/common.py"] + "\n\ndef copy(a, b):\n    shutil.copy2(a, b)\n"
    with pytest.raises(ValueError, match=r"copy\(\) reads shutil"):
        patched("pyodide/common.py", upgraded)
