// analytics-identity loader: boots the self-hosted Pyodide next to this file
// and hands window.analytics over to the Python core (browser.install), which
// replays the snippet's buffer. All logic is in Python. Nothing here throws
// into the page: a runtime that cannot load leaves the buffer in place and
// says so once, on the console.

const BASE = new URL("./", import.meta.url).href;
const RUNTIME = BASE + "__RUNTIME__";
const WHEEL = BASE + "__WHEEL__";
// The standard library as bytecode (the runtime's own zip holds sources,
// compiled again on every visit): see build_stdlib in the build.
const STDLIB = BASE + "__STDLIB__";
const RUNTIME_FILES = {
  script: RUNTIME + "pyodide.asm.mjs", wasm: RUNTIME + "pyodide.asm.wasm", lock: RUNTIME + "pyodide-lock.json",
};

// Checks that every runtime file answers, and fails with the file's name if
// one is missing: Pyodide itself only warns and waits forever when its wasm
// cannot load. In the default mode the files are fetched whole, at low
// priority, before the load event, so the download overlaps the page (a
// fetch never delays `load`), into Blobs, which the browser fills outside
// the page's thread (reading the stream in JavaScript ran a task per chunk
// of ~20 MB); the boot then takes the wasm, standard library and wheel from
// them (see `fromPrefetch`). Booting at once, a HEAD request is enough and the boot
// downloads each file only once.
async function checkRuntime(prefetch) {
  const files = { ...RUNTIME_FILES, stdlib: STDLIB, wheel: WHEEL };
  const blobs = await Promise.all(Object.values(files).map(async (url) => {
    const response = await get(url, prefetch ? { priority: "low" } : { method: "HEAD" });
    return prefetch ? response.blob() : undefined;
  }));
  return prefetch ? Object.fromEntries(Object.keys(files).map((name, i) => [name, blobs[i]])) : undefined;
}

// What the boot takes from the prefetched Blobs: the wasm compiled (off the
// main thread) and the standard library and wheel read. Pyodide would read
// the wasm and standard library from the HTTP cache again, which on a cold
// visit took ~90 and ~65 ms to decode (brotli).
function fromPrefetch(blobs) {
  return {
    compiled: WebAssembly.compileStreaming(new Response(blobs.wasm, { headers: { "content-type": "application/wasm" } })),
    stdlib: blobs.stdlib.arrayBuffer(),
    wheel: blobs.wheel.arrayBuffer(),
  };
}

async function get(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response;
}

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
    const go = !idle ? resolve
      : () => (window.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 1000 }) : setTimeout(resolve));
    if (document.readyState === "complete") go();
    else window.addEventListener("load", go, { once: true });
  });
}

function explain(error) {
  const text = String((error && error.message) || error);
  const what = /unsafe-eval|Content Security Policy|CompileError/i.test(text)
    ? "the page's Content-Security-Policy blocks WebAssembly: add 'wasm-unsafe-eval' to script-src"
    : /memory|RangeError/i.test(text)
      ? "the browser could not give the runtime enough memory"
      : `the runtime could not load from ${RUNTIME}: serve the whole build folder there`;
  return `analytics-identity: ${what} (${text}). Calls to window.analytics stay buffered and the page keeps working.`;
}

// Hands the main thread back to the browser (input, paint) between two steps
// of the boot, so that each step is a task of its own and none is long.
function nextTask() {
  return globalThis.scheduler && scheduler.yield ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve));
}

// Standard-library modules that Pyodide's own bootstrap (`import _pyodide_core`)
// imports, a group per task before it: left to the bootstrap they were one
// task of ~150 ms on a warm visit and ~370 ms on a cold one. Through Pyodide's
// private `API.rawRun`; without it, the bootstrap imports them itself.
const BOOTSTRAP_MODULES = [
  "enum, functools, collections, re",
  "typing, dataclasses",
  "inspect, ast, dis, tokenize, traceback",
  "socket, ssl, selectors, subprocess, threading",
  "concurrent.futures, logging, json, zipfile, shutil, tempfile, pathlib",
  "asyncio",
];

// loadPyodide with a task boundary before Python's start-up (`fsInit` runs
// just before it) and between the groups of the bootstrap's imports; on a
// warm visit, Python restored as it was once the core was imported, from
// what an earlier visit saved (see warmStart). `given`: the wasm compiled and
// the standard library read already (warmStart, or the prefetch), and the
// snapshot. The wheel is written first either way (the snapshot holds
// Python's view of it, not the file).
async function startRuntime(modules, wheel, given = {}) {
  const [[{ loadPyodide }, runtime], bytes] = await Promise.all([modules, wheel]);
  return loadPyodide({
    indexURL: RUNTIME,
    // Pyodide fetches the standard library itself, from the HTTP cache (a
    // brotli decode of ~65-170 ms, the last file to arrive on a warm visit).
    // Given it, Pyodide is pointed at the wheel instead (in the HTTP cache,
    // 82 KB) and the given one is written over it before Python starts.
    stdLibURL: given.stdlib ? WHEEL : STDLIB,
    _loadSnapshot: given.snapshot,
    async fsInit(FS, { sitePackages }) {
      FS.writeFile(WHEEL_PATH, new Uint8Array(bytes));
      if (given.stdlib) {
        // Pyodide writes what it fetched at this path once it arrives: only then can it be replaced.
        const zip = sitePackages.replace(/^\/lib\/python(\d+)\.(\d+)\/.*$/, "/lib/python$1$2.zip");
        const stdlib = new Uint8Array(await given.stdlib);
        // A timer, not nextTask: yielding with scheduler.yield() again and again starves its fetch.
        const end = Date.now() + 10000;
        while (!FS.analyzePath(zip).exists) {
          if (Date.now() > end) throw new Error(`the runtime did not write ${zip}`);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        FS.writeFile(zip, stdlib);
      }
      await nextTask();
    },
    async createPyodideModule(settings) {
      if (given.compiled) settings.instantiateWasm = withModule(settings.instantiateWasm, given.compiled);
      const module = await runtime.default(settings);
      for (const modules of given.snapshot ? [] : BOOTSTRAP_MODULES) {
        await nextTask();
        if (module.API.rawRun) module.API.rawRun("import " + modules);
      }
      await nextTask();
      return module;
    },
  });
}

// Pyodide instantiates its wasm from a response it fetches itself; given one
// compiled already (off the main thread, from a decoded copy: ~20 ms,
// against ~90 ms to decode the HTTP cache's), Pyodide's instantiation takes
// that module instead, for its own imports only. If that compile failed,
// Pyodide's own path runs.
function withModule(instantiateWasm, compiled) {
  return (imports, done) => {
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async function (source, passed) {
      if (passed !== imports) return streaming.apply(this, arguments);
      WebAssembly.instantiateStreaming = streaming;
      const module = await compiled.catch(() => undefined);
      if (!module) return streaming.apply(this, arguments);
      return { module, instance: await WebAssembly.instantiate(module, imports) };
    };
    return instantiateWasm(imports, (...ready) => {
      WebAssembly.instantiateStreaming = streaming;
      done(...ready);
    });
  };
}

// Imported straight from the wheel (zipimport, already loaded for the
// standard library): installing it with loadPackage took ~300 ms, most of
// it importing the package manager's own modules.
const WHEEL_PATH = "/lib/" + WHEEL.split("/").pop();

// Warm visits restore a memory snapshot of the interpreter with the core
// imported, made by snapshot-worker.mjs after an earlier visit was ready and
// kept in Cache Storage, with the wasm it was made with, under the files it
// was made from (a new build never restores an old one). Anything that does
// not fit: one warning, then the normal boot. Not with persistence off
// (nothing is stored on the visitor's device then), nor without Cache
// Storage (an insecure origin, a sandboxed frame).
const SNAPSHOTS = "analytics-identity";
const MADE_FROM = `?of=${encodeURIComponent([RUNTIME, STDLIB, WHEEL].join(" "))}`;
const SAVED = {
  snapshot: `${BASE}snapshot${MADE_FROM}`,
  wasm: `${BASE}saved/pyodide.asm.wasm${MADE_FROM}`,
  stdlib: `${BASE}saved/python_stdlib.zip${MADE_FROM}`,
};

function snapshots(options) {
  try {
    return Boolean(window.caches) && !options.disableClientPersistence; // `disable` was decided before
  } catch {
    return false; // a sandboxed frame throws on reading `caches`
  }
}

// What an earlier visit saved, if whole (the worker stores the snapshot
// last): the responses, their bodies not read yet.
async function savedStart() {
  try {
    const cache = await caches.open(SNAPSHOTS);
    const [snapshot, wasm, stdlib] = await Promise.all(Object.values(SAVED).map((key) => cache.match(key)));
    return snapshot && wasm && stdlib ? { snapshot, wasm, stdlib } : undefined;
  } catch {
    return undefined; // storage refused: boot normally
  }
}

// Starts reading and compiling what was saved, off the main thread, while the
// page loads; the boot takes it once the page has.
function warmStart(saved) {
  const warm = {
    snapshot: expand(saved.snapshot),
    compiled: WebAssembly.compileStreaming(saved.wasm),
    stdlib: saved.stdlib.arrayBuffer(),
  };
  for (const started of Object.values(warm)) started.catch(() => {}); // a failure is reported by restore()
  return warm;
}

// Pyodide's snapshot, from the worker's form without zero pages (see
// snapshot-worker.mjs): Pyodide's header (a magic number, the heap's offset,
// …), the heap's length, a bit per 4 KiB page, the pages that are stored.
// Checked here because Pyodide waits forever when the memory it sizes from a
// damaged snapshot cannot hold its wasm.
async function expand(saved) {
  const stored = new Uint8Array(await saved.arrayBuffer());
  const view = new DataView(stored.buffer);
  const offset = view.getUint32(4, true);
  const heap = offset + 4 <= stored.length ? view.getUint32(offset, true) : 0;
  const snapshot = new Uint8Array(offset + heap);
  snapshot.set(stored.subarray(0, offset));
  const kept = (page) => stored[offset + 4 + (page >> 3)] & (1 << (page & 7));
  let from = offset + 4 + Math.ceil(heap / 4096 / 8);
  for (let page = 0, pages = heap / 4096; page < pages && from <= stored.length;) {
    let end = page;
    while (end < pages && kept(end)) end++; // a run of stored pages, copied at once
    const bytes = (end - page) * 4096;
    snapshot.set(stored.subarray(from, from + bytes), offset + page * 4096);
    from += bytes;
    page = end + 1;
  }
  if (view.getUint32(0, true) !== 0x706e7300 || heap < 16 << 20 || heap % 65536 || from !== stored.length) {
    throw new Error("it is damaged");
  }
  return snapshot;
}

async function restore(modules, wheel, warm) {
  try {
    const pyodide = await startRuntime(modules, wheel, warm);
    pyodide.pyimport("random").seed(); // the snapshot froze the state of `random`
    performance.mark("analytics-identity:restored");
    return pyodide;
  } catch (error) {
    console.warn(`analytics-identity: the saved start-up state does not fit this runtime (${error && error.message || error}); starting normally.`);
    caches.open(SNAPSHOTS).then((cache) => Promise.all(Object.values(SAVED).map((key) => cache.delete(key)))).catch(() => {});
  }
}

// After ready, once the page is idle: a worker boots its own runtime, imports
// the core, and saves the snapshot for the next visit. One tab at a time, and
// only while the core may store (consent given or not required: `mayStore`).
function saveSnapshotLater(mayStore) {
  const save = () => navigator.locks.request("analytics-identity:snapshot", { ifAvailable: true }, async (lock) => {
    if (!lock || !mayStore() || await savedStart()) return;
    const worker = new Worker(BASE + "snapshot-worker.mjs", { type: "module" });
    await new Promise((resolve) => {
      worker.onmessage = worker.onerror = resolve;
      worker.postMessage({ runtime: RUNTIME, stdlib: STDLIB, wheel: WHEEL, path: WHEEL_PATH, cache: SNAPSHOTS, keys: SAVED });
    });
    worker.terminate();
  }).catch(() => {});
  if (navigator.locks) (window.requestIdleCallback || setTimeout)(save, { timeout: 5000 });
}

async function boot(writeKey, options, given) {
  const wheel = given && given.wheel ? given.wheel : get(WHEEL).then((r) => r.arrayBuffer());
  const modules = Promise.all([import(RUNTIME + "pyodide.mjs"), import(RUNTIME + "pyodide.asm.mjs")]);
  const restored = given && given.snapshot ? await restore(modules, wheel, given) : undefined;
  // A snapshot that did not fit: the normal boot, from the runtime's own files.
  const pyodide = restored || await startRuntime(modules, wheel, given && given.snapshot ? {} : given);
  await nextTask();
  if (!restored) {
    pyodide.pyimport("sys").path.insert(0, WHEEL_PATH);
    pyodide.pyimport("analytics_identity.api.client"); // the core, then the browser layer: two tasks
    await nextTask();
  }
  const installer = pyodide.pyimport("analytics_identity.browser.install");
  await nextTask();
  // install() takes the first-visit lock itself, so every path (this loader,
  // PyScript, a page's own Pyodide) mints one anonymousId for tabs opened together.
  installer.install(writeKey, options).destroy(); // the instance lives on as window.analytics
  if (!restored && snapshots(options)) saveSnapshotLater(() => {
    const analytics = installer.shared_instance();
    try { return analytics.may_store; } finally { analytics.destroy(); }
  });
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
export async function start(writeKey, options) {
  try {
    if (await disabled(options)) return off();
    // Decided: the core is not to call the page's function again.
    options = window.analytics._loadOptions = { ...options, disable: false };
    new WebAssembly.Module(EMPTY_MODULE);
    const immediate = options.loadMode === "immediate";
    // A saved snapshot says this browser booted this very build before: its
    // files are in the HTTP cache, and reading ~20 MB again would only delay the boot.
    const saved = snapshots(options) ? await savedStart() : undefined;
    const warm = saved && warmStart(saved);
    const files = saved ? Promise.resolve() : checkRuntime(!immediate);
    let start = warm;
    if (!immediate) {
      const blobs = await files;
      await pageLoaded(!warm);
      start = warm || fromPrefetch(blobs);
    }
    if (window.analytics.initialized) return; // a Python page got there first
    await Promise.all([files, boot(writeKey, options, start)]);
  } catch (error) {
    console.error(explain(error));
  }
}
