// analytics-identity loader: boots the self-hosted Pyodide next to this file
// and hands window.analytics over to the Python core (browser.install), which
// replays the snippet's buffer. All logic is in Python; this file decides when
// and from what the runtime starts: the files downloaded on this visit
// (runtime.mjs) or what an earlier visit saved (saved.mjs); the build bundles
// both into it. Nothing here throws into the page: a runtime that cannot load
// leaves the buffer in place and says so once, on the console.
import { compile, download, get, importRuntime, nextTask, startRuntime } from "./runtime.mjs";
import { expandInto, forget, savedKeys, savedStart, unzipped } from "./saved.mjs";

const BASE = new URL("./", import.meta.url).href;
// Where the build put each file (filled in by the build).
const BUILD = {
  base: BASE,
  runtime: BASE + "__RUNTIME__",
  // Of Pyodide's two scripts as the build patched them: a snapshot made by
  // other ones may not fit (saved.mjs savedKeys).
  runtimeDigest: "__RUNTIME_DIGEST__",
  // Pyodide's wasm and pyodide.asm.mjs with only the exports JavaScript uses
  // (tooling/loader_runtime.py); PyScript pages keep the runtime folder's own.
  loaderRuntime: BASE + "__LOADER_RUNTIME__",
  // The standard library as bytecode, trimmed to the modules the page imports
  // (tooling/bootset.py); the whole one is fetched on a first import outside it.
  stdlib: BASE + "__BOOT_STDLIB__",
  fullStdlib: BASE + "__STDLIB__",
  wheel: BASE + "__WHEEL__",
  // Imported straight from the wheel (zipimport, already loaded for the
  // standard library): installing it with loadPackage took ~300 ms, most of
  // it importing the package manager's own modules.
  wheelPath: "/lib/" + "__WHEEL__".split("/").pop(),
  lock: "__LOCK_INFO__",
  // The core's and the browser layer's modules, dependencies first (tooling/bootset.py import_order).
  modules: "__CORE_MODULES__",
  // Python's start-up arguments (without `site`) and the module of the steps
  // run before Pyodide's own bootstrap, one a task (tooling/bootstrap.py):
  // zip imports that read each module once, `site`, then the
  // standard-library modules the bootstrap imports.
  bootstrap: "__BOOTSTRAP__",
};

// The worker that unzips a saved snapshot and saves one (snapshot-worker.mjs),
// in the loader's versioned folder, so that browsers keep it.
const WORKER = BUILD.loaderRuntime + "snapshot-worker.mjs";

// The smallest valid module: compiling it throws a CompileError at once when
// the page's Content-Security-Policy forbids WebAssembly.
const EMPTY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

// Resolves after the window load event, once the browser is idle (at most a
// second later), so the boot never competes with the page's own start-up. A
// warm boot waits for the load event only: its tasks are short, and the
// reads it started keep the main thread from looking idle (they pushed the
// idle callback ~80 ms past `load`).
function pageLoaded(idle) {
  return new Promise((resolve) => {
    const go = !idle ? resolve : () => whenIdle(resolve, 1000);
    if (document.readyState === "complete") go();
    else window.addEventListener("load", go, { once: true });
  });
}

// Resolves once the page has drawn its next frame (in the task after that
// frame's animation callbacks, so after its paint): at once for a page that is
// not shown, which draws none, and after `FRAME_WAIT` ms at the latest (a
// render-blocking stylesheet, an iframe the browser does not draw). The
// default mode's first work (the Cache Storage look-up, the unzip worker's
// start, the downloads' requests) waits for it: run before the page's first
// paint, it held that paint back ~20-30 ms, and the boot gets ready no later
// (docs/loading.md, step 38).
const FRAME_WAIT = 250;
function nextFrame() {
  return new Promise((resolve) => {
    if (document.visibilityState !== "visible") return resolve();
    requestAnimationFrame(() => setTimeout(resolve));
    setTimeout(resolve, FRAME_WAIT);
  });
}

// Calls `callback` once the browser is idle, at most `timeout` ms later.
// WebKit has no requestIdleCallback (docs/engines.md): there, at the next task.
function whenIdle(callback, timeout) {
  return window.requestIdleCallback ? requestIdleCallback(callback, { timeout }) : setTimeout(callback);
}

function explain(error) {
  const text = String((error && error.message) || error);
  const what = /unsafe-eval|Content Security Policy|CompileError/i.test(text)
    ? "the page's Content-Security-Policy blocks WebAssembly: add 'wasm-unsafe-eval' to script-src"
    : /memory|RangeError/i.test(text)
      ? "the browser could not give the runtime enough memory"
      : `the runtime could not load from ${BUILD.runtime}: serve the whole build folder there`;
  return `analytics-identity: ${what} (${text}). Calls to window.analytics stay buffered and the page keeps working.`;
}

// Warm visits restore what an earlier visit saved (saved.mjs), not with
// persistence off (nothing is stored on the visitor's device then), nor
// without Cache Storage (an insecure origin, a sandboxed frame).
function snapshots(options) {
  try {
    return Boolean(window.caches) && !options.disableClientPersistence; // `disable` was decided before
  } catch {
    return false; // a sandboxed frame throws on reading `caches`
  }
}

// Starts compiling the wasm (off the main thread) and reading what was saved
// while the page loads; the boot takes them once the page has. The snapshot
// comes unzipped from `inWorker` (unzipInWorker), or is unzipped here from
// the response in hand if the worker could not. (Starting the worker once
// the wasm was compiled, so that it would not slow the compile, made the
// boot wait for the unzip instead.)
function warmStart(saved, inWorker) {
  const warm = {
    compiled: WebAssembly.compileStreaming(saved.wasm),
    length: saved.length,
    table: saved.table,
    stored: inWorker.then((stored) => stored || unzipped(saved.snapshot)),
    files: { stdlib: saved.stdlib, wheel: get(BUILD.wheel) },
  };
  for (const started of [warm.compiled, warm.stored, warm.files.wheel]) started.catch(() => {}); // reported by restore()
  return warm;
}

// The saved snapshot, read and unzipped by a worker (snapshot-worker.mjs)
// while this thread runs the page; undefined if nothing is saved or the
// worker cannot start, fails or does not answer. Started beside the loader's
// own look-up (savedStart), and told which snapshot to read in its URL, so
// that it reads as soon as its script runs: its start was the warm boot's
// longest wait. A first visit's worker finds nothing and ends.
async function unzipInWorker() {
  let worker;
  try {
    const key = encodeURIComponent(savedKeys(BUILD).snapshot);
    worker = new Worker(`${WORKER}#${key}`, { type: "module" });
    return await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (typeof data === "string" ? reject(new Error(data)) : resolve(data));
      worker.onerror = () => reject(new Error("the worker that unzips it failed"));
      setTimeout(() => reject(new Error("the worker that unzips it did not answer")), 10000);
    });
  } catch {
    return undefined;
  } finally {
    if (worker) worker.terminate();
  }
}

// Python as the snapshot left it, or, when it does not fit this runtime, one
// warning, what was saved deleted, and undefined (the normal boot follows).
// Pyodide sizes its memory from the snapshot's saved length: the runtime is
// made (the wasm's instantiation and linking, ~50 ms) while the worker
// unzips it; its pages are then written into the wasm's memory.
async function restore(modules, { stored, length, table, ...warm }) {
  try {
    // Pyodide's set-up runs while the wasm compiles; should the compile fail, the
    // instantiation has no wasm to fall back on and this restore fails (below).
    const snapshot = { length, table, writeInto: async (memory, written) => expandInto(memory, await stored, length, written) };
    const pyodide = await startRuntime(BUILD, { ...warm, snapshot, modules });
    pyodide.pyimport("random").seed(); // the snapshot froze the state of `random`
    performance.mark("analytics-identity:restored");
    return pyodide;
  } catch (error) {
    console.warn(`analytics-identity: the saved start-up state does not fit this runtime (${error && error.message || error}); starting normally.`);
    forget(BUILD).catch(() => {});
  }
}

// After ready, once the page is idle: a worker boots the runtime from the
// files this visit downloaded and the module it compiled, imports the core,
// and saves the start of the next visit. One tab at a time, and only while the
// core may store (consent given or not required: `mayStore`).
function saveSnapshotLater(files, compiled, mayStore) {
  const save = () => navigator.locks.request("analytics-identity:snapshot", { ifAvailable: true }, async (lock) => {
    if (!lock || !mayStore() || await savedStart(BUILD)) return;
    const module = await compiled.catch(() => undefined);
    const worker = new Worker(WORKER, { type: "module" });
    await new Promise((resolve) => {
      worker.onmessage = worker.onerror = resolve;
      try {
        worker.postMessage({ build: BUILD, files, compiled: module });
      } catch { // an engine that cannot post a compiled module: the worker compiles its own
        worker.postMessage({ build: BUILD, files });
      }
    });
    worker.terminate();
  }).catch(() => {});
  if (navigator.locks) whenIdle(save, 5000);
}

// Boots (`warm`: what warmStart started; `files`: what this visit
// downloaded; `modules`: Pyodide's scripts, imported) and installs the core; resolves
// to the interpreter.
async function boot(writeKey, options, warm, files, modules) {
  const restored = warm && await restore(modules, warm);
  let pyodide = restored, compiled;
  if (!restored) {
    files = await (files || download(BUILD));
    compiled = compile(files.wasm);
    pyodide = await startRuntime(BUILD, { files, compiled, modules });
  }
  for (const name of restored ? [] : BUILD.modules) { // one module a task
    await nextTask();
    pyodide.pyimport(name);
  }
  await nextTask();
  const installer = pyodide.pyimport("analytics_identity.browser.install");
  await nextTask();
  // install() takes the first-visit lock itself, so every path (this loader,
  // PyScript, a page's own Pyodide) mints one anonymousId for tabs opened together.
  installer.install(writeKey, options).destroy(); // the instance lives on as window.analytics
  if (!restored && snapshots(options)) saveSnapshotLater(files, compiled, () => {
    const analytics = installer.shared_instance();
    try { return analytics.may_store; } finally { analytics.destroy(); }
  });
  return pyodide;
}

// `disable: true`, or a function of the load options that returns (or
// resolves to) true. A function that throws disables: it was meant to say
// whether the library may run.
async function disabled(options) {
  try {
    return (typeof options.disable === "function" ? await options.disable(options) : options.disable) === true;
  } catch (error) {
    console.warn(`analytics-identity: disable() raised ${error}; analytics stays disabled`);
    return true;
  }
}

// Written in by the build from the core's methods table (tooling/page_api.py):
// each method's return kind, and the methods that give an entity accessor
// when called with no argument.
const TABLE = __METHOD_KINDS__;

// Disabled: no runtime; window.analytics answers every method of the table
// with the shape of its kind, as analytics-next's NullAnalytics does (event
// calls resolve, ready callbacks run, user() and group() are empty, chained
// calls return it) and nothing is stored or sent.
function off() {
  const buffered = window.analytics;
  if (buffered.initialized) return; // a Python page got there first
  const nobody = { id: () => null, anonymousId: () => null, traits: () => ({}) };
  const answers = {
    event: () => Promise.resolve(), value: () => undefined, chain: () => api, "chain-async": () => Promise.resolve(api),
    promise: () => Promise.resolve(), ready: () => Promise.resolve(), entity: () => nobody, load: () => api,
  };
  const api = {
    initialized: true,
    ready: async (callback) => { if (typeof callback === "function") callback(); },
    consent: () => ({ state: "pending", categoryPreferences: {}, gpc: navigator.globalPrivacyControl === true }),
  };
  for (const [method, kind] of Object.entries(TABLE.kinds)) {
    api[method] ??= (...args) => (!args.length && TABLE.accessors.includes(method) ? nobody : answers[kind]());
  }
  window.analytics = api;
  for (const [method, callback] of buffered) if (method === "ready") api.ready(callback);
}

// Called by the snippet's analytics.load(writeKey, options). `loadMode`:
// "idle" (default) boots after the load event, "immediate" boots at once.
// In the default mode the files are downloaded at low priority before the
// load event, so the download overlaps the page (a fetch never delays
// `load`). Resolves to the interpreter once ready (undefined if it did not
// start), for pages that measure it (tests/e2e/test_boot_set.py).
export async function start(writeKey, options) {
  try {
    if (await disabled(options)) return off();
    // Decided: the core is not to call the page's function again.
    options = window.analytics._loadOptions = { ...options, disable: false };
    new WebAssembly.Module(EMPTY_MODULE);
    const immediate = options.loadMode === "immediate";
    if (!immediate) await nextFrame();
    // A saved start says this browser booted this very build before and
    // kept what this visit starts from (saved.mjs).
    const inWorker = snapshots(options) ? unzipInWorker() : undefined;
    const saved = inWorker && await savedStart(BUILD);
    const warm = saved && warmStart(saved, inWorker);
    const files = warm ? undefined : download(BUILD, immediate ? {} : { priority: "low" });
    // Pyodide's scripts, imported in the task after the page's `load` event (at
    // once in the immediate mode), download while the files do: imported by the
    // boot, they had been ready ~50 ms after the wasm's compile on a first
    // visit. Not before `load`, which a preload link would delay.
    const modules = (immediate ? Promise.resolve() : pageLoaded(false).then(nextTask)).then(() => importRuntime(BUILD));
    modules.catch(() => {}); // reported by boot()
    if (!immediate) {
      await files;
      await pageLoaded(!warm);
    }
    if (window.analytics.initialized) return; // a Python page got there first
    return await boot(writeKey, options, warm, files, modules);
  } catch (error) {
    console.error(explain(error));
  }
}
