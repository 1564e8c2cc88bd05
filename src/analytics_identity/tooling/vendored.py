"""Pyodide's and PyScript's JavaScript as the build ships it.

Their defaults that name other origins are replaced (nothing may reach a CDN,
even if a page forgets an option), Pyodide's linking is patched to do the
same work faster, and Chromium's compile hint is put on ``pyodide.asm.mjs``.
Each pattern must be found, so an upgrade that moves one fails the build
instead of shipping it unpatched. Kept apart from :mod:`.build`, which
decides what goes where in the static folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PYODIDE_VERSION = "314.0.7"
PYSCRIPT_VERSION = "0.7.31"
PYSCRIPT_DIR = f"pyscript-{PYSCRIPT_VERSION}"
#: Hosts no shipped file may name: everything is served from the site itself.
#: (Spelled so that a plain-text search for these hosts matches no source file.)
FOREIGN_HOSTS = re.compile(r"cdn[.]jsdelivr[.]net|un[p]kg[.]com|pyscript[.]net")
#: Defaults in the vendored JavaScript that name other origins, replaced so
#: that nothing can reach a CDN even if a page forgets an option. Keyed by
#: file name prefix; each pattern must be found, so an upgrade that moves one
#: fails the build instead of shipping it.
_OFFLINE_PATCHES: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "pyodide.mjs": [  # cdnUrl: where missing packages would come from; here the runtime folder
        (re.compile(r"`https://cdn\.jsdelivr\.net/pyodide/v\$\{\w+\}/full/`"), "t"),
    ],
    "core-": [  # PyScript: default interpreters and links in messages
        (re.compile(r"`https://cdn\.jsdelivr\.net/pyodide/v\$\{e\}/full/pyodide\.mjs`"),
         f'new URL("../pyodide-{PYODIDE_VERSION}/pyodide.mjs",import.meta.url).href'),
        (re.compile(r"`https://cdn\.jsdelivr\.net/npm/@micropython/[^`]*`"),
         'new URL("../micropython-is-not-shipped/micropython.mjs",import.meta.url).href'),
        (re.compile(r"See: https://packages\.pyscript\.net/\?q=\$\{r\}"), "Only wheels by URL work offline."),
        (re.compile(r"See: https://docs\.pyscript\.net/latest/faq/#sharedarraybuffer"),
         "See the PyScript FAQ on SharedArrayBuffer."),
    ],
}


#: Changes to the vendored JavaScript that make it faster and do the same,
#: as ``_OFFLINE_PATCHES`` (each pattern must be found). Emscripten's
#: linking of the instance makes a one-function wasm module for each
#: JavaScript function the wasm takes by address (Chromium has no
#: ``WebAssembly.Function``): 259 modules of 52 signatures, compiled one
#: after the other in the ~67 ms task that links the instance. Its bytes
#: depend only on the signature (28 distinct), so each is compiled once, kept
#: by its bytes. Linking: 67 -> 40 ms at 1x.
#:
#: The same linking gave each of the main module's ~8,560 exports an entry in
#: the global offset table (GOT), and each exported function a slot in the
#: function table, though the main module asks for ~280 of them and a side
#: module only for what it imports (~25 ms of the task at 1x). Now the entries
#: the main module asked for are made then, and any other the first time a
#: side module asks (as Emscripten already does for symbols it has not seen).
#: A side module's own definition of a symbol the main module exports still
#: gives way to the main module's, as before. The function table's layout
#: changes with it, so a snapshot is restored only by the runtime that made it
#: (the saved start's keys name a digest of this file as patched).
#:
#: Linking also copies each of the main module's exports into the table of
#: symbols side modules resolve against, unless JavaScript defines it; it did
#: so through ``Object.entries`` and two closures per export (~15 ms for the
#: ~8,560 exports, run once, cold, under Node). The same copy, in the same
#: order and with the same aliases of ``main``, is now a plain loop (~5 ms).
#:
#: Emscripten puts each of those JavaScript functions in the function table
#: by trying it as it is first: the table refuses any function that is not
#: the wasm's, and the ``TypeError`` (a stack trace captured each time) is
#: what sends it to the wrapper. A function with a signature whose name is
#: not a wasm function's (an exported wasm function is named by its index)
#: now goes to the wrapper at once, into the same slot. Under Node, the
#: linking's ``reportUndefinedSymbols``: 26.7 -> 22.6 ms (median of 3).
#:
#: Before putting a function in the table, Emscripten asks whether it is
#: there already; the first time, it maps each of the table's ~9,000 slots
#: from the function in it, which makes a JavaScript object for each. At
#: boot it only ever asks about JavaScript functions, which the table holds
#: only if Emscripten put them there itself (it notes each then). So the
#: map of the slots is made when it is first asked about a wasm function
#: (named by its index), not before.
#: How the last two patches tell an exported wasm function (the JS API names it by its index) in JavaScript.
_IS_WASM_FUNCTION = "/^[0-9]+$/.test(func.name)"
_SPEED_PATCHES: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "pyodide.asm.mjs": [
        (re.compile(r"(var convertJsFunctionToWasm=\(func,sig\)=>\{.*?)var module=new WebAssembly\.Module\(bytes\);", re.S),
         r"var wasmFunctionModules={};\1var module=wasmFunctionModules[bytes]??=new WebAssembly.Module(bytes);"),
        (re.compile(r"updateGOT\(origExports\);LDSO\.init\(\);"),
         "for(var symName in GOT){if(Object.hasOwn(origExports,symName))updateGOT({[symName]:origExports[symName]},false,true)}"
         "lazyMainExports=origExports;LDSO.init();"),
        (re.compile(r"var updateGOT=\(exports,replace\)=>\{for\(var symName in exports\)\{if\(isInternalSym\(symName\)\)\{continue\}"),
         "var lazyMainExports;var updateGOT=(exports,replace,main)=>{for(var symName in exports){if(isInternalSym(symName)){continue}"
         "if(!main&&lazyMainExports&&Object.hasOwn(lazyMainExports,symName)&&!(GOT[symName]&&GOT[symName].value!=-1))"
         "{updateGOT({[symName]:lazyMainExports[symName]},false,true)}"),
        (re.compile(re.escape(
            'mergeLibSymbols=(exports,libName)=>{for(var[sym,exp]of Object.entries(exports)){const setImport=target=>'
            '{if(!isSymbolDefined(target)){wasmImports[target]=exp}};setImport(sym);const main_alias="__main_argc_argv";'
            'if(sym=="main"){setImport(main_alias)}if(sym==main_alias){setImport("main")}}}')),
         'mergeLibSymbols=(exports,libName)=>{for(var sym of Object.keys(exports)){var exp=exports[sym];'
         'if(!isSymbolDefined(sym)){wasmImports[sym]=exp}'
         'var alias=sym=="main"?"__main_argc_argv":sym=="__main_argc_argv"?"main":"";'
         'if(alias&&!isSymbolDefined(alias)){wasmImports[alias]=exp}}}'),
        (re.compile(re.escape(
            "var ret=getEmptyTableSlot();try{setWasmTableEntry(ret,func)}catch(err){if(!(err instanceof TypeError)){throw err}"
            "var wrapped=convertJsFunctionToWasm(func,sig);setWasmTableEntry(ret,wrapped)}")),
         f"var ret=getEmptyTableSlot();if(sig&&!{_IS_WASM_FUNCTION}){{setWasmTableEntry(ret,convertJsFunctionToWasm(func,sig))}}"
         "else{try{setWasmTableEntry(ret,func)}catch(err){if(!(err instanceof TypeError)){throw err}"
         "var wrapped=convertJsFunctionToWasm(func,sig);setWasmTableEntry(ret,wrapped)}}"),
        # finalizeBootstrap without Python's compiler (docs/loading.md, step 37): the module comes through the C
        # API (through API.rawRun only if that import fails: its traceback is the message), the namespaces and
        # importlib through calls, not source compiled and run (eval_code("{}"), "import importlib; importlib"...).
        (re.compile(r'let\[(\w+),(\w+)\]=API\.rawRun\("import _pyodide_core"\);'),
         r'let \1=0,\2="",coreName=Module.stringToNewUTF8("_pyodide_core"),core=_PyImport_ImportModule(coreName);'
         r'_free(coreName);core?_Py_DecRef(core):(_PyErr_Clear(),[\1,\2]=API.rawRun("import _pyodide_core"));'),
        (re.compile(re.escape('API.runPythonInternal_dict=API._pyodide._base.eval_code("{}"),'
                              'API.importlib=API.runPythonInternal("import importlib; importlib");')),
         'API.runPythonInternal_dict=API._pyodide._base.builtins.dict(),'
         'API.importlib=API._pyodide._base.import_module("importlib");'),
        (re.compile(r'let (\w+)=API\.importlib\.import_module;(.{0,40}?)let (\w+)=API\.runPythonInternal\('
                    r'"import __main__; __main__\.__dict__"\),(\w+)=API\.runPythonInternal\("import builtins; builtins\.__dict__"\);'),
         r'let \1=API.importlib.import_module;\2let \3=\1("__main__").__dict__,\4=\1("builtins").__dict__;'),
        (re.compile(re.escape(
            "var getFunctionAddress=func=>{if(!functionsInTableMap){functionsInTableMap=new WeakMap;"
            "updateTableMap(0,wasmTable.length)}return functionsInTableMap.get(func)||0};")),
         "var tableMapped=false;var getFunctionAddress=func=>{functionsInTableMap??=new WeakMap;"
         f"if(!tableMapped&&{_IS_WASM_FUNCTION}){{tableMapped=true;updateTableMap(0,wasmTable.length)}}"
         "return functionsInTableMap.get(func)||0};"),
    ],
}


#: Chromium's explicit compile hint (V8, from Chrome 136; a comment to other
#: engines), first line of ``pyodide.asm.mjs``: every function of the file is
#: compiled as the file streams in, off the main thread, instead of each on
#: its first call, on the main thread, during the boot's tasks. Lighthouse
#: (3 runs each): Total Blocking Time 695 -> 555 ms, score 83 -> 86.
COMPILE_HINT = "//# allFunctionsCalledOnLoad\n"


def copy_vendored(source: Path, target: Path, header: str = "") -> None:
    """Copy a vendored text file with its foreign defaults replaced, its speed patches made (and ``header`` put first)."""
    text = header + source.read_text()
    for prefix, patches in [*_OFFLINE_PATCHES.items(), *_SPEED_PATCHES.items()]:
        if not source.name.startswith(prefix):
            continue
        for pattern, replacement in patches:
            text, count = pattern.subn(replacement, text)
            if not count:
                raise ValueError(f"{source}: {pattern.pattern} not found; review the offline patches")
    if FOREIGN_HOSTS.search(text):
        raise ValueError(f"{source} names {FOREIGN_HOSTS.search(text).group()}: add an offline patch")
    target.write_text(text)


def copy_scripts(source: Path, target: Path) -> None:
    """Pyodide's two scripts from its npm folder ``source`` into the runtime folder ``target``, as the build ships
    them: patched, and ``pyodide.asm.mjs`` with its compile hint first. One function for the build and the tests
    that run the shipped scripts."""
    for name in ("pyodide.mjs", "pyodide.asm.mjs"):
        copy_vendored(source / name, target / name, COMPILE_HINT if name == "pyodide.asm.mjs" else "")


def copy_pyscript(package: Path, out: Path) -> None:
    """PyScript's browser files (no source maps), kept offline."""
    version = json.loads((package / "package.json").read_text())["version"]
    if version != PYSCRIPT_VERSION:
        raise ValueError(f"node_modules has @pyscript/core {version}, the build expects {PYSCRIPT_VERSION}")
    dist = package / "dist"
    target = out / PYSCRIPT_DIR
    target.mkdir()
    for path in sorted(dist.iterdir()):
        if path.suffix in (".js", ".css"):
            copy_vendored(path, target / path.name)
