"""Where WebKit and Firefox differ from Chromium, what the library relies on holds (docs/engines.md).

Each test feature-detects what the engine has, then checks that the
library took the path it takes on that engine and that the path works:
the boot hands the thread back between its steps through ``scheduler.yield``
or, without it, a timer; the wasm is compiled once off the main thread and
that module instantiated, on a cold visit and from Cache Storage on a warm
one; the first-visit and snapshot locks are taken; events held in the queue
are delivered when the page is left; an id too long for a cookie is kept in
localStorage in every engine, even one that would take the cookie; and a
cookie written from script lasts what the engine allows (WebKit's tracking
prevention: 7 days).
"""

from __future__ import annotations

import json
import time

from tests.conftest import config
from tests.e2e.engines.engine import Engine
from tests.e2e.engines.test_walkthrough import (
    COMPLAINTS, COOKIE_DAYS, PAGE, RESTORED, SNAPSHOT_SAVED, boot, first_visit, lasts, stored,
)
from tests.e2e.test_delivery import collected
from tests.e2e.test_identity_examples import events

#: Counts, from before the loader runs, how the page hands the thread back and
#: waits for idle time: ``scheduler.yield()`` calls, timers set with no delay
#: (the fallback's ``setTimeout(resolve)``) and ``requestIdleCallback`` calls.
COUNT_YIELDS = """
    window.counted = { yields: 0, zeroTimers: 0, idle: 0 };
    if (globalThis.scheduler && scheduler.yield) {
        const yield_ = scheduler.yield.bind(scheduler);
        scheduler.yield = () => { counted.yields++; return yield_(); };
    }
    const timer = setTimeout;
    window.setTimeout = function (callback, ...rest) {
        if (!rest.length) counted.zeroTimers++;
        return timer.call(this, callback, ...rest);
    };
    if (window.requestIdleCallback) {
        const idle = requestIdleCallback;
        window.requestIdleCallback = function () { counted.idle++; return idle.apply(this, arguments); };
    }
"""

#: Counts the page's WebAssembly compiles and instantiations, and the locks it asks for.
COUNT_WASM_AND_LOCKS = """
    window.counted = { compiled: 0, fromModule: 0, streamed: 0, locks: [] };
    const compile = WebAssembly.compileStreaming, instantiate = WebAssembly.instantiate,
          streaming = WebAssembly.instantiateStreaming, modules = [];
    WebAssembly.compileStreaming = function () {
        counted.compiled++;
        return compile.apply(this, arguments).then((module) => { modules.push(module); return module; });
    };
    WebAssembly.instantiate = function (source) {  // Pyodide instantiates small modules of its own too
        if (modules.includes(source)) counted.fromModule++;
        return instantiate.apply(this, arguments);
    };
    WebAssembly.instantiateStreaming = function () { counted.streamed++; return streaming.apply(this, arguments); };
    if (navigator.locks) {  // on the prototype: WebKit may recreate navigator.locks, without what was set on it
        const request = LockManager.prototype.request;
        LockManager.prototype.request = function (name) { counted.locks.push(name); return request.apply(this, arguments); };
    }
"""


def has(engine: Engine, feature: str) -> bool:
    return bool(engine.run(f"Boolean({feature})"))


def test_the_boot_hands_the_thread_back_with_what_the_engine_has(engine: Engine, base_url: str) -> None:
    """Chromium and Firefox have ``scheduler.yield``; WebKit neither it nor ``requestIdleCallback``:
    the boot's steps are then separated by timers, and it starts at the next task after ``load``."""
    first_visit(engine, base_url, before=COUNT_YIELDS)
    engine.wait_for(SNAPSHOT_SAVED, config.BOOT_TIMEOUT_MS / 1000)  # the save waits for idle time too
    counted = engine.run("counted")
    if has(engine, "globalThis.scheduler && scheduler.yield"):
        assert counted["yields"] >= 10, counted  # one per step: modules imported one a task
    else:
        assert counted["yields"] == 0 and counted["zeroTimers"] >= 10, counted
    idle = has(engine, "window.requestIdleCallback")
    assert (counted["idle"] >= 2) if idle else (counted["idle"] == 0), counted  # the boot's start and the save
    assert engine.run(COMPLAINTS) == []


def test_the_wasm_is_compiled_once_and_that_module_instantiated_cold_and_warm(engine: Engine, base_url: str) -> None:
    """Both engines compile from a ``Response`` off the main thread (``compileStreaming``) and
    instantiate the module, never falling back to Pyodide's own ``instantiateStreaming``; a warm
    visit compiles the wasm kept in Cache Storage and restores the snapshot."""
    first_visit(engine, base_url, before=COUNT_WASM_AND_LOCKS)
    assert engine.run("[counted.compiled, counted.fromModule, counted.streamed]") == [1, 1, 0]
    engine.wait_for(SNAPSHOT_SAVED, config.BOOT_TIMEOUT_MS / 1000)
    assert engine.run("counted.locks") == ["analytics-identity:init", "analytics-identity:snapshot"]
    engine.reload()
    boot(engine, base_url, before=COUNT_WASM_AND_LOCKS)
    assert engine.run(RESTORED)
    assert engine.run("counted") == {"compiled": 1, "fromModule": 1, "streamed": 0,
                                     "locks": ["analytics-identity:init"]}  # nothing left to save
    assert engine.run(COMPLAINTS) == []


def test_events_held_in_the_queue_are_delivered_when_the_page_is_left(engine: Engine, base_url: str) -> None:
    """``pagehide`` sends what waits with ``fetch(..., {keepalive: true})``, which outlives the page."""
    held = {"strategy": "batching", "config": {"size": 50, "timeout": 600_000}}
    anonymous = first_visit(engine, base_url, deliveryStrategy=held)  # type: ignore[arg-type]
    engine.execute(f"analytics.track('Before leaving', {{engine: '{engine.name}'}});"
                   " analytics.track('Right before leaving');")
    time.sleep(0.5)
    assert collected(base_url, anonymousId=anonymous) == []  # held: the batch waits for 50 events
    engine.goto(base_url + "/healthz")  # leaving fires pagehide
    sent = events(base_url, 2, anonymousId=anonymous)
    assert sorted(event["event"] for event in sent) == ["Before leaving", "Right before leaving"]
    assert sent[0]["properties"] == {"engine": engine.name} or sent[1]["properties"] == {"engine": engine.name}


def kept(engine: Engine, name: str, value_bytes: int) -> bool:
    """Whether the engine keeps a cookie written from script with a value of ``value_bytes``."""
    return engine.execute(f"""const value = "x".repeat({value_bytes});
        document.cookie = "{name}=" + value + "; path=/";
        const found = document.cookie.includes("{name}=" + value);
        document.cookie = "{name}=; max-age=0; path=/";
        return found;""")


def test_an_id_too_long_for_a_cookie_stays_in_local_storage_whatever_the_engine_keeps(
        engine: Engine, base_url: str) -> None:
    """Chromium and Firefox drop a cookie whose name and value pass 4096 bytes; WebKitGTK keeps it
    (8 KB at least). The library writes none past 4096 bytes, attributes included, in any engine:
    the 6 KB one here would be kept in WebKit only, and identity would differ by engine."""
    first_visit(engine, base_url)
    assert kept(engine, "probe", 4096 - len("probe"))  # the most every engine keeps
    # Ids are at most 2048 characters; percent-encoded, each "é" takes 6 bytes of the cookie.
    fits, too_long = "f" * 2048, "é" * 1000
    engine.execute(f"analytics.setAnonymousId({json.dumps(fits)});")
    assert stored(engine, "ajs_anonymous_id") == (fits, fits)
    engine.execute(f"analytics.setAnonymousId({json.dumps(too_long)});")
    assert engine.run("analytics.user().anonymousId()") == too_long
    assert stored(engine, "ajs_anonymous_id") == (None, too_long)  # never written, the old one removed
    [warning] = engine.run(COMPLAINTS)
    assert "4096" in warning
    engine.reload()
    boot(engine, base_url)
    assert engine.run("analytics.user().anonymousId()") == too_long


def test_a_cookie_written_from_script_lasts_what_the_engine_allows(engine: Engine, base_url: str) -> None:
    """WebKit's tracking prevention caps a cookie written from script at 7 days (as Safari does;
    WebKitGTK only with it on, as tests/e2e/engines/webkit_shell.py has it); Firefox keeps 365 days.
    tests/e2e/engines/test_server_cookies.py shows the server's ``Set-Cookie`` keeping 365 days."""
    engine.goto(base_url + PAGE)
    engine.execute(f"document.cookie = 'probe_life=1; max-age={COOKIE_DAYS * 86400}; path=/';")
    assert lasts(engine, "probe_life", engine.script_cookie_days or COOKIE_DAYS)
    engine.execute("document.cookie = 'probe_life=; max-age=0; path=/';")
