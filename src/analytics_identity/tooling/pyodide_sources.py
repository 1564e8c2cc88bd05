"""Pyodide's own Python as the loader's standard library ships it.

Pyodide's package loader (``pyodide/_package_loader.py``, imported by every
start of the runtime) and the helper it imports (``pyodide/common.py``)
import ``shutil``, ``tempfile`` and ``zipfile`` at the top, and with them
``bz2``, ``lzma``, ``compression.zstd`` and their packages: 11 modules, ~24 ms
of a cold boot's main thread in Chromium (one bootstrap statement each,
``tooling/bootstrap.py``) and 49 KB of the boot set's brotli. Only
installing a package uses them, which the loader never does. Here they are
imported by the functions that use them; ``_shutil()`` registers the wheel
format with ``shutil`` on first use, as the module did when imported.

Only the loader's standard library (``stdlib/<hash>/``, the boot set and
the whole one fetched on demand) is made from these sources; PyScript pages
and pages with their own Pyodide keep npm's. Each pattern must be found,
and afterwards no function of the file may read one of the moved names
without importing it, so a Pyodide upgrade that changes either fails the
build instead of shipping a module that fails at its first package.
"""

from __future__ import annotations

import io
import re
import symtable
import zipfile
from collections.abc import Callable

__all__ = ["DEFERRED", "loader_stdlib", "patched"]


def _registering(match: re.Match[str]) -> str:
    """The module-level registration of the wheel format, as a function that imports ``shutil`` and registers once."""
    block = "".join("    " + line if line.strip() else line for line in match.group(1).splitlines(keepends=True))
    return ("def _shutil():\n"
            "    import shutil\n\n"
            "    if IN_PYODIDE and \"whl\" not in dict(shutil.get_archive_formats()):\n"
            f"{block}"
            "    return shutil\n")


_Patch = tuple[re.Pattern[str], "str | Callable[[re.Match[str]], str]"]
#: Per file: the names no longer imported at the top, and the patches that move them into functions.
DEFERRED: dict[str, tuple[frozenset[str], list[_Patch]]] = {
    "pyodide/_package_loader.py": (frozenset({"shutil", "NamedTemporaryFile", "ZipFile"}), [
        (re.compile(r"^import shutil\n", re.M), ""),
        (re.compile(r"^from tempfile import NamedTemporaryFile\n", re.M), ""),
        (re.compile(r"^from zipfile import ZipFile\n", re.M), ""),
        (re.compile(r"^if IN_PYODIDE:\n((?:    shutil\..*\n(?:        .*\n|    \)\n)*)+)", re.M), _registering),
        (re.compile(r"^(def make_whlfile\([^)]*\) -> str:\n)", re.M), r"\1    shutil = _shutil()\n"),
        (re.compile(r"^(def get_format\(format: str\) -> str:\n)", re.M), r"\1    shutil = _shutil()\n"),
        (re.compile(r"^(    extract_path\.mkdir\(parents=True, exist_ok=True\)\n)", re.M),
         "    from tempfile import NamedTemporaryFile\n    from zipfile import ZipFile\n\n"
         r"    shutil = _shutil()\n\1"),
        (re.compile(r"^(    import tarfile\n)", re.M), r"\1    from zipfile import ZipFile\n"),
    ]),
    "pyodide/common.py": (frozenset({"shutil"}), [
        (re.compile(r"^import shutil\n", re.M), ""),
        (re.compile(r'^(def install_files\(.*?\n    """\n.*?\n    """\n)', re.M | re.S), r"\1    import shutil\n\n"),
    ]),
}


def patched(path: str, source: str) -> str:
    """``source`` of ``path`` (a key of :data:`DEFERRED`) with its imports moved into the functions that use them."""
    names, patches = DEFERRED[path]
    for pattern, replacement in patches:
        source, count = pattern.subn(replacement, source)
        if count != 1:
            raise ValueError(f"{path}: {pattern.pattern!r} found {count} times, not once; review tooling/pyodide_sources.py")
    top = symtable.symtable(source, path, "exec")
    left = sorted(name for name in names if name in top.get_identifiers() and top.lookup(name).is_imported())
    unbound = sorted(f"{scope.get_name()}() reads {name}" for scope in _functions(top) for name in names
                     if name in scope.get_identifiers() and scope.lookup(name).is_global())
    if left or unbound:
        raise ValueError(f"{path}: {left or unbound}; review tooling/pyodide_sources.py")
    return source


def _functions(table: symtable.SymbolTable) -> list[symtable.SymbolTable]:
    found = []
    for child in table.get_children():
        if child.get_type() == "function":
            found.append(child)
        found.extend(_functions(child))
    return found


def loader_stdlib(stock: bytes) -> bytes:
    """npm's standard-library zip ``stock`` with :data:`DEFERRED`'s files patched (the rest copied as they are)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(stock)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        found = set()
        for info in source.infolist():
            data = source.read(info)
            if info.filename in DEFERRED:
                data = patched(info.filename, data.decode()).encode()
                found.add(info.filename)
            target.writestr(info, data, compress_type=info.compress_type)
    missing = sorted(DEFERRED.keys() - found)
    if missing:
        raise ValueError(f"the standard library holds no {missing}; review tooling/pyodide_sources.py")
    return out.getvalue()
