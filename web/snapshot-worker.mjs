// analytics-identity: saves what later visits start from (see saved.mjs).
// Started by the loader after ready, in idle time, with the files the visit
// downloaded (Blobs, shared, not copied) and the wasm module it compiled, so
// nothing is downloaded or compiled twice; boots the same runtime the same
// way (runtime.mjs), imports the core without touching a page object, and
// posts one message when done. The loader also starts it to unzip a saved
// snapshot (unzipHere).
import { compile, importRuntime, startRuntime, tableLength } from "./runtime.mjs";
import { save, unzipSaved } from "./saved.mjs";

// The loader asks for the snapshot saved under `key`: reading and unzipping
// it here keeps ~80 ms of work off the page's main thread while the page
// loads. One message: the bytes, transferred, not copied; or why not.
async function unzipHere(key) {
  try {
    const stored = await unzipSaved(key);
    self.postMessage(stored, [stored.buffer]);
  } catch (error) {
    self.postMessage(String(error && error.message || error));
  }
}

// The key comes in this script's URL, after the `#` (which the HTTP cache
// ignores), so the read starts as soon as the script runs: a message posted
// before the worker started reached it only 12-23 ms later, once the page's
// busy thread had passed it on.
if (location.hash) unzipHere(decodeURIComponent(location.hash.slice(1)));

self.onmessage = async ({ data: { build, files, compiled } }) => {
  try {
    const pyodide = await startRuntime(build, {
      files, modules: importRuntime(build), compiled: compiled ? Promise.resolve(compiled) : compile(files.wasm), makeSnapshot: true,
    });
    pyodide.pyimport("analytics_identity.browser.install");
    await save(build, { snapshot: pyodide.makeMemorySnapshot(), table: tableLength(pyodide._module), stdlib: files.stdlib, wasm: files.wasm });
    self.postMessage("saved");
  } catch (error) {
    self.postMessage(String(error));
  }
};
