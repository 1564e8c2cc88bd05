// What a visit saves for the next one, and its format: a memory snapshot of
// the interpreter with the core imported (made by snapshot-worker.mjs after a
// visit was ready; its zero pages left out, then gzipped), the trimmed
// standard library it was made with and the decoded wasm (compiled from a
// gzipped copy or the HTTP cache, a warm visit was 150-600 ms slower, with a
// long task over 200 ms), in Cache Storage under the URLs of the files they
// were made from (a new build never restores an old one). The loader reads
// them (`savedStart`, `unzipped`, `expandInto`), the worker writes them (`save`)
// and unzips the snapshot for the loader (`unzipSaved`). Bundled into both by the build.

const CACHE = "analytics-identity";

// The Cache Storage keys of one build's saved start.
export function savedKeys(build) {
  const madeFrom = `?of=${encodeURIComponent([build.runtime, build.stdlib, build.wheel].join(" "))}`;
  return {
    snapshot: `${build.base}snapshot${madeFrom}`,
    stdlib: `${build.base}saved/boot_stdlib.zip${madeFrom}`,
    wasm: `${build.base}saved/pyodide.asm.wasm${madeFrom}`,
  };
}

// What an earlier visit saved, if whole (the worker stores the snapshot
// last): the responses, their bodies not read yet.
export async function savedStart(build) {
  try {
    const cache = await caches.open(CACHE);
    const keys = savedKeys(build);
    const [snapshot, stdlib, wasm] = await Promise.all([keys.snapshot, keys.stdlib, keys.wasm].map((key) => cache.match(key)));
    return snapshot && stdlib && wasm ? { snapshot, stdlib, wasm } : undefined;
  } catch {
    return undefined; // storage refused: boot normally
  }
}

export function forget(build) {
  const keys = Object.values(savedKeys(build));
  return caches.open(CACHE).then((cache) => Promise.all(keys.map((key) => cache.delete(key))));
}

// Stores one build's start, replacing what older builds saved; the snapshot
// last, as the loader takes its presence to mean the set is whole.
export async function save(build, { snapshot, stdlib, wasm }) {
  const keys = savedKeys(build);
  const store = await caches.open(CACHE);
  const current = new Set(Object.values(keys));
  for (const old of await store.keys()) if (!current.has(old.url)) await store.delete(old);
  await store.put(keys.wasm, new Response(wasm, { headers: { "content-type": "application/wasm" } }));
  await store.put(keys.stdlib, new Response(stdlib, { headers: { "content-type": "application/zip" } }));
  await store.put(keys.snapshot, await compressed(withoutZeroPages(snapshot)));
}

// Gzipped, where the engine can: the snapshot's pages that hold anything
// (~12.5 MB) come to ~5 MB, more than a quarter of what a visit leaves on
// the visitor's disk. Compressed here, in the worker; unzipped as the loader
// reads it while the page loads, before the boot needs it.
async function compressed(blob) {
  if (typeof CompressionStream !== "function") return new Response(blob);
  const zipped = await new Response(blob.stream().pipeThrough(new CompressionStream("gzip"))).blob();
  return new Response(zipped, { headers: { "content-type": "application/gzip" } });
}

// The snapshot without its zero pages (19 of its 31.5 MB): Pyodide's header
// as it is (up to the heap's offset, its second word), the heap's length, a
// bit per 4 KiB page of the heap (set: the page is stored), then the pages
// that hold anything.
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

// The saved snapshot of one build as stored, unzipped (in the worker, for the
// loader); `onLength` as in `unzipped`.
export async function unzipSaved(build, onLength) {
  const saved = await (await caches.open(CACHE)).match(savedKeys(build).snapshot);
  if (!saved) throw new Error("it is gone");
  return unzipped(saved, onLength);
}

// What `withoutZeroPages` stored, unzipped. `onLength` is told the length of
// the snapshot it expands to as soon as its first bytes are unzipped: Pyodide
// sizes its memory from it, so the runtime can be made while the rest is.
export async function unzipped(saved, onLength = () => {}) {
  const body = saved.headers.get("content-type") === "application/gzip"
    ? saved.body.pipeThrough(new DecompressionStream("gzip")) : saved.body;
  const [head, whole] = body.tee();
  readLength(head).then(onLength, () => {}); // a damaged start fails the whole read too
  return new Uint8Array(await new Response(whole).arrayBuffer());
}

async function readLength(stream) {
  const reader = stream.getReader();
  try {
    let bytes = new Uint8Array(0);
    while (bytes.length < 8 || bytes.length < new DataView(bytes.buffer).getUint32(4, true) + 4) {
      const { value, done } = await reader.read();
      if (done) break;
      const longer = new Uint8Array(bytes.length + value.length);
      longer.set(bytes);
      longer.set(value, bytes.length);
      bytes = longer;
    }
    return expandedLength(bytes);
  } finally {
    reader.cancel().catch(() => {});
  }
}

// The length of the snapshot `stored` (or its first bytes) expands to.
// Checked here because Pyodide waits forever when the memory it sizes from a
// damaged snapshot cannot hold its wasm (Pyodide checks its build id).
export function expandedLength(stored) {
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const offset = stored.length >= 8 ? view.getUint32(4, true) : 0;
  const heap = offset >= 8 && offset + 4 <= stored.length ? view.getUint32(offset, true) : 0;
  if (!heap || view.getUint32(0, true) !== 0x706e7300 || heap < 16 << 20 || heap % 65536) {
    throw new Error("it is damaged");
  }
  return offset + heap;
}

// Pyodide's snapshot, written into `snapshot` (zeros, `expandedLength`
// long) from what `withoutZeroPages` stored, a run of pages at a time.
export function expandInto(snapshot, stored) {
  if (expandedLength(stored) !== snapshot.length) throw new Error("it is damaged");
  const offset = new DataView(stored.buffer, stored.byteOffset).getUint32(4, true);
  const pages = (snapshot.length - offset) / 4096;
  snapshot.set(stored.subarray(0, offset));
  const kept = (page) => stored[offset + 4 + (page >> 3)] & (1 << (page & 7));
  let from = offset + 4 + Math.ceil(pages / 8);
  for (let page = 0; page < pages && from <= stored.length;) {
    let end = page;
    while (end < pages && kept(end)) end++; // a run of stored pages, copied at once
    const bytes = (end - page) * 4096;
    snapshot.set(stored.subarray(from, from + bytes), offset + page * 4096);
    from += bytes;
    page = end + 1;
  }
  if (from !== stored.length) throw new Error("it is damaged");
  return snapshot;
}
