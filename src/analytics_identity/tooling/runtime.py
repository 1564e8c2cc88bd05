"""Where ``analytics-identity build`` finds what it ships: a checkout, or the installed wheel.

In a checkout the files come from where ``make deps`` put them (Pyodide
and PyScript in ``node_modules/``, micropip in ``vendor/``, ours in
``web/``), and Python is compiled to bytecode by Pyodide under Node. An
installed wheel has no Node and no checkout: ``make dist`` wrote the same
files into the package (``tooling/bundle/``, :func:`write_bundle`), with
everything that needed Node done already: the bytecode of every module
the build compiles (the runtime's standard library and our own package),
in a table keyed by name and source, the boot's compiled code
(:mod:`.boot_code`) and the ``LICENSES/`` folder. The
wheel carries each file once, uncompressed twins are made by the build.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .licences import write_licences

__all__ = ["BOOT_CODE", "BUNDLE", "MICROPIP_WHEEL", "Runtime", "bytecode_for", "bytecode_key", "locate", "run_node",
           "write_bundle"]

#: The runtime files inside an installed wheel.
BUNDLE = Path(__file__).resolve().with_name("bundle")
#: micropip, which the build ships next to the runtime (``vendor/`` in a checkout: ``make deps``).
MICROPIP_WHEEL = "micropip-0.11.1-py3-none-any.whl"
_WEB_FILES = ("snippet.js", "loader.mjs", "runtime.mjs", "saved.mjs", "snapshot-worker.mjs", "analytics.d.ts")
_BYTECODE = "bytecode.zip"
#: The bundle's table of the boot's compiled code (:mod:`.boot_code`).
BOOT_CODE = "boot_code.bin"


def bytecode_key(name: str, source: str, lines: bool = True) -> str:
    """A compiled module's entry in the bundle's table: its name, source and line tables decide its bytecode."""
    return hashlib.sha256(f"{name}\0{source}{'' if lines else chr(0) + 'first-lines'}".encode()).hexdigest()


@dataclass(frozen=True)
class Runtime:
    """The folders the build copies from, and how it compiles bytecode there."""

    pyodide: Path  # pyodide.mjs, the wasm, python_stdlib.zip, the lock file, package.json
    micropip: Path  # the micropip wheel
    web: Path  # snippet.js, loader.mjs, snapshot-worker.mjs, analytics.d.ts
    pyscript: Path  # @pyscript/core: package.json and dist/
    #: The checkout (licences are collected from its node_modules); ``None`` in a wheel.
    root: Path | None

    def write_licences(self, out: Path) -> None:
        """``out/LICENSES/`` (:mod:`.licences`): collected from the checkout, or the bundle's copy."""
        if self.root is None:
            shutil.copytree(BUNDLE / "LICENSES", out / "LICENSES")
            return
        write_licences(out, self.root, self.micropip)


def locate(root: Path | None = None) -> Runtime:
    """The bundle when the package was installed from a wheel, else the checkout at ``root``."""
    if root is None and BUNDLE.is_dir():
        return Runtime(BUNDLE / "pyodide", next(BUNDLE.glob("micropip-*.whl")), BUNDLE / "web",
                       BUNDLE / "pyscript", None)
    root = root or project_root()
    runtime = Runtime(root / "node_modules" / "pyodide", root / "vendor" / MICROPIP_WHEEL, root / "web",
                      root / "node_modules" / "@pyscript" / "core", root)
    for needed in (runtime.pyodide / "pyodide.mjs", runtime.micropip, runtime.web / "snippet.js"):
        if not needed.exists():
            raise FileNotFoundError(f"{needed} is missing: run `make deps` first")
    return runtime


def bytecode_for(sources: dict[str, str], pyodide_dir: Path, lines: bool = True) -> dict[str, bytes]:
    """``{"pkg/mod.py": source}`` as ``{"pkg/mod.pyc": bytecode}`` for the runtime in ``pyodide_dir``
    (see :func:`.build.compile_bytecode`): from the bundle's table, or compiled under Node."""
    if pyodide_dir.resolve().is_relative_to(BUNDLE):
        return _precompiled(BUNDLE / _BYTECODE, sources, lines)
    return _node_compile(sources, pyodide_dir, lines)


def project_root() -> Path:
    """The source checkout (``web/``, ``node_modules/``, ``vendor/`` live there)."""
    return Path(__file__).resolve().parents[3]


def run_node(script: str, args: Iterable[object], stdin: str, doing: str) -> str:
    """What Node printed running this folder's ``script`` with ``args`` and ``stdin`` (Pyodide under Node, which
    ``make deps`` installs); a clear error, naming what it was ``doing``, when Node is missing or the script fails."""
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError(f"node is missing: the build runs Pyodide under Node for {doing} (run `make deps`)")
    path = Path(__file__).resolve().with_name(script)
    result = subprocess.run([node, str(path), *map(str, args)], input=stdin, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{doing} with Pyodide failed:\n{result.stderr.strip()[-2000:]}")
    return result.stdout


def _node_compile(sources: dict[str, str], pyodide_dir: Path, lines: bool = True) -> dict[str, bytes]:
    """Compile with Pyodide's own CPython under Node (``bytecode.mjs``)."""
    compiled = run_node("bytecode.mjs", [f"{pyodide_dir}/", "lines" if lines else "first-lines"], json.dumps(sources),
                        "compiling bytecode")
    return {name: base64.b64decode(data) for name, data in json.loads(compiled).items()}


def _precompiled(table: Path, sources: dict[str, str], lines: bool = True) -> dict[str, bytes]:
    """The bytecode ``make dist`` compiled for these sources; a clear error for any it did not."""
    with zipfile.ZipFile(table) as archive:
        known = set(archive.namelist())
        missing = sorted(name for name, source in sources.items() if bytecode_key(name, source, lines) not in known)
        if missing:
            raise FileNotFoundError(f"the installed package has no bytecode for {', '.join(missing[:3])}"
                                    f"{' and others' if len(missing) > 3 else ''}: was it changed after "
                                    "installing? Reinstall it, or build from a checkout with Node")
        return {name + "c": archive.read(bytecode_key(name, source, lines)) for name, source in sources.items()}


def write_bundle(target: Path, runtime: Runtime, pyodide_files: Iterable[str], modules: Iterable[dict[str, str]],
                 first_lines: Iterable[dict[str, str]], boot_code: bytes) -> Path:
    """Write a checkout's runtime into ``target`` (the wheel's ``tooling/bundle/``), for ``make dist``.

    ``modules``: every set of sources the build compiles (the standard
    library, our package), compiled here once with Node into the table;
    ``first_lines``: those it compiles without line tables (the boot set);
    ``boot_code``: the boot's compiled code (:mod:`.boot_code`).
    PyScript's browser files are copied as they are (the build patches them).
    """
    if target.exists():
        shutil.rmtree(target)
    (target / "pyodide").mkdir(parents=True)
    for name in (*pyodide_files, "package.json"):
        shutil.copyfile(runtime.pyodide / name, target / "pyodide" / name)
    shutil.copyfile(runtime.micropip, target / runtime.micropip.name)
    (target / "web").mkdir()
    for name in _WEB_FILES:
        shutil.copyfile(runtime.web / name, target / "web" / name)
    (target / "pyscript" / "dist").mkdir(parents=True)
    shutil.copyfile(runtime.pyscript / "package.json", target / "pyscript" / "package.json")
    for path in sorted((runtime.pyscript / "dist").iterdir()):
        if path.suffix in (".js", ".css"):
            shutil.copyfile(path, target / "pyscript" / "dist" / path.name)
    runtime.write_licences(target)
    (target / BOOT_CODE).write_bytes(boot_code)
    with zipfile.ZipFile(target / _BYTECODE, "w", zipfile.ZIP_DEFLATED) as table:
        for lines, batch in ((True, modules), (False, first_lines)):
            for sources in batch:
                for name, data in _node_compile(sources, runtime.pyodide, lines).items():
                    info = zipfile.ZipInfo(bytecode_key(name[:-1], sources[name[:-1]], lines), (2020, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    table.writestr(info, data)
    return target
