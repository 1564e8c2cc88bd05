"""What the loader's runtime ships of the standard library at boot.

A first visit downloaded the whole standard library (1.85 MB brotli, 559
modules) of which the snippet's page imports about a quarter. The build
ships those modules only (``boot.zip``), listed in ``bootset.txt``: the
modules the page had loaded from the standard library after a workload of
every page call, recorded in Chromium by ``tests/e2e/test_boot_set.py``
(which fails when the list and the page disagree, and rewrites it with
``BOOT_SET=write``). The zip also lists what it leaves out, for
``browser/stdlib.py``, which fetches the whole standard library the first
time a module outside the set is imported. PyScript pages and pages with
their own Pyodide use the runtime's own, whole, standard library. Also
the order in which the loader imports our package (``import_order``).
"""

from __future__ import annotations

import ast
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..browser.stdlib import OUTSIDE

__all__ = ["BOOT_SET", "boot_modules", "boot_sources", "build_boot_stdlib", "import_order", "module_name",
           "top_level_imports", "trim_stdlib"]

#: The checked-in boot set, one module name a line.
BOOT_SET = Path(__file__).with_name("bootset.txt")
_EPOCH = (2020, 1, 1, 0, 0, 0)
#: Compiles ``{"a/b.py": source}`` to ``{"a/b.pyc": bytecode}`` (the build's Pyodide under Node).
Compile = Callable[[dict[str, str]], dict[str, bytes]]


def boot_modules(path: Path = BOOT_SET) -> list[str]:
    """The module names of the boot set (``#`` starts a comment)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def module_name(entry: str) -> str | None:
    """``email/mime/text.pyc`` → ``email.mime.text``, ``email/__init__.pyc`` → ``email``; other files: None."""
    if not entry.endswith((".py", ".pyc")):
        return None
    parts = entry.rsplit(".", 1)[0].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def trim_stdlib(stock: bytes, modules: Iterable[str], compile: Compile) -> bytes:
    """The runtime's standard-library zip ``stock`` (sources) with only ``modules``
    (and their packages), compiled by ``compile`` (``{"a/b.py": source}`` →
    ``{"a/b.pyc": bytecode}``).

    Entries are stored, in the zip's order, with the folders of the packages
    kept; the zip ends with :data:`~analytics_identity.browser.stdlib.OUTSIDE`,
    the names of the modules left out. A name the zip does not hold fails the
    build: a runtime upgrade that moved a module must not ship without it.
    """
    wanted = _with_packages(modules)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(stock)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as trimmed:
        names = {module_name(info.filename): info for info in source.infolist()}
        missing = sorted(wanted - names.keys())
        if missing:
            raise ValueError(f"the boot set names modules the standard library does not hold: {missing}")
        kept_folders = {name.replace(".", "/") + "/" for name in wanted}
        kept = [info for info in source.infolist() if module_name(info.filename) in wanted or info.filename in kept_folders]
        compiled = compile(boot_sources(stock, wanted))
        for info in kept:
            name = info.filename + ("c" if info.filename.endswith(".py") else "")
            entry = zipfile.ZipInfo(name, _EPOCH)
            entry.external_attr = info.external_attr
            trimmed.writestr(entry, compiled.get(name, b"") if name.endswith(".pyc") else source.read(info))
        left_out = sorted(name for name in names if name is not None and name not in wanted)
        listing = zipfile.ZipInfo(OUTSIDE, _EPOCH)
        listing.external_attr = 0o644 << 16
        trimmed.writestr(listing, "\n".join(left_out) + "\n")
    return out.getvalue()


def boot_sources(stock: bytes, modules: Iterable[str]) -> dict[str, str]:
    """The sources of ``modules`` and their packages in the standard-library zip ``stock``."""
    wanted = _with_packages(modules)
    with zipfile.ZipFile(io.BytesIO(stock)) as source:
        return {info.filename: source.read(info).decode() for info in source.infolist()
                if info.filename.endswith(".py") and module_name(info.filename) in wanted}


def _with_packages(modules: Iterable[str]) -> set[str]:
    wanted = set(modules)
    for name in list(wanted):
        parts = name.split(".")
        wanted.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return wanted


def build_boot_stdlib(out_dir: Path, stock: bytes, compile: Compile, compiler: bytes, cache: Path) -> Path:
    """Write the boot set's zip, from the standard-library zip ``stock`` (sources), under ``out_dir/<hash>/``; returns its path.

    Kept in ``cache`` by the hash of its inputs: the zip, the list, this
    module and ``compiler`` (the compiler's own sources).
    """
    inputs = stock + BOOT_SET.read_bytes() + Path(__file__).read_bytes() + compiler
    cached = cache / f"boot-stdlib-{hashlib.sha256(inputs).hexdigest()}.zip"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cached.with_suffix(".partial").write_bytes(trim_stdlib(stock, boot_modules(), compile))
        cached.with_suffix(".partial").replace(cached)
    data = cached.read_bytes()
    target = out_dir / hashlib.sha256(data).hexdigest()[:16] / "boot_stdlib.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    return target


def import_order(package: Path, root: str) -> list[str]:
    """The package's modules that importing ``root`` runs, dependencies first.

    Read from each module's top-level imports (not those under ``if
    TYPE_CHECKING:`` or inside functions), packages before what they hold.
    The loader imports them one per task before ``root``: imported whole, the
    core was one main-thread task of 450-900 ms with the CPU slowed down 4×
    (as Lighthouse does for a phone). Any order is correct; only the length of
    each task depends on it. Importing a module runs its package's
    ``__init__`` first, so what a package's ``__init__`` imports of its own
    modules comes after the package (it ran in the package's task), and what
    those modules import from elsewhere comes before it: listed before, one of
    them made its package, with all it imports, one task (15 modules of 70).
    """
    name = package.name
    order: list[str] = []
    # Modules reached while their package's __init__ was being read: listed
    # right after that package, which imports them.
    after: dict[str, list[str]] = {}
    reading: list[str] = []  # the packages whose __init__ is being read, outermost first

    def path_of(module: str) -> Path | None:
        base = package.joinpath(*module.split(".")[1:])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        return None

    started: set[str] = set()

    def visit(module: str) -> None:
        path = path_of(module)
        if module in started or path is None:
            return  # done, under way (a package importing its own modules), or not a module
        started.add(module)
        parts = module.split(".")
        for i in range(1, len(parts)):
            visit(".".join(parts[:i]))  # a package runs before its modules
        package_init = path.name == "__init__.py"
        if package_init:
            reading.append(module)
        for imported in top_level_imports(ast.parse(path.read_text()).body, module, package_init):
            if imported == name or imported.startswith(name + "."):
                visit(imported)
        if package_init:
            reading.pop()
        importer = next((p for p in reading if module.startswith(p + ".")), None)
        if importer is not None:
            after.setdefault(importer, []).append(module)
            return
        order.append(module)
        order.extend(after.pop(module, []))

    visit(root)
    return order


def top_level_imports(body: list[ast.stmt], module: str, is_package: bool) -> Iterator[str]:
    """The modules a module's ``body`` imports when it runs (not under ``if TYPE_CHECKING:``, not in functions)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            target = ".".join(part for part in (base, node.module or "") if part)
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)  # submodules; names that are not: skipped
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            yield from top_level_imports(node.body + node.orelse, module, is_package)
        elif isinstance(node, ast.Try):
            yield from top_level_imports(node.body, module, is_package)
