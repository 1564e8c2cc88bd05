// analytics-identity: saves what later visits start from (see loader.mjs): a
// memory snapshot of the interpreter with the core imported, and the wasm and
// standard library it was made with, decoded, in Cache Storage under the
// files' URLs, replacing what older builds saved. Started by the loader after
// ready, in idle time; posts one message when done.
//
// Why decoded copies: read back from the HTTP cache, the brotli-served wasm
// took ~90 ms and the standard library ~65 ms to decode on a warm visit;
// from Cache Storage, ~16 ms for the wasm. The snapshot is stored without its
// zero pages (19 of its 31.5 MB).
self.onmessage = async ({ data: { runtime, stdlib, wheel, path, cache, keys } }) => {
  try {
    const { loadPyodide } = await import(runtime + "pyodide.mjs");
    const bytes = new Uint8Array(await (await fetch(wheel)).arrayBuffer());
    const pyodide = await loadPyodide({
      indexURL: runtime, stdLibURL: stdlib, _makeSnapshot: true, fsInit: (FS) => FS.writeFile(path, bytes),
    });
    pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(path)}); import analytics_identity.browser.install`);
    const saved = {
      snapshot: new Response(withoutZeroPages(pyodide.makeMemorySnapshot())),
      wasm: await decoded(runtime + "pyodide.asm.wasm", "application/wasm"),
      stdlib: await decoded(stdlib, "application/zip"),
    };
    const store = await caches.open(cache);
    const current = new Set(Object.values(keys));
    for (const old of await store.keys()) if (!current.has(old.url)) await store.delete(old);
    // The snapshot last: the loader takes its presence to mean the set is whole.
    for (const name of ["wasm", "stdlib", "snapshot"]) await store.put(keys[name], saved[name]);
    self.postMessage("saved");
  } catch (error) {
    self.postMessage(String(error));
  }
};

async function decoded(url, type) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return new Response(await response.blob(), { headers: { "content-type": type } });
}

// Pyodide's header as it is (up to the heap's offset, its second word), the
// heap's length, a bit per 4 KiB page of the heap (set: the page is stored),
// then the pages that hold anything. loader.mjs `expand` undoes it.
function withoutZeroPages(snapshot) {
  const offset = new DataView(snapshot.buffer, snapshot.byteOffset).getUint32(4, true);
  const heap = snapshot.subarray(offset);
  const pages = Math.ceil(heap.length / 4096);
  const map = new Uint8Array(4 + Math.ceil(pages / 8));
  new DataView(map.buffer).setUint32(0, heap.length, true);
  const kept = [];
  for (let page = 0; page < pages; page++) {
    const bytes = heap.subarray(page * 4096, (page + 1) * 4096);
    if (bytes.some((byte) => byte !== 0)) {
      map[4 + (page >> 3)] |= 1 << (page & 7);
      kept.push(bytes);
    }
  }
  return new Blob([snapshot.subarray(0, offset), map, ...kept]);
}
