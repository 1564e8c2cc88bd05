// analytics-identity: saves what later visits start from (see saved.mjs).
// Started by the loader after ready, in idle time, with the files the visit
// downloaded (Blobs, shared, not copied) and the wasm module it compiled, so
// nothing is downloaded or compiled twice; boots the same runtime the same
// way (runtime.mjs), imports the core without touching a page object, and
// posts one message when done.
import { compile, startRuntime } from "./runtime.mjs";
import { save } from "./saved.mjs";

self.onmessage = async ({ data: { build, files, compiled } }) => {
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
