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
const RUNTIME_FILES = ["pyodide.asm.mjs", "pyodide.asm.wasm", "pyodide-lock.json"];

// Checks that every runtime file answers, and fails with the file's name if
// one is missing: Pyodide itself only warns and waits forever when its wasm
// cannot load. In the default mode the files are fetched whole, at low
// priority, before the load event, so the download overlaps the page (a
// fetch never delays `load`) and the boot afterwards reads from the cache;
// into a Blob, which the browser fills outside the page's thread (reading
// the stream in JavaScript ran a task per chunk of ~20 MB). Booting at once,
// a HEAD request is enough and the boot downloads each file only once.
function checkRuntime(prefetch) {
  return Promise.all([...RUNTIME_FILES.map((name) => RUNTIME + name), STDLIB, WHEEL].map(async (url) => {
    const response = await get(url, prefetch ? { priority: "low" } : { method: "HEAD" });
    if (prefetch) await response.blob();
  }));
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
// second later), so the boot never competes with the page's own start-up.
function pageLoaded() {
  return new Promise((resolve) => {
    const idle = () => (window.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 1000 }) : setTimeout(resolve));
    if (document.readyState === "complete") idle();
    else window.addEventListener("load", idle, { once: true });
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
// just before it) and between the groups of the bootstrap's imports; or,
// given a memory snapshot, Python restored as it was once the core was
// imported. The wheel is written first either way (the snapshot holds
// Python's view of it, not the file).
async function startRuntime(modules, wheel, snapshot) {
  const [[{ loadPyodide }, runtime], bytes] = await Promise.all([modules, wheel]);
  return loadPyodide({
    indexURL: RUNTIME,
    stdLibURL: STDLIB,
    _loadSnapshot: snapshot,
    async fsInit(FS) {
      FS.writeFile(WHEEL_PATH, new Uint8Array(bytes));
      await nextTask();
    },
    async createPyodideModule(settings) {
      const module = await runtime.default(settings);
      for (const modules of snapshot ? [] : BOOTSTRAP_MODULES) {
        await nextTask();
        if (module.API.rawRun) module.API.rawRun("import " + modules);
      }
      await nextTask();
      return module;
    },
  });
}

// Imported straight from the wheel (zipimport, already loaded for the
// standard library): installing it with loadPackage took ~300 ms, most of
// it importing the package manager's own modules.
const WHEEL_PATH = "/lib/" + WHEEL.split("/").pop();

// Warm visits restore a memory snapshot of the interpreter with the core
// imported, made by snapshot-worker.mjs after an earlier visit was ready and
// kept in Cache Storage under the files it was made from (a new build never
// restores an old one). Anything that does not fit: one warning, then the
// normal boot. Not with persistence off (nothing is stored on the visitor's
// device then), nor without Cache Storage (an insecure origin, a sandboxed frame).
const SNAPSHOTS = "analytics-identity";
const SNAPSHOT_KEY = `${BASE}snapshot?of=${encodeURIComponent([RUNTIME, STDLIB, WHEEL].join(" "))}`;

function snapshots(options) {
  try {
    return Boolean(window.caches) && !options.disableClientPersistence && options.disable !== true;
  } catch {
    return false; // a sandboxed frame throws on reading `caches`
  }
}

// The saved snapshot's response (its body not read yet), if any.
async function savedSnapshot() {
  try {
    return await (await caches.open(SNAPSHOTS)).match(SNAPSHOT_KEY);
  } catch {
    return undefined; // storage refused: boot normally
  }
}

// Pyodide's snapshot: a magic number, the offset of the heap, then the heap
// (whole 64 KiB pages). Checked here because Pyodide waits forever when the
// memory it sizes from a damaged snapshot cannot hold its wasm.
async function wellFormed(saved) {
  const snapshot = new Uint8Array(await saved.arrayBuffer());
  const [magic, offset] = new Uint32Array(snapshot.buffer, 0, 2);
  const heap = snapshot.byteLength - offset;
  if (magic !== 0x706e7300 || heap < 16 << 20 || heap % 65536) throw new Error("it is damaged");
  return snapshot;
}

// Read while Pyodide fetches and compiles its wasm (it waits for the
// snapshot only to size the memory).
async function restore(modules, wheel, saved) {
  try {
    const pyodide = await startRuntime(modules, wheel, wellFormed(saved));
    pyodide.pyimport("random").seed(); // the snapshot froze the state of `random`
    performance.mark("analytics-identity:restored");
    return pyodide;
  } catch (error) {
    console.warn(`analytics-identity: the saved start-up state does not fit this runtime (${error && error.message || error}); starting normally.`);
    caches.open(SNAPSHOTS).then((cache) => cache.delete(SNAPSHOT_KEY)).catch(() => {});
  }
}

// After ready, once the page is idle: a worker boots its own runtime, imports
// the core, and saves the snapshot for the next visit. One tab at a time, and
// only while the core may store (consent given or not required: `mayStore`).
function saveSnapshotLater(mayStore) {
  const save = () => navigator.locks.request("analytics-identity:snapshot", { ifAvailable: true }, async (lock) => {
    if (!lock || !mayStore() || await savedSnapshot()) return;
    const worker = new Worker(BASE + "snapshot-worker.mjs", { type: "module" });
    await new Promise((resolve) => {
      worker.onmessage = worker.onerror = resolve;
      worker.postMessage({ runtime: RUNTIME, stdlib: STDLIB, wheel: WHEEL, path: WHEEL_PATH, cache: SNAPSHOTS, key: SNAPSHOT_KEY });
    });
    worker.terminate();
  }).catch(() => {});
  if (navigator.locks) (window.requestIdleCallback || setTimeout)(save, { timeout: 5000 });
}

async function boot(writeKey, options, saved) {
  const wheel = get(WHEEL).then((r) => r.arrayBuffer());
  const modules = Promise.all([import(RUNTIME + "pyodide.mjs"), import(RUNTIME + "pyodide.asm.mjs")]);
  const restored = saved && await restore(modules, wheel, saved);
  const pyodide = restored || await startRuntime(modules, wheel);
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
  installer.install(writeKey, options);
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

// Disabled: no runtime; window.analytics answers as analytics-next's
// NullAnalytics does (event calls resolve, ready callbacks run, user() and
// group() are empty, chained calls return it) and nothing is stored or sent.
function off() {
  const buffered = window.analytics;
  if (buffered.initialized) return; // a Python page got there first
  const nobody = { id: () => null, anonymousId: () => null, traits: () => ({}) };
  const api = {
    initialized: true,
    load: () => api,
    user: () => nobody,
    ready: async (callback) => { if (typeof callback === "function") callback(); },
    consent: () => ({ state: "pending", categoryPreferences: {}, gpc: navigator.globalPrivacyControl === true }),
  };
  for (const method of buffered.methods) {
    const event = /^(track|page|identify|group|alias|screen)$/.test(method);
    const chain = /^(on|once|off|debug|add\w+Middleware)$/.test(method);
    api[method] ??= (...args) => {
      if (method === "group" && !args.length) return nobody;
      return event ? Promise.resolve() : chain ? api : undefined;
    };
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
    const saved = snapshots(options) ? await savedSnapshot() : undefined;
    const files = saved ? Promise.resolve() : checkRuntime(!immediate);
    if (!immediate) {
      await files;
      await pageLoaded();
    }
    if (window.analytics.initialized) return; // a Python page got there first
    await Promise.all([files, boot(writeKey, options, saved)]);
  } catch (error) {
    console.error(explain(error));
  }
}
