// analytics-identity: makes the memory snapshot that later visits restore
// (see loader.mjs). It boots the same runtime, standard library and wheel as
// the page, imports the core without touching any page object, and saves the
// interpreter's memory in Cache Storage, replacing snapshots of older builds.
// Started by the loader after ready, in idle time; posts one message when done.
self.onmessage = async ({ data: { runtime, stdlib, wheel, path, cache, key } }) => {
  try {
    const { loadPyodide } = await import(runtime + "pyodide.mjs");
    const bytes = new Uint8Array(await (await fetch(wheel)).arrayBuffer());
    const pyodide = await loadPyodide({
      indexURL: runtime, stdLibURL: stdlib, _makeSnapshot: true, fsInit: (FS) => FS.writeFile(path, bytes),
    });
    pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(path)}); import analytics_identity.browser.install`);
    const snapshot = pyodide.makeMemorySnapshot();
    const store = await caches.open(cache);
    for (const old of await store.keys()) if (old.url !== key) await store.delete(old);
    await store.put(key, new Response(snapshot));
    self.postMessage("saved");
  } catch (error) {
    self.postMessage(String(error));
  }
};
