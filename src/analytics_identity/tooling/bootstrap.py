"""The Python the loader runs before Pyodide's own bootstrap, a step per task.

Pyodide's bootstrap (``import _pyodide_core``, then its ``pyodide`` package)
imports ~70 standard-library modules: left to it, they were one main-thread
task of ~150 ms on a warm visit and ~370 ms on a cold one. The loader takes
these steps first, each in a task of its own: the zip-import fix
(``browser/zipimports.py``), ``site``, then each module, dependencies first,
up to Pyodide's own ``_pyodide_core``. ``asyncio`` is a package whose
``__init__`` imports its ~29 modules, one task of 40-64 ms; its modules (and
those of ``re`` and ``_pyodide``) are imported one per step before its
``__init__`` runs (``IN_STEPS``). Any order is correct; only the length of
each task depends on it. No step leaves a name in ``__main__``, the page's
Python globals.

The steps are a module of the loader's standard library (:data:`MODULE`,
:func:`boot_module`), compiled to bytecode by the build with the rest of
it: ``web/runtime.mjs`` imports it and takes a step of its generator
``steps`` a task through CPython's C API (``PyImport_ImportModule``,
``PyIter_Next``), so nothing is compiled. Run as statements through
Pyodide's ``API.rawRun`` (``PyRun_SimpleString``), each was compiled first,
and a first visit's wasm compiled Python's parser and compiler on their
first call: ~60 ms more of the boot (``docs/loading.md``, step 37).
``tests/unit/test_bootstrap.py`` takes the steps on the pinned runtime.

Python itself starts without ``site`` (``ARGS``: ``-S``): its import
(``os`` and what it imports) was ~28 ms of the ~86 ms task that starts
Python. The first steps import those modules and run ``site.main()``,
which does what the start-up would have done (the same ``sys.path``, the
same builtins); only ``sys.flags.no_site`` tells.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from .bootset import boot_modules, boot_sources, top_level_imports

__all__ = ["ARGS", "BOOTSTRAP", "BOOTSTRAP_FILE", "IN_STEPS", "MODULE", "RECORDER", "SETTINGS", "SITE", "boot_module",
           "bootstrap_steps", "first_steps", "package_in_steps", "recorded"]

#: The boot's steps' module in the loader's standard library.
MODULE = "_analytics_identity_boot"
#: The zip-import fix the first step installs (run in the browser, it ships in the module).
_ZIPIMPORTS = Path(__file__).parents[1] / "browser" / "zipimports.py"

#: Python's command line in the loader: start without ``site``.
ARGS = ("-S",)
#: ``BUILD.bootstrap``: Python's ``args`` and the module of the steps taken once it has started.
SETTINGS = {"args": list(ARGS), "module": MODULE}
#: What importing ``site`` at start-up imported, a few modules a step,
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
    a module a step for ``IN_STEPS``); and a module that imports
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


def bootstrap_steps(stdlib: bytes) -> list[tuple[str, str]]:
    """The steps, in order, as ``(action, module)`` (:data:`_RUNNER`'s actions): ``stdlib`` is the runtime's
    standard-library zip."""
    sources = boot_sources(stdlib, [module for module in boot_modules() if module.split(".")[0] in IN_STEPS])
    steps = first_steps()
    for name in BOOTSTRAP:
        steps += package_in_steps(name, sources) if name in IN_STEPS else [("import", name)]
    return steps


def first_steps() -> list[tuple[str, str]]:
    """What runs before the bootstrap's imports: the zip-import fix, then ``site``."""
    return [("zipimports", ""), *(("import", name) for name in SITE), ("site", "")]


def package_in_steps(name: str, sources: Mapping[str, str]) -> list[tuple[str, str]]:
    """Import package ``name`` a module per step, its ``__init__`` last.

    The first step puts the package in ``sys.modules`` unexecuted (its
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
    return [("start", name), *(("import", module) for module in order), ("finish", name)]


def _zip_fix() -> str:
    """``browser/zipimports.py`` without its docstring and its ``from __future__`` import (which would import
    ``__future__`` ahead of the boot's one-module steps; Python 3.14 evaluates annotations lazily)."""
    tree = ast.parse(_ZIPIMPORTS.read_text())
    body = tree.body[1:] if ast.get_docstring(tree) is not None else tree.body
    tree.body = [node for node in body if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    return ast.unparse(tree)


_RUNNER = '''

# The boot's steps: web/runtime.mjs takes one a task (PyIter_Next on ``steps``).
import _frozen_importlib as _bootstrap
import sys

_IN_STEPS = "__analytics_identity_in_steps__"
#: The steps that raised, ``(action, module, error)``.
failed = []


def _start(name):
    """Put package ``name`` in ``sys.modules`` unexecuted, so that its modules import one a step without it."""
    if name not in sys.modules:
        # importlib's own bootstrap (loaded with Python), not importlib.util, which imports half a dozen modules.
        module = sys.modules[name] = _bootstrap.module_from_spec(_bootstrap._find_spec(name, None))
        setattr(module, _IN_STEPS, True)


def _finish(name):
    """Run package ``name``'s ``__init__``; should it fail, the package and its modules leave ``sys.modules``."""
    module = sys.modules.get(name)
    if module is not None and module.__dict__.pop(_IN_STEPS, False):
        try:
            module.__spec__.loader.exec_module(module)
        except BaseException:
            for key in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
                del sys.modules[key]
            raise


def _site(_):
    import site

    site.main()


def _taken(steps):
    actions = {"zipimports": lambda _: install(), "import": __import__, "site": _site, "start": _start,
               "finish": _finish}
    for action, name in steps:
        try:
            actions[action](name)
        except Exception as error:  # Pyodide's own bootstrap imports it again, and fails saying why
            failed.append((action, name, repr(error)))
        yield


steps = _taken(__STEPS__)
'''


def boot_module(steps: list[tuple[str, str]]) -> str:
    """The source of :data:`MODULE`: the zip-import fix, then ``steps`` (:func:`bootstrap_steps`) as a generator
    that takes one each time it is asked for the next."""
    header = ('"""The Python the loader runs before the bootstrap of Pyodide, a step per task: made by\n'
              'analytics_identity/tooling/bootstrap.py from browser/zipimports.py and the steps of the boot.\n"""\n')
    return header + _zip_fix() + "\n" + _RUNNER.replace("__STEPS__", repr(steps))
