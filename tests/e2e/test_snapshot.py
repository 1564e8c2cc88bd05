"""Warm visits restore the interpreter from a memory snapshot an earlier visit
saved; a snapshot that does not fit falls back to the normal boot with one warning."""

from __future__ import annotations

import json
import time

from playwright.sync_api import ConsoleMessage, Page

from tests.conftest import config
from tests.e2e.engines.fixtures import WEBKIT_CANNOT_ROUTE
from tests.e2e.helpers import boot, load_options, wait_ready

SNAPSHOTS = "caches.open('analytics-identity').then((cache) => cache.keys())"
RESTORED = "performance.getEntriesByName('analytics-identity:restored').length"
#: The start of a page function that has the saved snapshot's ``cache``, ``key`` and response (``saved``).
WITH_SAVED = """async () => {
    const cache = await caches.open('analytics-identity');
    const key = (await cache.keys()).find((request) => request.url.includes("/snapshot?"));
    const saved = await cache.match(key);
"""


def poll(page: Page, condition: str, failure: str) -> None:
    """Waits, as long as a boot may take, until the page function ``condition`` answers true."""
    deadline = time.monotonic() + config.BOOT_TIMEOUT_MS / 1000
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, failure
        page.wait_for_timeout(250)


def saved_snapshot(page: Page) -> None:
    """Waits until the page's idle-time worker has saved its snapshot, with the
    standard library and the wasm it was made with."""
    poll(page, f"{SNAPSHOTS}.then((keys) => keys.length === 3)", "no snapshot was saved")


def saved_snapshot_changed(change: str) -> str:
    """A page function that runs ``change`` (JavaScript) on the saved snapshot's unzipped ``bytes`` and stores it gzipped again."""
    return (WITH_SAVED + """
        const bytes = new Uint8Array(await new Response(saved.body.pipeThrough(new DecompressionStream("gzip")))
          .arrayBuffer());
        """ + change + """
        const zipped = await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).blob();
        await cache.put(key, new Response(zipped, { headers: saved.headers }));
    }""")


def saved_headers_changed(change: str) -> str:
    """A page function that runs ``change`` (JavaScript) on a copy of the saved snapshot's ``headers`` and stores it with them."""
    return (WITH_SAVED + """
        const headers = new Headers(saved.headers);
        """ + change + """
        await cache.put(key, new Response(await saved.blob(), { headers }));
    }""")


def warnings(page: Page) -> list[str]:
    seen: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type == "warning" and message.text.startswith("analytics-identity:"):
            seen.append(message.text)

    page.on("console", note)
    return seen


def refused_after(page: Page, base_url: str, change: str, says: str) -> None:
    """A warm visit after the page function ``change`` altered what the first visit saved boots
    normally, with one warning that says ``says``, and keeps the visitor."""
    boot(page, base_url)
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    saved_snapshot(page)
    page.evaluate(change)
    seen = warnings(page)
    boot(page, base_url)
    assert page.evaluate(RESTORED) == 0
    assert len(seen) == 1 and says in seen[0] and "starting normally" in seen[0], seen
    assert page.evaluate("analytics.user().anonymousId()") == anonymous_id


def test_a_warm_visit_restores_the_snapshot_and_keeps_the_visitor(page: Page, base_url: str) -> None:
    boot(page, base_url)
    assert page.evaluate(RESTORED) == 0
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    saved_snapshot(page)
    # Gzipped in every engine tested (all have CompressionStream): less than half the pages it holds.
    stored = page.evaluate(WITH_SAVED + """
        return { type: saved.headers.get("content-type"), zipped: (await saved.clone().arrayBuffer()).byteLength,
                 pages: (await new Response(saved.body.pipeThrough(new DecompressionStream("gzip")))
                   .arrayBuffer()).byteLength };
    }""")
    assert stored["type"] == "application/gzip" and stored["zipped"] < stored["pages"] / 2, stored
    seen = warnings(page)
    boot(page, base_url, before="analytics.track('Warm')")
    assert page.evaluate(RESTORED) == 1
    # The saved standard library replaced a read of the HTTP cache's.
    fetched = page.evaluate("performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert not [url for url in fetched if url.endswith("_stdlib.zip")], fetched
    assert page.evaluate("analytics.user().anonymousId()") == anonymous_id
    event = page.evaluate("analytics.identify('u-1', {plan: 'pro'}).then((ctx) => ctx.event)")
    assert event["userId"] == "u-1" and event["anonymousId"] == anonymous_id
    assert seen == []


def test_a_snapshot_that_does_not_fit_falls_back_to_the_normal_boot_with_one_warning(
        page: Page, base_url: str) -> None:
    boot(page, base_url)
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    saved_snapshot(page)
    # As if saved by another build of the runtime: one byte of its build id differs.
    page.evaluate(saved_snapshot_changed("bytes[20] ^= 1;"))
    seen = warnings(page)
    page.goto(base_url + "/blank.html")
    page.evaluate(f"analytics.load('test-key', {json.dumps(load_options(base_url))})")
    wait_ready(page)
    assert page.evaluate(RESTORED) == 0
    assert len(seen) == 1 and "does not fit" in seen[0] and "starting normally" in seen[0]
    assert page.evaluate("analytics.user().anonymousId()") == anonymous_id
    assert page.evaluate("analytics.track('After').then((ctx) => ctx.event.event)") == "After"
    saved_snapshot(page)  # a new one replaces it, and fits
    boot(page, base_url)
    assert page.evaluate(RESTORED) == 1 and len(seen) == 1


def test_a_snapshot_whose_header_is_damaged_falls_back_to_the_normal_boot(page: Page, base_url: str) -> None:
    """The warm visit sizes the runtime from the snapshot's saved length; a header that cannot be
    Pyodide's (here its heap's length is odd) is refused before Python is restored."""
    # The heap's length, stored after Pyodide's header.
    refused_after(page, base_url, saved_snapshot_changed("bytes[new DataView(bytes.buffer).getUint32(4, true)] ^= 1;"),
                  "damaged")


def test_a_snapshot_made_with_another_function_table_falls_back_to_the_normal_boot(page: Page, base_url: str) -> None:
    """Its memory holds functions' slots in the wasm's table: made by a runtime that linked another table
    (an older pyodide.asm.mjs from the HTTP cache, say), it is refused before Python is restored."""
    refused_after(page, base_url, saved_headers_changed(
        'headers.set("x-function-table", String(Number(headers.get("x-function-table")) + 8560));'), "another runtime")


def test_a_snapshot_saved_without_its_length_is_made_again(page: Page, base_url: str) -> None:
    """As an earlier loader saved it: the visit boots as a first one, without a warning, and saves one that restores."""
    boot(page, base_url)
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    saved_snapshot(page)
    page.evaluate(saved_headers_changed('headers.delete("x-expanded-length");'))
    seen = warnings(page)
    boot(page, base_url)
    assert page.evaluate(RESTORED) == 0
    assert page.evaluate("analytics.user().anonymousId()") == anonymous_id
    poll(page, WITH_SAVED + "return Boolean(saved && saved.headers.has('x-expanded-length')); }",
         "no snapshot was saved again")
    boot(page, base_url)
    assert page.evaluate(RESTORED) == 1 and seen == []
    assert page.evaluate("analytics.user().anonymousId()") == anonymous_id


@WEBKIT_CANNOT_ROUTE
def test_a_warm_visit_whose_worker_cannot_start_expands_the_snapshot_on_the_page(page: Page, base_url: str) -> None:
    """The warm visit unzips the snapshot in a worker; without one (here its script answers 404) the page does it."""
    boot(page, base_url)
    anonymous_id = page.evaluate("analytics.user().anonymousId()")
    saved_snapshot(page)
    seen = warnings(page)
    page.route("**/snapshot-worker.mjs", lambda route: route.fulfill(status=404, body="gone"))
    boot(page, base_url)
    assert seen == []
    assert page.evaluate(RESTORED) == 1
    assert page.evaluate("analytics.user().anonymousId()") == anonymous_id


def test_a_saved_snapshot_that_cannot_be_read_falls_back_to_the_normal_boot(page: Page, base_url: str) -> None:
    """Cut short (as a disk could leave it), it fails before the runtime starts, and the page boots as on a first visit."""
    refused_after(page, base_url, WITH_SAVED + """
        const bytes = new Uint8Array(await saved.arrayBuffer());
        await cache.put(key, new Response(bytes.subarray(0, bytes.length >> 1), { headers: saved.headers }));
    }""", "")


def test_a_saved_wasm_that_cannot_be_compiled_falls_back_to_the_normal_boot(page: Page, base_url: str) -> None:
    """Pyodide's set-up starts while the saved wasm compiles; a compile that fails (here the saved copy is a
    truncated module) fails the restore, and the page boots as on a first visit, with one warning."""
    refused_after(page, base_url, """async () => {
        const cache = await caches.open("analytics-identity");
        const key = (await cache.keys()).find((request) => request.url.includes("/saved/pyodide.asm.wasm?"));
        const saved = await cache.match(key);
        await cache.put(key, new Response(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]), { headers: saved.headers }));
    }""", "")
