"""The Python the loader runs before Pyodide's own bootstrap, a statement per task.

Pyodide's bootstrap (``import _pyodide_core``) imports ~50 standard-library
modules: left to it, they were one main-thread task of ~150 ms on a warm
visit and ~370 ms on a cold one. The loader runs these statements first,
each in a task of its own (``BUILD.bootstrap.statements``,
``web/runtime.mjs``; through Pyodide's private ``API.rawRun``, which
``tests/unit/test_bootstrap.py`` runs on the pinned runtime): the
zip-import fix (``browser/zipimports.py``), ``site``, then each module,
dependencies first, up to Pyodide's own ``_pyodide_core``. ``asyncio`` is a
package whose ``__init__`` imports its ~29 modules, one task of 40-64 ms;
its modules (and those of ``re`` and ``_pyodide``) are imported one per
task before its ``__init__`` runs (``IN_STEPS``). Any order is correct; only the
length of each task depends on it. No statement leaves a name in
``__main__``, the page's Python globals.

Python itself starts without ``site`` (``ARGS``: ``-S``): its import
(``os`` and what it imports) was ~28 ms of the ~86 ms task that starts
Python. The first statements import those modules and run ``site.main()``,
which does what the start-up would have done (the same ``sys.path``, the
same builtins); only ``sys.flags.no_site`` tells.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from .bootset import boot_modules, boot_sources, top_level_imports

__all__ = ["ARGS", "BOOTSTRAP", "IN_STEPS", "SITE", "before_imports", "bootstrap", "bootstrap_steps", "package_in_steps"]

#: Python's command line in the loader: start without ``site``.
ARGS = ("-S",)
#: What importing ``site`` at start-up imported, a few modules a statement,
#: then ``site`` itself and its ``main()``.
SITE = ("abc", "_collections_abc", "stat", "os")

#: What Pyodide's bootstrap imports, dependencies first: the order in which
#: ``import _pyodide_core`` finished importing each module, recorded under
#: Node (an ``importlib._bootstrap._load_unlocked`` wrapper), without the
#: built-in modules and the modules of a package that imports them itself;
#: then what the rest of its start-up imports, each after what it imports;
#: last, Pyodide's ``_pyodide`` package and ``_pyodide_core``, whose
#: initialisation imports ``_pyodide.jsbind`` itself (imported before, it
#: fails). ``pyodide`` needs the ``pyodide_js`` module that Pyodide's
#: ``finalizeBootstrap`` registers, so it stays there.
#: ``tests/unit/test_bootstrap.py`` fails when a statement imports more
#: than a few modules at once.
BOOTSTRAP = (
    "ast", "linecache", "keyword", "operator", "reprlib", "collections", "types", "functools", "io", "enum", "copyreg",
    "re", "token", "tokenize", "_weakrefset", "weakref", "copy", "textwrap", "typing", "importlib.machinery",
    "importlib._abc", "importlib.abc", "_py_warnings", "warnings", "importlib.util", "json", "__future__", "codeop",
    "annotationlib", "_opcode_metadata", "opcode", "dis", "inspect", "dataclasses", "_colorize", "contextlib",
    "traceback", "concurrent", "string", "threading", "logging", "concurrent.futures", "heapq", "socket", "locale",
    "signal", "selectors", "subprocess", "ntpath", "fnmatch", "glob", "pathlib", "struct", "base64", "ssl",
    "contextvars", "asyncio", "compression", "compression._common._streams", "bz2", "lzma", "compression.zstd",
    "shutil", "zipfile", "bisect", "random", "tempfile", "_pyodide", "_pyodide.docs_argspec", "_pyodide.docstring",
    "_pyodide._core_docs", "_pyodide_core",
)
#: Packages of ``BOOTSTRAP`` imported a module per task, their ``__init__`` last.
IN_STEPS = frozenset({"asyncio", "re", "_pyodide"})


def bootstrap(package: Path, stdlib: bytes) -> dict[str, list[str]]:
    """``BUILD.bootstrap``: Python's ``args`` and the ``statements`` run once it has started."""
    return {"args": list(ARGS), "statements": bootstrap_steps(package, stdlib)}


def bootstrap_steps(package: Path, stdlib: bytes) -> list[str]:
    """The statements, in order: ``package`` is our package's folder, ``stdlib`` the runtime's standard-library zip."""
    sources = boot_sources(stdlib, [module for module in boot_modules() if module.split(".")[0] in IN_STEPS])
    steps = [before_imports(package), *(f"__import__({name!r})" for name in SITE)]
    steps.append(f"exec({'import site; site.main()'!r}, {{}})")
    for name in BOOTSTRAP:
        steps += package_in_steps(name, sources) if name in IN_STEPS else [f"__import__({name!r})"]
    return steps


def before_imports(package: Path) -> str:
    """``browser/zipimports.py`` as one statement, without its docstrings and
    its ``from __future__`` import (which would import ``__future__`` ahead of
    the boot's one-module tasks; Python 3.14 evaluates annotations lazily)."""
    name = "analytics_identity.browser.zipimports"
    tree = ast.parse((package / "browser" / "zipimports.py").read_text())
    tree.body = [node for node in tree.body if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    source = ast.unparse(tree) + "\ninstall()\n"
    return f"exec(compile({source!r}, {name.replace('.', '/') + '.py'!r}, 'exec'), {{'__name__': {name!r}}})"


def package_in_steps(name: str, sources: Mapping[str, str]) -> list[str]:
    """Import package ``name`` a module per statement, its ``__init__`` last.

    The first statement puts the package in ``sys.modules`` unexecuted (its
    spec, its path), so that each of its modules imports without it; the last
    runs its ``__init__``, whose imports are done by then. Should that fail,
    the package and its modules leave ``sys.modules``, and the next import
    of it starts afresh. ``sources``: ``{"pkg/mod.py": source}``, the boot
    set's (a module the page does not import, such as Windows' event loop,
    is left out).
    """
    order: list[str] = []
    started: set[str] = set()

    def visit(module: str, is_package: bool) -> None:
        path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        if module in started or path not in sources:
            return
        started.add(module)
        for imported in top_level_imports(ast.parse(sources[path]).body, module, is_package):
            if imported.startswith(name + "."):
                visit(imported, False)
        if not is_package:
            order.append(module)

    visit(name, True)
    marker = "__analytics_identity_in_steps__"
    # importlib's own bootstrap (loaded with Python), not importlib.util,
    # which imports half a dozen modules of its own.
    start = (f"import _frozen_importlib as bootstrap, sys\n"
             f"if {name!r} not in sys.modules:\n"
             f"    spec = bootstrap._find_spec({name!r}, None)\n"
             f"    module = sys.modules[{name!r}] = bootstrap.module_from_spec(spec)\n"
             f"    setattr(module, {marker!r}, True)\n")
    finish = (f"import sys\n"
              f"module = sys.modules.get({name!r})\n"
              f"if module is not None and module.__dict__.pop({marker!r}, False):\n"
              f"    try:\n"
              f"        module.__spec__.loader.exec_module(module)\n"
              f"    except BaseException:\n"
              f"        for key in [key for key in sys.modules if key == {name!r} or key.startswith({name + '.'!r})]:\n"
              f"            del sys.modules[key]\n"
              f"        raise\n")
    return [f"exec({start!r}, {{}})", *(f"__import__({module!r})" for module in order), f"exec({finish!r}, {{}})"]
