"""The loader's standard library: npm's, with imports the boot never needs taken out of its start
and the code it generates compiled by the build.

Every start of the runtime imports Pyodide's own package loader and
``asyncio`` (Pyodide's core does), and the core imports ``urllib.parse``.
Each imported at the top modules that only a rare path uses:

- ``pyodide/_package_loader.py`` and ``pyodide/common.py``: ``shutil``,
  ``tempfile`` and ``zipfile`` (and with them ``bz2``, ``lzma``,
  ``compression.zstd``, ``random``...), which only installing a package
  uses; the loader installs none.
- ``urllib/parse.py``: ``ipaddress`` (61 KB of bytecode), which only a
  bracketed host (``http://[::1]/``) uses.
- ``asyncio``'s event loops and TLS protocol: ``ssl`` (with ``pathlib``,
  ``base64``...), optional there (``ssl = None`` when it cannot be
  imported); a page has no sockets for it.

And two modules used Python's parser or compiler at the boot, which
otherwise compiles nothing (``tooling/bootstrap.py``): ``_pyodide/_base.py``
parsed the template of ``eval_code``'s last expression when imported (now on
its first use), and ``typing`` compiles the string annotations of a
``NamedTuple``'s fields when the class is made (``annotationlib`` now asks
the build's table first, as ``dataclasses`` does).

:data:`DEFERRED` moves an import (or the parse) into the functions that use
it (``shutil``'s registration of the wheel format runs on its first use, as
it ran when the module was imported); :data:`WITHOUT` makes an optional
import absent; :data:`PRECOMPILED` has ``dataclasses``, ``namedtuple`` and
``annotationlib`` take the code of what they generate from the build's table
(:mod:`.boot_code`), which the zip holds as a module of its own, as it holds
the boot's steps (:mod:`.bootstrap`). Only the loader's standard library
(``stdlib/<hash>/``: the boot set and the whole one fetched on demand) is
made from these sources; PyScript pages and pages with their own Pyodide
keep npm's. Each pattern must be found once, and afterwards no function may
read a moved name without importing it and no patched file may import an
absent module, so a runtime upgrade that changes either fails the build
instead of shipping a module that fails later. What it bought:
``docs/loading.md``, steps 29, 36 and 37.
"""

from __future__ import annotations

import ast
import io
import re
import symtable
import zipfile
from collections.abc import Callable

from .boot_code import EMPTY, MODULE, module_source
from .bootstrap import MODULE as BOOT_MODULE

__all__ = ["DEFERRED", "PRECOMPILED", "WITHOUT", "loader_stdlib", "patched"]


def _registering(match: re.Match[str]) -> str:
    """The package loader's module-level registration of the wheel format, as a function that imports ``shutil``
    and registers it once."""
    block = "".join("    " + line if line.strip() else line for line in match.group(1).splitlines(keepends=True))
    return ("def _shutil():\n"
            "    import shutil\n\n"
            "    if IN_PYODIDE and \"whl\" not in dict(shutil.get_archive_formats()):\n"
            f"{block}"
            "    return shutil\n")


_Patch = tuple[re.Pattern[str], "str | Callable[[re.Match[str]], str]"]
#: Per file: the names no longer imported at the top, and the patches that move them into the functions using them.
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
    # Not an import: the template of eval_code's last expression, parsed on its first use, not at the
    # import (the boot's only use of Python's parser then; the loader's boot compiles nothing).
    "_pyodide/_base.py": (frozenset(), [
        (re.compile(r'^_raise_template_ast = (ast\.parse\("raise ___EvalCodeResultException\[0\]\(x\)"\)\.body\[0\])\n',
                    re.M), r"def _raise_template_ast():\n    return \1\n"),
        (re.compile(r"^(    raise_expr = )deepcopy\(_raise_template_ast\)\n", re.M), r"\1_raise_template_ast()\n"),
    ]),
    "urllib/parse.py": (frozenset({"ipaddress"}), [
        (re.compile(r"^import ipaddress\n", re.M), ""),
        (re.compile(r"^(def _check_bracketed_host\(hostname\):\n)", re.M), r"\1    import ipaddress\n"),
    ]),
}

_NO_SSL = (re.compile(r"^try:\n    import ssl\nexcept ImportError:  # pragma: no cover\n    ssl = None\n", re.M),
           "ssl = None  # a page has no sockets for TLS (tooling/stdlib_sources.py)\n")
#: Per file: the optional modules it no longer imports, and the patches that leave them out.
WITHOUT: dict[str, tuple[frozenset[str], list[_Patch]]] = {
    f"asyncio/{name}.py": (frozenset({"ssl"}), [_NO_SSL]) for name in ("base_events", "selector_events", "sslproto")
}


_ASK = f"from {MODULE} import compiled as _compiled\n"
#: Per file: the patches that hand what it generates to the build's table before the compiler.
PRECOMPILED: dict[str, list[_Patch]] = {
    "dataclasses.py": [
        (re.compile(r"^import re\n", re.M), r"\g<0>" + _ASK),
        (re.compile(r"^(        exec\()txt(, self\.globals, ns\)\n)", re.M), r'\1_compiled("exec", txt)\2'),
    ],
    "collections/__init__.py": [
        (re.compile(r"^import _collections_abc\n", re.M), r"\g<0>" + _ASK),
        (re.compile(r"^(    __new__ = eval\()code(, namespace\)\n)", re.M), r'\1_compiled("eval", code)\2'),
    ],
    # typing compiles each string annotation of a NamedTuple's fields when the class is made.
    "annotationlib.py": [
        (re.compile(r"^import types\n", re.M), r"\g<0>" + _ASK),
        (re.compile(r'^(            self\.__code__ = )compile\((_rewrite_star_unpack\(arg\)), "<string>", "eval"\)\n', re.M),
         r'\1_compiled("eval", \2)\n'),
    ],
}


def patched(path: str, source: str) -> str:
    """``source`` of ``path`` (a key of :data:`DEFERRED`, :data:`WITHOUT` or :data:`PRECOMPILED`) as the loader ships it."""
    if path in PRECOMPILED:
        # Only the patterns are checked: these sources use syntax the build's CPython may not parse.
        return _applied(path, source, PRECOMPILED[path])
    deferred = path in DEFERRED
    names, patches = DEFERRED[path] if deferred else WITHOUT[path]
    source = _applied(path, source, patches)
    if deferred:
        top = symtable.symtable(source, path, "exec")
        wrong = sorted(f"{scope.get_name()}() reads {name} without importing it" for scope in _functions(top)
                       for name in names if name in scope.get_identifiers() and scope.lookup(name).is_global())
        wrong += sorted(f"imports {name} at the top" for name in names
                        if name in top.get_identifiers() and top.lookup(name).is_imported())
    else:
        wrong = sorted(f"imports {name}" for name in names & _imported_modules(source))
    if wrong:
        raise ValueError(f"{path}: {', '.join(wrong)}; review tooling/stdlib_sources.py")
    return source


def _applied(path: str, source: str, patches: list[_Patch]) -> str:
    for pattern, replacement in patches:
        source, count = pattern.subn(replacement, source)
        if count != 1:
            raise ValueError(f"{path}: {pattern.pattern!r} found {count} times, not once; "
                             "review tooling/stdlib_sources.py")
    return source


def _imported_modules(source: str) -> set[str]:
    """The top-level names of the modules ``source`` imports anywhere."""
    tree = ast.parse(source)
    return ({alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            | {node.module.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module and not node.level})


def _functions(table: symtable.SymbolTable) -> list[symtable.SymbolTable]:
    found = []
    for child in table.get_children():
        if child.get_type() == "function":
            found.append(child)
        found.extend(_functions(child))
    return found


def loader_stdlib(stock: bytes, boot: str, code: bytes = EMPTY) -> bytes:
    """npm's standard-library zip ``stock`` with the files of :data:`DEFERRED`, :data:`WITHOUT` and
    :data:`PRECOMPILED` patched, the boot's steps (``boot``, the source of :mod:`.bootstrap`'s module) and the
    table ``code`` of :mod:`.boot_code` (empty: it notes every source)."""
    files = DEFERRED.keys() | WITHOUT.keys() | PRECOMPILED.keys()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(stock)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in files:
                data = patched(info.filename, data.decode()).encode()
            target.writestr(info, data, compress_type=info.compress_type)
        for name, text in ((MODULE, module_source(code)), (BOOT_MODULE, boot)):
            info = zipfile.ZipInfo(f"{name}.py", source.infolist()[0].date_time)
            info.external_attr = 0o644 << 16
            target.writestr(info, text, compress_type=zipfile.ZIP_DEFLATED)
        missing = sorted(files - set(source.namelist()))
    if missing:
        raise ValueError(f"the standard library holds no {missing}; review tooling/stdlib_sources.py")
    return out.getvalue()
