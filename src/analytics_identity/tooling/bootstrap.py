"""The Python the loader runs before Pyodide's own bootstrap, a statement per task.

Pyodide's bootstrap (``import _pyodide_core``, then its ``pyodide`` package)
imports ~70 standard-library modules: left to it, they were one main-thread task of ~150 ms on a warm
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

__all__ = ["ARGS", "BOOTSTRAP", "BOOTSTRAP_FILE", "IN_STEPS", "RECORDER", "SITE", "before_imports", "bootstrap",
           "bootstrap_steps", "first_steps", "package_in_steps", "recorded"]

#: Python's command line in the loader: start without ``site``.
ARGS = ("-S",)
#: What importing ``site`` at start-up imported, a few modules a statement,
#: then ``site`` itself and its ``main()``.
SITE = ("abc", "_collections_abc", "stat", "os")

#: What Pyodide's bootstrap imports, in the order its imports finished:
#: ``bootstrap.txt``, recorded under Node (``RECORDER``, ``recorded``) by
#: ``tests/unit/test_bootstrap.py``, which fails when the runtime imports
#: another list and rewrites it with ``BOOTSTRAP=write``.
BOOTSTRAP_FILE = Path(__file__).with_name("bootstrap.txt")
BOOTSTRAP = tuple(line for line in BOOTSTRAP_FILE.read_text().splitlines() if line and not line.startswith("#"))
#: Run once Python has started and before Pyodide's bootstrap: notes each
#: import that succeeded as it finished, with the imports under way when it
#: began.
RECORDER = """
import sys, _frozen_importlib as bootstrap
loads, under_way, load = [], [], bootstrap._load_unlocked
def recording(spec):
    started = list(under_way)
    under_way.append(spec.name)
    try:
        module = load(spec)
    finally:
        under_way.pop()
    loads.append((spec.name, started))
    return module
bootstrap._load_unlocked = recording
sys._analytics_identity_loads = loads
"""
#: Packages of ``BOOTSTRAP`` imported a module per task, their ``__init__`` last.
IN_STEPS = frozenset({"asyncio", "re", "_pyodide"})


def recorded(loads: list[tuple[str, list[str]]], built_in: set[str], sources: Mapping[str, str]) -> list[str]:
    """``BOOTSTRAP`` from what ``RECORDER`` noted: ``loads`` as ``(module,
    imports under way when it began)``, ``built_in`` the runtime's built-in
    modules, ``sources`` those of Pyodide's ``_pyodide`` package.

    In the order the imports finished, a module comes after what it
    imports. Left out: built-in modules; ``pyodide``, which needs the
    ``pyodide_js`` module that Pyodide's ``finalizeBootstrap`` registers; a
    module its own package's import brought (imported with the package, or
    a module a statement for ``IN_STEPS``); and a module that imports
    ``_pyodide_core``, whose initialisation imports it (imported before, it
    fails). ``_pyodide_core`` itself comes last.
    """
    order = []
    for module, started in loads:
        if module in built_in or module.split(".")[0] in ("pyodide", "pyodide_js") or module in order:
            continue
        if any(module.startswith(parent + ".") for parent in started):
            continue
        path = module.replace(".", "/")
        is_package = path + "/__init__.py" in sources
        source = sources.get(path + "/__init__.py" if is_package else path + ".py")
        if source and "_pyodide_core" in top_level_imports(ast.parse(source).body, module, is_package):
            continue
        order.append(module)
    return [*order, "_pyodide_core"]


def bootstrap(package: Path, stdlib: bytes) -> dict[str, list[str]]:
    """``BUILD.bootstrap``: Python's ``args`` and the ``statements`` run once it has started."""
    return {"args": list(ARGS), "statements": bootstrap_steps(package, stdlib)}


def bootstrap_steps(package: Path, stdlib: bytes) -> list[str]:
    """The statements, in order: ``package`` is our package's folder, ``stdlib`` the runtime's standard-library zip."""
    sources = boot_sources(stdlib, [module for module in boot_modules() if module.split(".")[0] in IN_STEPS])
    steps = first_steps(package)
    for name in BOOTSTRAP:
        steps += package_in_steps(name, sources) if name in IN_STEPS else [f"__import__({name!r})"]
    return steps


def first_steps(package: Path) -> list[str]:
    """What runs before the bootstrap's imports: the zip-import fix, then ``site``."""
    return [before_imports(package), *(f"__import__({name!r})" for name in SITE),
            f"exec({'import site; site.main()'!r}, {{}})"]


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
