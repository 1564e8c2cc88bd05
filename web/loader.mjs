// analytics-identity loader: boots the self-hosted Pyodide next to this file
// and hands window.analytics over to the Python core (bridge.install), which
// replays the snippet's buffer. All logic is in Python. Nothing here throws
// into the page: a runtime that cannot load leaves the buffer in place and
// says so once, on the console.

const BASE = new URL("./", import.meta.url).href;
const RUNTIME = BASE + "__RUNTIME__";
const WHEEL = BASE + "__WHEEL__";
const RUNTIME_FILES = ["pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

// Downloads the runtime into the HTTP cache at low priority while the page
// loads (a fetch never delays the load event), so the boot after `load`
// reads it from the cache instead of waiting for the network.
function prefetch() {
  for (const url of [...RUNTIME_FILES.map((name) => RUNTIME + name), WHEEL]) {
    fetch(url, { priority: "low" }).then((response) => response.arrayBuffer()).catch(() => {});
  }
}

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

// Called by the snippet's analytics.load(writeKey, options). `loadMode`:
// "idle" (default) boots after the load event, "immediate" boots at once.
export async function start(writeKey, options) {
  try {
    if (options.loadMode !== "immediate") {
      prefetch();
      await pageLoaded();
    }
    if (window.analytics.initialized) return; // a Python page got there first
    const { loadPyodide } = await import(RUNTIME + "pyodide.mjs");
    const pyodide = await loadPyodide({ indexURL: RUNTIME, packages: [WHEEL] });
    pyodide.pyimport("analytics_identity.bridge").install(writeKey, options);
  } catch (error) {
    console.error(explain(error));
  }
}
