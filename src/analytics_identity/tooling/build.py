"""``analytics-identity build DIR``: the self-contained static folder.

DIR holds everything a page needs and nothing from another origin: the
snippet, the loader, the Pyodide runtime (from node_modules in a checkout,
from the package in an installed wheel: :mod:`.runtime`; with a
lock file whose micropip hash matches the wheel we ship), our browser wheel
(the core only, as bytecode: no server, no build or command-line code) and micropip,
the same core as sources in ``python/`` for pages that load their own Pyodide,
the TypeScript declarations of the page API, and PyScript (``pyscript-<version>/``)
with a ``pyscript.json`` config for pages written in Python, and ``LICENSES/``
(see :mod:`.licences`). Large files get ``.gz`` and ``.br`` twins so servers
can send them precompressed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

from ..version import __version__
from .boot_code import boot_code
from .bootset import build_boot_stdlib, import_order
from .bootstrap import SETTINGS, boot_module, bootstrap_steps
from .loader_runtime import write_loader_runtime
from .onefile import bundle
from .page_api import render
from .runtime import bytecode_for, locate, project_root
from .stdlib_sources import loader_stdlib
from .vendored import PYODIDE_VERSION, copy_pyscript, copy_scripts

__all__ = ["CPYTHON_ONLY", "browser_sources", "build_static", "build_stdlib", "build_wheel", "compile_bytecode",
           "loader_python", "project_root", "ships"]

#: Folders and modules (relative to the package) that run only in CPython and
#: are never shipped to the browser.
CPYTHON_ONLY = frozenset({"server", "tooling", "__main__.py", "cpython.py", "delivery/urllib_transport.py"})
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
COMPRESS_SUFFIXES = (".mjs", ".js", ".wasm", ".zip", ".json", ".whl")
_EPOCH = (2020, 1, 1, 0, 0, 0)
def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def compile_bytecode(sources: dict[str, str], pyodide_dir: Path, *, lines: bool = True) -> dict[str, bytes]:
    """``{"pkg/mod.py": source}`` as ``{"pkg/mod.pyc": bytecode}``, compiled by Pyodide's own CPython.

    Pyodide's standard library ships no bytecode, so a wheel of sources is
    compiled on every page visit (~55 ms of start-up for ours). The wheel
    holds sourceless ``.pyc`` instead, without docstrings and column tables
    (``optimize=2``, ``PYTHONNODEBUGRANGES``). Without ``lines``, each
    function's instructions all map to its first line (tracebacks name the
    function and where it starts): the line tables are a seventh of the
    standard library the loader ships at boot (~85 KB brotli) and of our
    wheel (12 KB). In a checkout ``bytecode.mjs``
    runs the runtime under Node, which ``make deps`` installs; an installed
    wheel has the bytecode ``make dist`` compiled so (:mod:`.runtime`).
    """
    return bytecode_for(sources, pyodide_dir, lines=lines)


def ships(relative: Path) -> bool:
    """Whether a module of the package (a path relative to it) goes into the browser wheel."""
    return relative.parts[0] not in CPYTHON_ONLY and relative.as_posix() not in CPYTHON_ONLY


def build_stdlib(out_dir: Path, stock: bytes, pyodide_dir: Path, cache: Path) -> Path:
    """The loader's standard library ``stock`` (sources, from :func:`.loader_stdlib`) as bytecode; returns its path.

    The npm zip holds sources only and the runtime writes no bytecode, so
    each boot compiled the ~145 modules it imports (75-85 % of a warm boot).
    Compiled like the wheel (Pyodide's own CPython, ``optimize=2``, no column
    tables), sourceless. Entries are *stored*: zipimport then reads each
    module without inflating it, and one brotli stream over the whole zip
    compresses better than per-file deflate (8.6 MB raw, 1.85 MB brotli,
    2.57 MB gzip; the npm zip is 2.55 MB and compresses no further), so a
    server must send the ``.br``/``.gz`` twins, as for the wasm. Compiling
    takes a few seconds; the result is kept in ``cache`` by the hash of its
    inputs.
    """
    inputs = stock + Path(__file__).read_bytes() + Path(__file__).with_name("bytecode.mjs").read_bytes()
    cached = cache / f"stdlib-{hashlib.sha256(inputs).hexdigest()}.zip"
    if not cached.exists():
        with zipfile.ZipFile(io.BytesIO(stock)) as source:
            entries = [(info, source.read(info)) for info in source.infolist()]
        compiled = compile_bytecode({i.filename: data.decode() for i, data in entries if i.filename.endswith(".py")},
                                    pyodide_dir)
        cache.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
            for original, data in entries:
                name = original.filename + ("c" if original.filename.endswith(".py") else "")
                info = zipfile.ZipInfo(name, _EPOCH)
                info.external_attr = original.external_attr
                archive.writestr(info, compiled.get(name, data))
        partial.replace(cached)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = cached.read_bytes()
    target = out_dir / hashlib.sha256(data).hexdigest()[:16] / "python_stdlib.zip"
    target.parent.mkdir()
    target.write_bytes(data)
    return target


def browser_sources() -> dict[str, str]:
    """The modules of the browser wheel, ``{"analytics_identity/…py": source}``."""
    package = Path(__file__).resolve().parents[1]
    return {f"analytics_identity/{path.relative_to(package).as_posix()}": path.read_text()
            for path in sorted(package.rglob("*.py")) if ships(path.relative_to(package))}


def build_wheel(out_dir: Path, pyodide_dir: Path | None) -> Path:
    """Write the browser wheel of the core; reproducible byte for byte.

    With ``pyodide_dir`` it holds bytecode compiled by that runtime (what the
    loader and PyScript pages use); without, the sources, which any Pyodide
    from 0.27 on (Python 3.12 and later) installs with micropip.
    """
    sources = browser_sources()
    # Each function's instructions mapped to its first line, as in the boot
    # set: the core reports its failures as warnings, never as tracebacks, and
    # the line tables were 12 KB of the wheel's 103 KB brotli.
    files = (compile_bytecode(sources, pyodide_dir, lines=False) if pyodide_dir
             else {n: s.encode() for n, s in sources.items()})
    dist_info = f"analytics_identity-{__version__}.dist-info"
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: analytics-identity\nVersion: {__version__}\n"
        "Summary: Analytics.js-compatible visitor identity, in Python on Pyodide\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: analytics-identity build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"analytics_identity-{__version__}-py3-none-any.whl"
    # Stored, not deflated: the server sends the wheel precompressed (its .br
    # and .gz twins), and one stream over all modules shares what they have in
    # common, where deflate starts afresh for each file. Measured on this
    # wheel: 144 KB deflated, 82 KB stored then brotli (105 KB gzip); and
    # zipimport has nothing to inflate.
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return wheel


def loader_python(pyodide_dir: Path, wheel: Path, cache: Path) -> tuple[bytes, dict[str, object], list[str], bytes]:
    """What the loader runs of Python, from the runtime in ``pyodide_dir`` and our ``wheel`` (bytecode).

    Its standard library (npm's, patched: :mod:`.stdlib_sources`), its
    bootstrap settings (:mod:`.bootstrap`), the core's modules in the order
    it imports them, and the table of the code the boot generates
    (:mod:`.boot_code`), which the standard library holds and which is
    recorded by starting it all once, with an empty table. ``cache`` keeps
    the recording.
    """
    package = Path(__file__).parents[1]
    stock = (pyodide_dir / "python_stdlib.zip").read_bytes()
    boot = boot_module(bootstrap_steps(stock))
    recording = loader_stdlib(stock, boot)
    modules = import_order(package, "analytics_identity.browser.install")
    code = boot_code(pyodide_dir, recording, SETTINGS, modules, wheel, cache)
    return loader_stdlib(stock, boot, code), SETTINGS, modules, code


def without_comment_lines(source: str) -> str:
    """A module without its whole-line ``//`` comments and blank lines: they
    say why in ``web/``, and every visitor's first visit downloaded them
    (~30 % of the loader, brotli). Comments after code stay: telling them
    from a ``//`` inside a string needs a parser, and they are few."""
    return "\n".join(line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("//")) + "\n"


def minify_snippet(source: str) -> str:
    """The snippet without comments and indentation (it stays readable enough
    to audit when inlined). Block comments are the only kind it uses."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return "\n".join(line.strip() for line in source.splitlines() if line.strip()) + "\n"


def _patched_lock(lock_path: Path, micropip: Path) -> str:
    """Pyodide's lock file with micropip's hash set to the wheel we ship."""
    lock = json.loads(lock_path.read_text())
    entry = lock["packages"]["micropip"]
    entry["file_name"] = micropip.name
    entry["sha256"] = hashlib.sha256(micropip.read_bytes()).hexdigest()
    return json.dumps(lock, separators=(",", ":"))


def _precompress(folder: Path, cache: Path) -> None:
    """Write ``.gz``/``.br`` twins where they save at least a tenth.

    Compressing the runtime at the highest levels takes half a minute, so the
    results are kept in ``cache`` by content hash and reused across builds.
    """
    import brotli

    codecs = {
        ".gz": lambda data: gzip.compress(data, 9, mtime=0),
        ".br": lambda data: brotli.compress(data, quality=11),
    }
    cache.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.rglob("*")):
        if not (path.is_file() and path.suffix in COMPRESS_SUFFIXES and path.stat().st_size > 1024):
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        for suffix, compress in codecs.items():
            cached = cache / (digest + suffix)
            if not cached.exists():
                packed = compress(data)
                cached.write_bytes(packed if len(packed) < 0.9 * len(data) else b"")
            packed = cached.read_bytes()
            if packed:
                path.with_name(path.name + suffix).write_bytes(packed)


def build_static(out: Path, root: Path | None = None, *, compress: bool = True,
                 url_path: str = "/static/analytics/") -> Path:
    """Write the static folder of the contract into ``out`` and return it.

    ``url_path`` is where the folder will be served (the contract's path by
    default); only the PyScript config needs it.

    Versioned runtime files go under ``pyodide-<version>/`` and the wheel
    under ``wheels/<content hash>/`` so servers may cache them forever;
    ``snippet.js`` and ``loader.mjs`` keep stable names.
    """
    runtime_files = locate(root)
    node_pyodide, micropip, web = runtime_files.pyodide, runtime_files.micropip, runtime_files.web
    if out.exists():
        shutil.rmtree(out)
    runtime = out / f"pyodide-{PYODIDE_VERSION}"
    runtime.mkdir(parents=True)
    copy_scripts(node_pyodide, runtime)
    for name in ("pyodide.asm.wasm", "python_stdlib.zip"):  # the lock is written below, patched
        shutil.copyfile(node_pyodide / name, runtime / name)
    shutil.copyfile(micropip, runtime / micropip.name)
    (runtime / "pyodide-lock.json").write_text(_patched_lock(node_pyodide / "pyodide-lock.json", micropip))
    worker = without_comment_lines(bundle(web / "snapshot-worker.mjs"))
    loader_runtime = write_loader_runtime(runtime, node_pyodide / "pyodide.asm.wasm", web, worker)
    wasm_path = (loader_runtime / "pyodide.asm.wasm").relative_to(out).as_posix()
    # Names the loader's JavaScript as patched: a snapshot is restored only by the runtime that made it.
    runtime_digest = hashlib.sha256((runtime / "pyodide.mjs").read_bytes()
                                    + (loader_runtime / "pyodide.asm.mjs").read_bytes())
    staging = out / "wheels"
    wheel = build_wheel(staging, node_pyodide)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()[:16]
    (staging / digest).mkdir()
    wheel = wheel.rename(staging / digest / wheel.name)
    wheel_path = wheel.relative_to(out).as_posix()
    stdlib_zip, bootstrap_settings, modules, _ = loader_python(node_pyodide, wheel, out.parent / ".bytecode-cache")
    stdlib_path = build_stdlib(out / "stdlib", stdlib_zip, node_pyodide,
                               out.parent / ".bytecode-cache").relative_to(out).as_posix()
    compiler = b"".join(Path(__file__).with_name(name).read_bytes() for name in ("build.py", "runtime.py", "bytecode.mjs"))
    boot_stdlib_path = build_boot_stdlib(
        out / "stdlib", stdlib_zip,
        lambda sources: compile_bytecode(sources, node_pyodide, lines=False), compiler, out.parent / ".bytecode-cache",
    ).relative_to(out).as_posix()
    # For pages that run their own Pyodide (docs/python.md): a stable URL per version.
    pure_wheel_path = build_wheel(out / "python", None).relative_to(out).as_posix()
    snippet = render((web / "snippet.js").read_text(), "__SNIPPET_TABLE__")
    (out / "snippet.js").write_text(minify_snippet(snippet))
    shutil.copyfile(web / "analytics.d.ts", out / "analytics.d.ts")
    lock_info = json.loads((node_pyodide / "pyodide-lock.json").read_text())["info"]
    loader = bundle(web / "loader.mjs")
    loader = (loader.replace("__WHEEL__", wheel_path).replace("__RUNTIME__", runtime.name + "/")
              .replace("__LOADER_RUNTIME__", loader_runtime.name + "/")
              .replace("__RUNTIME_DIGEST__", runtime_digest.hexdigest()[:16])
              .replace("__BOOT_STDLIB__", boot_stdlib_path).replace("__STDLIB__", stdlib_path)
              .replace('"__LOCK_INFO__"', json.dumps(lock_info)).replace('"__CORE_MODULES__"', json.dumps(modules))
              .replace('"__BOOTSTRAP__"', json.dumps(bootstrap_settings)))
    loader = render(loader, "__METHOD_KINDS__")
    (out / "loader.mjs").write_text(without_comment_lines(loader))
    copy_pyscript(runtime_files.pyscript, out)
    # PyScript resolves `interpreter` against the page and a "./" package
    # against this file, so the interpreter names the folder's URL path.
    (out / "pyscript.json").write_text(json.dumps({
        "interpreter": f"{url_path}{runtime.name}/pyodide.mjs",
        "packages": [f"./{wheel_path}"],
    }, indent=2) + "\n")
    (out / "build.json").write_text(json.dumps({"version": __version__, "wheel": wheel_path, "pureWheel": pure_wheel_path,
                                                "runtime": runtime.name, "wasm": wasm_path, "stdlib": stdlib_path,
                                                "bootStdlib": boot_stdlib_path}))
    runtime_files.write_licences(out)
    if compress:
        _precompress(out, out.parent / ".compress-cache")
    return out
