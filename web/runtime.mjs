// Starting Pyodide from files already in hand, for the loader and for the
// snapshot worker alike: the wasm, the standard library and the wheel are
// downloaded once per visit (by the loader's prefetch) and given to Pyodide,
// which would otherwise fetch the wasm and the standard library again itself
// (from the HTTP cache at best; from the network again when a server sends no
// cache headers). Bundled into loader.mjs and snapshot-worker.mjs by the build.

// Hands the thread back to the browser (input, paint) between two steps of
// the boot, so that each step is a task of its own and none is long. (Steps
// sharing a task up to a time budget made the cold boot faster but cost
// Lighthouse blocking time: docs/loading.md, "Tried and dropped".)
export function nextTask() {
  return globalThis.scheduler && scheduler.yield ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve));
}

export async function get(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response;
}

// Every file the boot needs, whole, as Blobs, which the browser fills outside
// the page's thread (reading the stream in JavaScript ran a task per chunk of
// ~20 MB). Fails with the file's name if one does not answer: Pyodide itself
// only warns and waits forever when its wasm cannot load.
export async function download(build, init) {
  const urls = { wasm: build.loaderRuntime + "pyodide.asm.wasm", stdlib: build.stdlib, wheel: build.wheel };
  const blobs = await Promise.all(Object.values(urls).map(async (url) => (await get(url, init)).blob()));
  return Object.fromEntries(Object.keys(urls).map((name, i) => [name, blobs[i]]));
}

// Pyodide's two scripts, imported (for `startRuntime`'s `modules`).
export function importRuntime(build) {
  return Promise.all([import(build.runtime + "pyodide.mjs"), import(build.loaderRuntime + "pyodide.asm.mjs")]);
}

// The wasm compiled off the main thread, from its Blob (already decoded).
export function compile(wasm) {
  return WebAssembly.compileStreaming(new Response(wasm, { headers: { "content-type": "application/wasm" } }));
}

// loadPyodide with the files given: `files` (Blobs or Responses, or promises
// of them: stdlib, wheel and, unless `compiled` has resolved already, wasm),
// `compiled` (a promise of the wasm module), `modules` (pyodide.mjs and
// pyodide.asm.mjs, imported), and `snapshot` to restore (Python as it was
// once the core was imported) or `makeSnapshot`. A `snapshot` is its
// `length`, from which Pyodide sizes the wasm's memory, the length of the
// function table it was made with (`table`, checked against `tableLength`)
// and `writeInto`: once the runtime is made (the wasm instantiated and
// linked, while the snapshot may still be unzipping), it writes the
// snapshot's heap into that memory (given it and where the runtime's heap
// ends, `heapEnd`) and resolves to the snapshot's header,
// all Pyodide's restore is then given to read (it would otherwise copy the
// whole snapshot, ~30 MB, once more). Task boundaries around the wasm's
// instantiation, before Python's start-up (without `site`:
// `build.bootstrap.args`) and between the boot's steps (`takeSteps`:
// the zip-import fix, `site`, then what Pyodide's bootstrap imports, a
// module per task). Without a snapshot, the wheel goes
// on `sys.path` and the standard library beyond the boot set is fetched on
// first import (browser/stdlib.py).
export async function startRuntime(build, { files, compiled, modules, snapshot, makeSnapshot }) {
  const bytes = async (file) => (await file).arrayBuffer();
  const [[{ loadPyodide }, runtime], wheel, stdlib] = await Promise.all([modules, bytes(files.wheel), bytes(files.stdlib)]);
  // Pyodide only warns when its wasm's instantiation fails, and waits forever:
  // a failure of ours ends the start instead, so the loader can say why.
  let failed;
  const failure = new Promise((resolve, reject) => { failed = reject; });
  const pyodide = await serving({
    [build.stdlib]: () => new Response(stdlib),
    // Pyodide's own fetch of its wasm, answered with the loader's (`build.loaderRuntime`); read only if
    // `compiled` failed. A warm restore has no such file: its instantiation, and so the restore, fails then.
    [build.runtime + "pyodide.asm.wasm"]: () => new Response(files.wasm, { headers: { "content-type": "application/wasm" } }),
  }, () => Promise.race([failure, loadPyodide({
    indexURL: build.runtime,
    stdLibURL: build.stdlib,
    // The loader installs no package: only the lock's ABI is checked (pyodide-lock.json is 112 KB).
    lockFileContents: { info: build.lock, packages: {} },
    // Python starts without `site`, which the steps below import (not read with a snapshot).
    args: build.bootstrap.args,
    _loadSnapshot: snapshot && new Uint8Array(snapshot.length), // only its length is read before the restore
    _makeSnapshot: makeSnapshot,
    async fsInit(FS) {
      FS.writeFile(build.wheelPath, new Uint8Array(wheel));
      await nextTask();
    },
    async createPyodideModule(settings) {
      if (compiled) settings.instantiateWasm = withModule(settings.instantiateWasm, compiled, failed);
      await nextTask();
      const module = await runtime.default(settings);
      if (snapshot) {
        // A function's address is its slot in the table: the snapshot's memory holds them.
        if (tableLength(module) !== snapshot.table) {
          throw new Error(`it was made by another runtime (a function table of ${snapshot.table} slots, not ${tableLength(module)})`);
        }
        restoreFrom(module, await snapshot.writeInto(module.HEAPU8, heapEnd(module)));
      }
      if (!snapshot) await takeSteps(module, build.bootstrap.module);
      await nextTask();
      return module;
    },
  })]));
  if (!snapshot) {
    pyodide.pyimport("sys").path.insert(0, build.wheelPath);
    pyodide.pyimport("analytics_identity.browser.stdlib").install(build.fullStdlib);
  }
  return pyodide;
}

// Imports `name` (the boot's steps, a module of the loader's standard
// library: tooling/bootstrap.py) and takes a step of its generator `steps` a
// task, through CPython's C API, so that nothing is compiled (Pyodide's
// `API.rawRun` compiles what it runs, and on a first visit the wasm then
// compiles Python's compiler: ~60 ms, docs/loading.md step 37). A step that
// fails is left to Pyodide's own bootstrap, which imports that module again
// and fails saying why; so is a module of steps that does not load.
export async function takeSteps(module, name) {
  await nextTask();
  const [nameAt, stepsAt] = [name, "steps"].map((text) => module.stringToNewUTF8(text));
  const found = module._PyImport_ImportModule(nameAt);
  const steps = found && module._PyObject_GetAttrString(found, stepsAt);
  for (const at of [nameAt, stepsAt]) module._free(at);
  if (found) module._Py_DecRef(found);
  while (steps) {
    await nextTask();
    const step = module._PyIter_Next(steps);
    if (!step) break;
    module._Py_DecRef(step);
  }
  if (steps) module._Py_DecRef(steps);
  module._PyErr_Clear();
}

// The slots of the wasm's function table (Pyodide's private module), where a
// function's address points: a snapshot restores only into a runtime that
// has as many as the one it was made in had (the same linking made them).
export function tableLength(module) {
  return module.wasmTable.length;
}

// Where the runtime's heap ends (its break, `sbrk(0)`): nothing the runtime
// ran has written past it.
function heapEnd(module) {
  return module._sbrk(0) >>> 0;
}

// Pyodide's restore (its private `API.restoreSnapshot`, once) reads the
// snapshot's header only: its heap is in the wasm's memory already.
function restoreFrom(module, header) {
  const restore = module.API.restoreSnapshot;
  module.API.restoreSnapshot = () => {
    module.API.restoreSnapshot = restore;
    return restore(header);
  };
}

// Answers Pyodide's own fetches of the files in hand (it starts them while
// it reads its options, before any hook runs) while `run` starts it; any
// other fetch goes through. The page's `fetch` is put back as soon as both
// were answered (unless somebody wrapped it meanwhile: theirs stays, and ours
// passes everything on).
async function serving(files, run) {
  const original = globalThis.fetch;
  const left = new Map(Object.entries(files));
  const wrapped = function (resource, ...rest) {
    const url = String(resource instanceof Request ? resource.url : resource);
    const answer = left.get(url);
    if (!answer) return original.call(this, resource, ...rest);
    left.delete(url);
    if (!left.size && globalThis.fetch === wrapped) globalThis.fetch = original;
    return Promise.resolve(answer());
  };
  globalThis.fetch = wrapped;
  try {
    return await run();
  } finally {
    left.clear();
    if (globalThis.fetch === wrapped) globalThis.fetch = original;
  }
}

// Pyodide instantiates its wasm from the response it fetched; given one
// compiled already (off the main thread), its instantiation takes that module
// instead, for its own imports only. If that compile failed, Pyodide's own
// path runs. A failure of the instantiation or of Emscripten's linking that
// follows it (`done`) is told to `failed` (Pyodide would only warn).
function withModule(instantiateWasm, compiled, failed) {
  return (imports, done) => {
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async function (source, passed) {
      if (passed !== imports) return streaming.apply(this, arguments);
      WebAssembly.instantiateStreaming = streaming;
      try {
        const module = await compiled.catch(() => undefined);
        if (!module) return await streaming.apply(this, arguments);
        await nextTask();
        const instance = await WebAssembly.instantiate(module, imports);
        await nextTask(); // Emscripten's linking of the instance follows, as a task of its own
        return { module, instance };
      } catch (error) {
        failed(error);
        throw error;
      }
    };
    return instantiateWasm(imports, (...ready) => {
      WebAssembly.instantiateStreaming = streaming;
      try {
        done(...ready);
      } catch (error) {
        failed(error);
        throw error;
      }
    });
  };
}
