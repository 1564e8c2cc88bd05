// analytics-identity: saves what later visits start from (see saved.mjs).
// Started by the loader after ready, in idle time, with the files the visit
// downloaded (Blobs, shared, not copied) and the wasm module it compiled, so
// nothing is downloaded or compiled twice; boots the same runtime the same
// way (runtime.mjs), imports the core without touching a page object, and
// posts one message when done. A warm visit's loader also starts it to
// expand the saved snapshot (expandHere).
import { compile, startRuntime } from "./runtime.mjs";
import { expandSaved, save } from "./saved.mjs";

// A warm visit's loader asks for the saved snapshot: reading, unzipping and
// expanding it here keeps ~60 ms of work off the page's main thread while
// the page loads. The snapshot goes back transferred, not copied.
async function expandHere(build) {
  try {
    const snapshot = await expandSaved(build);
    self.postMessage(snapshot, [snapshot.buffer]);
  } catch (error) {
    self.postMessage(String(error && error.message || error));
  }
}

self.onmessage = async ({ data: { build, files, compiled, expand } }) => {
  if (expand) return expandHere(build);
  try {
    const modules = Promise.all([import(build.runtime + "pyodide.mjs"), import(build.runtime + "pyodide.asm.mjs")]);
    const pyodide = await startRuntime(build, {
      files, modules, compiled: compiled ? Promise.resolve(compiled) : compile(files.wasm), makeSnapshot: true,
    });
    pyodide.pyimport("analytics_identity.browser.install");
    await save(build, { snapshot: pyodide.makeMemorySnapshot(), stdlib: files.stdlib, wasm: files.wasm });
    self.postMessage("saved");
  } catch (error) {
    self.postMessage(String(error));
  }
};
