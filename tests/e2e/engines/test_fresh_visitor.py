"""Each test in WebKit and Firefox starts as a visitor the browser has never seen, as a Playwright context does.

One browser per engine serves the whole session (tests/e2e/engines/fixtures.py),
so what a test leaves behind must be gone for the next: cookies, every kind
of storage the core or the loader uses, scripts added to every document,
extra tabs.
"""

from __future__ import annotations

import pytest

from tests.e2e.engines.fixtures import ENGINES, Started
from tests.e2e.engines.page import EngineContext

LEAVE = """async () => {
    document.cookie = "ajs_anonymous_id=left-over; max-age=86400; path=/";
    localStorage.setItem("ajs_anonymous_id", '"left-over"');
    sessionStorage.setItem("left", "over");
    await (await caches.open("analytics-identity")).put("/left-over", new Response("left over"));
    await new Promise((resolve) => { indexedDB.open("left-over").onsuccess = resolve; });
}"""

LOOK = """async () => ({
    cookie: document.cookie, local: localStorage.length, session: sessionStorage.length,
    caches: await caches.keys(), databases: (await indexedDB.databases()).map((db) => db.name),
    script: window.leftOver ?? false,
})"""

NOTHING = {"cookie": "", "local": 0, "session": 0, "caches": [], "databases": [], "script": False}


@pytest.mark.parametrize("name", list(ENGINES))
def test_what_a_test_leaves_is_gone_for_the_next(name: str, started_engines: Started, base_url: str) -> None:
    engine = started_engines[name]
    left = EngineContext(engine).new_page()
    left.goto(base_url + "/blank.html")
    left.evaluate(LEAVE)
    left.context.add_init_script("window.leftOver = true")
    left.context.new_page().goto(base_url + "/blank.html")
    left.reload()
    assert left.evaluate(LOOK) == {"cookie": "ajs_anonymous_id=left-over", "local": 1, "session": 1,
                                   "caches": ["analytics-identity"], "databases": ["left-over"], "script": True}
    assert len(engine.tabs()) == 2

    context = EngineContext(engine)  # the next test's
    page = context.new_page()
    page.goto(base_url + "/blank.html")
    assert page.evaluate(LOOK) == NOTHING
    assert context.cookies() == [] and engine.tabs() == [page.tab]
