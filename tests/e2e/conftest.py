"""Every end-to-end test keeps the boot set complete.

The loader's runtime ships the standard-library modules the page imports
(``tooling/bootset.py``); a module outside them is fetched with the whole
standard library on its first import. A test whose page or worker did that
fails here (unless marked ``outside_boot_set``): a code path the boot set
does not cover, to add to the workload of ``test_boot_set.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT, config
from tests.e2e.engines.fixtures import (  # noqa: F401  (the engines' fixtures and hooks)
    context,
    pytest_generate_tests,
    pytest_terminal_summary,
    script_cookie_days,
    started_engines,
)


def full_stdlib() -> str:
    """The path, under the build folder's URL, of the whole standard library."""
    return "/static/analytics/" + json.loads((ROOT / config.STATIC_DIR / "build.json").read_text())["stdlib"]


@pytest.fixture(autouse=True)
def imports_stay_within_the_boot_set(request: pytest.FixtureRequest) -> Iterator[None]:
    """Checked in Chromium (the boot set is the build's, whichever engine runs it)."""
    if ("context" not in request.fixturenames and "page" not in request.fixturenames
            or request.getfixturevalue("browser_name") != "chromium"):
        yield
        return
    context = request.getfixturevalue("context")
    whole = full_stdlib()
    fetched: list[str] = []
    context.on("request", lambda r: fetched.append(r.url) if r.url.split("?")[0].endswith(whole) else None)
    yield
    if request.node.get_closest_marker("outside_boot_set") is None:
        assert not fetched, (f"an import outside the boot set fetched the whole standard library ({fetched}): "
                             "add the code path to the workload of tests/e2e/test_boot_set.py")
