"""The trimmed standard library: what the snippet's page imports, measured in
Chromium, and a module outside it still imports when a code path asks for it."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import Page

from analytics_identity.tooling.boot_code import MODULE
from analytics_identity.tooling.bootstrap import MODULE as STEPS
from analytics_identity.tooling.bootset import BOOT_SET, boot_modules
from tests.conftest import config
from tests.e2e.conftest import full_stdlib
from tests.e2e.helpers import load_options

#: The page's calls after ready: each kind of call once, each delivered.
WORKLOAD = """async () => {
    analytics.debug(false);
    analytics.on("track", () => {});
    analytics.addSourceMiddleware(({ payload, next }) => next(payload));
    await analytics.page("Docs", "Boot set", { path: "/boot" });
    await analytics.identify("u-1", { plan: "pro", when: new Date(), n: 10n ** 3n, nested: { a: [1, "b", null] } });
    await analytics.track("Bought", { price: 1.5, items: [{ sku: "a" }] }, { context: { ip: "0.0.0.0" } });
    await analytics.group("g-1", { name: "Team" });
    await analytics.alias("u-2");
    await analytics.screen("Home");
    analytics.user().traits({ a: 1 });
    analytics.setAnonymousId("anon-boot");
    analytics.consent();
    analytics.trackLink(document.createElement("a"), "Link");
    analytics.trackForm(document.createElement("form"), "Form");
    await analytics.flush();
    analytics.reset();
}"""

#: The standard-library modules the interpreter loaded from either zip (the trimmed one or the whole one).
LOADED = """
import sys
zips = tuple(entry + "/" for entry in sys.path if entry.endswith(".zip"))
sorted({m.__spec__.name for m in list(sys.modules.values())
        if getattr(m, "__spec__", None) and (m.__spec__.origin or "").startswith(zips)})
"""


def boot_for_measuring(page: Page, base_url: str) -> None:
    """A page with the snippet that starts the loader itself, to keep the interpreter it resolves to."""
    page.goto(base_url + "/blank.html")
    page.evaluate(f"""async () => {{
        const {{ start }} = await import("/static/analytics/loader.mjs");
        window.runtime = await start("test-key", {json.dumps(load_options(base_url, loadMode="immediate"))});
    }}""", )
    page.wait_for_function("window.analytics.initialized === true", timeout=config.BOOT_TIMEOUT_MS)


def test_the_boot_set_is_what_the_page_imports(page: Page, base_url: str) -> None:
    boot_for_measuring(page, base_url)
    page.evaluate(WORKLOAD)
    measured = page.evaluate(f"runtime.runPython({json.dumps(LOADED)}).toJs()")
    if os.environ.get("BOOT_SET") == "write":
        BOOT_SET.write_text("# Written by `BOOT_SET=write pytest tests/e2e/test_boot_set.py`: the standard-library\n"
                            "# modules the snippet's page imports (see tooling/bootset.py). Rebuild after.\n"
                            + "\n".join(measured) + "\n")
    assert measured == sorted(boot_modules()), (
        "the page imports another set of standard-library modules than tooling/bootset.txt lists: "
        "rewrite it with `BOOT_SET=write .venv/bin/python -m pytest tests/e2e/test_boot_set.py`, then `make build`")


def test_the_page_compiles_none_of_the_code_the_boot_generates(page: Page, base_url: str) -> None:
    """Every source ``dataclasses``, ``namedtuple`` and ``annotationlib`` generated, through the boot and a
    workload of every call, came compiled in the build's table (tooling/boot_code.py): none was missed and
    compiled here. And every step of the boot (tooling/bootstrap.py) was taken without an error."""
    boot_for_measuring(page, base_url)
    page.evaluate(WORKLOAD)
    held, missed, taken, failed = page.evaluate(f"""runtime.runPython(`
import sys
taken = {STEPS!r} in sys.modules
import {MODULE} as table
import {STEPS} as boot
[len(table._CODE), [source[:120] for _, source in table.missed], taken, boot.failed]
`).toJs()""")
    assert held > 40 and missed == [], "run `make build` after changing a dataclass or a named tuple"
    assert taken and failed == []


@pytest.mark.outside_boot_set
def test_a_module_outside_the_boot_set_is_fetched_on_its_first_import(page: Page, base_url: str) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if full_stdlib() in request.url else None)
    boot_for_measuring(page, base_url)
    assert fetched == []
    # Outside the boot set: a package (xml), a module of a package of the boot set (email.utils?), a plain module.
    found = page.evaluate("""runtime.runPython(`
import sys
outside = [name for name in ("xml.dom.minidom", "difflib", "json.tool") if name not in sys.modules]
import xml.dom.minidom, difflib, json.tool
(outside, xml.dom.minidom.parseString("<a><b/></a>").documentElement.firstChild.tagName,
 difflib.SequenceMatcher(None, "abc", "abd").ratio(), json.tool.__name__)
`).toJs()""")
    assert found[0] == ["xml.dom.minidom", "difflib", "json.tool"]
    assert found[1:] == ["b", pytest.approx(2 / 3), "json.tool"]
    assert len(fetched) == 1  # once for all three
    missing = page.evaluate("""runtime.runPython(`
try:
    import no_such_module_anywhere
except ModuleNotFoundError as error:
    result = str(error)
result
`)""")
    assert "no_such_module_anywhere" in missing and len(fetched) == 1  # a name the library lacks fetches nothing
    assert page.evaluate("analytics.track('After').then((ctx) => ctx.event.event)") == "After"
