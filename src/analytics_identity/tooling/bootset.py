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
their own Pyodide use the runtime's own, whole, standard library.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ..browser.stdlib import OUTSIDE

__all__ = ["BOOT_SET", "boot_modules", "build_boot_stdlib", "module_name", "trim_stdlib"]

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
    wanted = set(modules)
    for name in list(wanted):
        parts = name.split(".")
        wanted.update(".".join(parts[:i]) for i in range(1, len(parts)))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(stock)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as trimmed:
        names = {module_name(info.filename): info for info in source.infolist()}
        missing = sorted(wanted - names.keys())
        if missing:
            raise ValueError(f"the boot set names modules the standard library does not hold: {missing}")
        kept_folders = {name.replace(".", "/") + "/" for name in wanted}
        kept = [info for info in source.infolist() if module_name(info.filename) in wanted or info.filename in kept_folders]
        compiled = compile({info.filename: source.read(info).decode() for info in kept if info.filename.endswith(".py")})
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


def build_boot_stdlib(out_dir: Path, stock: Path, compile: Compile, compiler: bytes, cache: Path) -> Path:
    """Write the boot set's zip, from the runtime's ``stock`` zip, under ``out_dir/<hash>/``; returns its path.

    Kept in ``cache`` by the hash of its inputs: the zip, the list, this
    module and ``compiler`` (the compiler's own sources).
    """
    inputs = stock.read_bytes() + BOOT_SET.read_bytes() + Path(__file__).read_bytes() + compiler
    cached = cache / f"boot-stdlib-{hashlib.sha256(inputs).hexdigest()}.zip"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cached.with_suffix(".partial").write_bytes(trim_stdlib(stock.read_bytes(), boot_modules(), compile))
        cached.with_suffix(".partial").replace(cached)
    data = cached.read_bytes()
    target = out_dir / hashlib.sha256(data).hexdigest()[:16] / "boot_stdlib.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    return target
