"""The loader's copy of Pyodide's wasm and ``pyodide.asm.mjs``: exporting only what JavaScript uses.

(Their folder also holds the snapshot worker's script, for its versioned path: ``write_loader_runtime``.)

Pyodide's wasm exports ~7,400 functions so that the C extensions of packages
(side modules) can link against CPython. The loader installs no package,
and every export costs at every start: instantiating the module makes a
JavaScript function for each (under Node, ~22 ms with them all, ~9 ms
without), and Emscripten's linking then walks them all (the symbol table
side modules resolve against, the pointer conversions, the bench's own
probe). This wasm keeps the functions that the runtime's JavaScript names
anywhere but in Emscripten's list of exports (where each is merely copied
onto the module), that the module imports through its own global offset
table (``GOT.func``) or that the loader's sources name; the globals they
name (Emscripten's list reads each listed one's value); the table and the
memory. The code, the function table and the memory's layout are byte for
byte npm's, so a snapshot fits either.

Emscripten's list of exports and the function that copies them onto the
module were 476 KB of ``pyodide.asm.mjs``'s 1,251 KB; the loader's copy of
that script (as the build patched it) lists only the exports its wasm keeps,
so it is smaller to download, to compile and to keep compiled.

Both go to ``pyodide-<version>-loader-<hash>/``; PyScript pages keep npm's
wasm and the whole script in ``pyodide-<version>/``. Pattern checks fail the
build if Emscripten's list is not where it was. What it bought:
``docs/loading.md``, steps 30 and 33.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["exported_functions", "kept_exports", "lean_script", "lean_wasm", "write_loader_runtime"]

_EXPORT_SECTION = 7
_IMPORT_SECTION = 2
_FUNCTION = 0
_GLOBAL = 3
#: Emscripten's list of the exports it copies onto the module (``var _a,_b,…;``) and the function that copies them.
_EXPORT_LIST = re.compile(r"var _[\w$]+(?:,[\w$]+)*;function assignWasmExports\(wasmExports\)\{.*?\}", re.S)
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
#: The export a statement of Emscripten's list copies.
_SOURCE = re.compile(r'wasmExports\["([\w$]+)"\]')


def _leb(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _encoded(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _name(data: bytes, at: int) -> tuple[str, int]:
    length, at = _leb(data, at)
    return data[at:at + length].decode(), at + length


def _sections(wasm: bytes) -> Iterator[tuple[int, int, int, int]]:
    """``(id, start of the section, start of its body, end)`` for each section."""
    at = 8
    while at < len(wasm):
        size, body = _leb(wasm, at + 1)
        yield wasm[at], at, body, body + size
        at = body + size


def _exports(wasm: bytes) -> list[tuple[str, int, int]]:
    """``(name, kind, index)`` of each export, in order."""
    for section, _, body, _ in _sections(wasm):
        if section == _EXPORT_SECTION:
            count, at = _leb(wasm, body)
            found = []
            for _ in range(count):
                name, at = _name(wasm, at)
                index, after = _leb(wasm, at + 1)
                found.append((name, wasm[at], index))
                at = after
            return found
    return []


def _got_functions(wasm: bytes) -> set[str]:
    """The functions the module imports through its global offset table (``GOT.func`` globals)."""
    for section, _, body, _ in _sections(wasm):
        if section == _IMPORT_SECTION:
            count, at = _leb(wasm, body)
            names = set()
            for _ in range(count):
                module, at = _name(wasm, at)
                name, at = _name(wasm, at)
                kind, at = wasm[at], at + 1
                if kind == 0:  # a function: its type
                    _, at = _leb(wasm, at)
                elif kind in (1, 2):  # a table (its element type first) or a memory: limits
                    at += kind == 1
                    flags, at = _leb(wasm, at)
                    _, at = _leb(wasm, at)
                    if flags & 1:
                        _, at = _leb(wasm, at)
                elif kind == 3:  # a global: value type, mutability
                    at += 2
                    if module == "GOT.func":
                        names.add(name)
                else:
                    raise ValueError(f"the wasm imports {module}.{name} as kind {kind}: review tooling/loader_runtime.py")
            return names
    return set()


def exported_functions(wasm: bytes) -> set[str]:
    """The names of the functions ``wasm`` exports."""
    return {name for name, kind, _ in _exports(wasm) if kind == _FUNCTION}


def _export_list(script: str) -> re.Match[str]:
    """Emscripten's export list in ``script``, found once, or the build fails."""
    found = list(_EXPORT_LIST.finditer(script))
    if len(found) != 1:
        raise ValueError("Emscripten's export list is not where it was: review tooling/loader_runtime.py")
    return found[0]


def kept_exports(wasm: bytes, runtime_scripts: Iterable[str], loader_sources: Iterable[str]) -> set[str]:
    """The exports the loader's wasm keeps: functions named by Pyodide's scripts (``runtime_scripts``) outside
    Emscripten's export list, imported through the GOT or named by the loader's own ``loader_sources``; globals named
    anywhere in them (Emscripten's list reads each listed one's value); the table and the memory."""
    scripts, lists = [], []
    for script in runtime_scripts:
        if "function assignWasmExports(" not in script:  # pyodide.mjs
            scripts.append(script)
            continue
        found = _export_list(script)
        scripts.append(script[:found.start()] + script[found.end():])
        lists.append(found.group())
    sources = list(loader_sources)

    def named(texts: list[str]) -> set[str]:
        words = {word for text in texts for word in _NAME.findall(text)}
        return words | {word.removeprefix("_") for word in words}

    calls = named(scripts + sources) | _got_functions(wasm)
    listed = calls | named(lists)
    return {name for name, kind, _ in _exports(wasm)
            if (name in calls if kind == _FUNCTION else name in listed if kind == _GLOBAL else True)}


def lean_wasm(wasm: bytes, keep: set[str]) -> bytes:
    """``wasm`` with only the exports named in ``keep`` (every other section as is)."""
    out = bytearray(wasm[:8])
    for section, start, _, end in _sections(wasm):
        if section != _EXPORT_SECTION:
            out += wasm[start:end]
            continue
        kept = [(name, kind, index) for name, kind, index in _exports(wasm) if name in keep]
        body = bytearray(_encoded(len(kept)))
        for name, kind, index in kept:
            encoded = name.encode()
            body += _encoded(len(encoded)) + encoded + bytes([kind]) + _encoded(index)
        out += bytes([_EXPORT_SECTION]) + _encoded(len(body)) + body
    return bytes(out)


def lean_script(script: str, wasm: bytes, keep: set[str]) -> str:
    """``pyodide.asm.mjs`` (``script``) whose export list names only the exports of ``wasm`` in ``keep``."""
    match = _export_list(script)
    dropped = {name for name, _, _ in _exports(wasm)} - keep
    declared, copying = match.group().split(";function assignWasmExports(wasmExports){", 1)
    statements = copying.removesuffix("}").split(";")
    kept, gone = [], set()
    for statement in statements:
        source = _SOURCE.search(statement)
        if source and source.group(1) in dropped:
            gone.add(statement.split("=", 1)[0])
        else:
            kept.append(statement)
    names = [name for name in declared.removeprefix("var ").split(",") if name not in gone]
    rewritten = f"var {','.join(names)};function assignWasmExports(wasmExports){{{';'.join(kept)}}}"
    return script[:match.start()] + rewritten + script[match.end():]


def write_loader_runtime(runtime: Path, npm_wasm: Path, web: Path, worker: str) -> Path:
    """Write the loader's wasm (made from ``npm_wasm``) and ``pyodide.asm.mjs`` (from the runtime folder
    ``runtime``'s, as the build patched it), for the loader's sources in ``web``, and the snapshot worker's
    script as built (``worker``), to ``<runtime>-loader-<hash>/``; returns the folder.

    The worker is there so that its path, too, changes with its content: served immutable, a warm visit
    starts it from the browser's cache instead of asking the server again (~25 ms before it ran)."""
    wasm = npm_wasm.read_bytes()
    scripts = {name: (runtime / name).read_text() for name in ("pyodide.mjs", "pyodide.asm.mjs")}
    keep = kept_exports(wasm, scripts.values(), [path.read_text() for path in sorted(web.glob("*.mjs"))])
    files = {npm_wasm.name: lean_wasm(wasm, keep),
             "pyodide.asm.mjs": lean_script(scripts["pyodide.asm.mjs"], wasm, keep).encode(),
             "snapshot-worker.mjs": worker.encode()}
    digest = hashlib.sha256(b"".join(files.values())).hexdigest()[:16]
    folder = runtime.with_name(f"{runtime.name}-loader-{digest}")
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder
