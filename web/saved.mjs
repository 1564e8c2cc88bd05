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
// The saved snapshot's headers that say how long it is once expanded and
// how many slots the wasm's function table had when it was made.
const LENGTH = "x-expanded-length";
const FUNCTION_TABLE = "x-function-table";
// No snapshot is shorter (Pyodide's heap alone is 16 MiB or more): a length
// too short for the wasm's memory would leave Pyodide waiting forever.
const MIN_LENGTH = 16 << 20;

// The Cache Storage keys of one build's saved start: named after the files
// it was made from and Pyodide's scripts as patched (the function table's
// layout, which a snapshot holds, depends on them).
export function savedKeys(build) {
  const madeFrom = `?of=${encodeURIComponent([build.runtime, build.runtimeDigest, build.loaderRuntime, build.stdlib, build.wheel].join(" "))}`;
  return {
    snapshot: `${build.base}snapshot${madeFrom}`,
    stdlib: `${build.base}saved/boot_stdlib.zip${madeFrom}`,
    wasm: `${build.base}saved/pyodide.asm.wasm${madeFrom}`,
  };
}

// What an earlier visit saved, if whole (the worker stores the snapshot
// last): the responses, their bodies not read yet, the length the snapshot
// expands to (Pyodide sizes its memory from it: the runtime is made before
// the snapshot is unzipped) and the length of the function table it was made
// with (`startRuntime` checks it). A snapshot saved without them counts as
// none: this visit boots normally and saves again.
export async function savedStart(build) {
  try {
    // Looked up without opening the cache, which would create it on a first
    // visit (a write to disk before the download can start: ~15 ms there).
    const keys = savedKeys(build);
    const [snapshot, stdlib, wasm] = await Promise.all([keys.snapshot, keys.stdlib, keys.wasm]
      .map((key) => caches.match(key, { cacheName: CACHE })));
    const [length, table] = [LENGTH, FUNCTION_TABLE].map((name) => snapshot && Number(snapshot.headers.get(name)));
    const whole = length >= MIN_LENGTH && Number.isSafeInteger(length) && table > 0 && stdlib && wasm;
    return whole ? { snapshot, stdlib, wasm, length, table } : undefined;
  } catch {
    return undefined; // storage refused: boot normally
  }
}

export function forget(build) {
  const keys = Object.values(savedKeys(build));
  return caches.open(CACHE).then((cache) => Promise.all(keys.map((key) => cache.delete(key))));
}

// Stores one build's start, replacing what was saved before; the snapshot
// last, as the loader takes its presence to mean the set is whole.
export async function save(build, { snapshot, table, stdlib, wasm }) {
  const keys = savedKeys(build);
  const store = await caches.open(CACHE);
  // Whatever is there is not a whole start of this build (it would not be
  // saving): deleted first, never written over. (Written over, WebKit's page
  // died in 2 of ~20 runs of the test that leaves a snapshot without its
  // length, cause not found; none in 8 runs since.)
  for (const old of await store.keys()) await store.delete(old);
  await store.put(keys.wasm, new Response(wasm, { headers: { "content-type": "application/wasm" } }));
  await store.put(keys.stdlib, new Response(stdlib, { headers: { "content-type": "application/zip" } }));
  await store.put(keys.snapshot, await compressed(withoutZeroPages(snapshot), { [LENGTH]: String(snapshot.length), [FUNCTION_TABLE]: String(table) }));
}

// Gzipped, where the engine can: the snapshot's pages that hold anything
// (~12.5 MB) come to ~5 MB, more than a quarter of what a visit leaves on
// the visitor's disk. Compressed here, in the worker; unzipped as the loader
// reads it while the page loads, before the boot needs it.
async function compressed(blob, headers) {
  if (typeof CompressionStream !== "function") return new Response(blob, { headers });
  const zipped = await new Response(blob.stream().pipeThrough(new CompressionStream("gzip"))).blob();
  return new Response(zipped, { headers: { ...headers, "content-type": "application/gzip" } });
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

// The saved snapshot stored under `key` (savedKeys' `snapshot`), unzipped (in
// the worker, for the loader). Looked up as in `savedStart`, without opening
// the cache: the worker starts before the loader knows whether anything was
// saved, and opening it would create it on a first visit.
export async function unzipSaved(key) {
  const saved = await caches.match(key, { cacheName: CACHE });
  if (!saved) throw new Error("nothing is saved");
  return unzipped(saved);
}

// What `withoutZeroPages` stored, unzipped.
export async function unzipped(saved) {
  const body = saved.headers.get("content-type") === "application/gzip"
    ? saved.body.pipeThrough(new DecompressionStream("gzip")) : saved.body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}

// The length of the snapshot `stored` expands to. Checked against the saved
// length before Python is restored.
function expandedLength(stored) {
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const offset = stored.length >= 8 ? view.getUint32(4, true) : 0;
  const heap = offset >= 8 && offset + 4 <= stored.length ? view.getUint32(offset, true) : 0;
  if (!heap || view.getUint32(0, true) !== 0x706e7300 || heap % 65536) throw new Error("it is damaged");
  return offset + heap;
}

// The snapshot `withoutZeroPages` stored (`length` long once expanded),
// written into the wasm's `memory` where Pyodide's restore would have copied
// it, a run of pages at a time; resolves to the snapshot's header, which
// Pyodide's restore reads. A run of zero pages is written as zeros only
// below `written`, where the runtime's start-up may have written: past it,
// the memory is still the zeros the wasm's instantiation made (writing them
// again had the browser back ~8 MB more of the memory with pages).
export function expandInto(memory, stored, length, written) {
  if (expandedLength(stored) !== length) throw new Error("it is damaged");
  const offset = new DataView(stored.buffer, stored.byteOffset).getUint32(4, true);
  const pages = (length - offset) / 4096;
  if (memory.length < length - offset) throw new Error("the runtime's memory is too small for it");
  const kept = (page) => stored[offset + 4 + (page >> 3)] & (1 << (page & 7));
  let from = offset + 4 + Math.ceil(pages / 8);
  for (let page = 0; page < pages;) {
    let end = page;
    const keep = kept(page);
    while (end < pages && Boolean(kept(end)) === Boolean(keep)) end++; // a run of pages alike, written at once
    const bytes = (end - page) * 4096;
    if (!keep) memory.fill(0, page * 4096, Math.min(end * 4096, Math.max(page * 4096, written)));
    else if (from + bytes > stored.length) throw new Error("it is damaged");
    else memory.set(stored.subarray(from, from += bytes), page * 4096);
    page = end;
  }
  if (from !== stored.length) throw new Error("it is damaged");
  return stored.subarray(0, offset);
}
