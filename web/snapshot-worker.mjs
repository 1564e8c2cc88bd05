// analytics-identity: saves what later visits start from (see saved.mjs).
// Started by the loader after ready, in idle time, with the files the visit
// downloaded (Blobs, shared, not copied) and the wasm module it compiled, so
// nothing is downloaded or compiled twice; boots the same runtime the same
// way (runtime.mjs), imports the core without touching a page object, and
// posts one message when done. A warm visit's loader also starts it to
// unzip the saved snapshot (unzipHere).
import { compile, importRuntime, startRuntime, tableLength } from "./runtime.mjs";
import { save, unzipSaved } from "./saved.mjs";

// A warm visit's loader asks for the saved snapshot: reading and unzipping
// it here keeps ~60 ms of work off the page's main thread while the page
// loads. One message: the bytes, transferred, not copied.
async function unzipHere(build) {
  try {
    const stored = await unzipSaved(build);
    self.postMessage(stored, [stored.buffer]);
  } catch (error) {
    self.postMessage(String(error && error.message || error));
  }
}

self.onmessage = async ({ data: { build, files, compiled, unzip } }) => {
  if (unzip) return unzipHere(build);
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
