"""The tests a visitor's identity depends on, in Chromium, WebKit and Firefox: the one browser-specific module.

The modules of ``IN_EVERY_ENGINE`` get pytest-playwright's ``browser_name``
parameter for each engine (test ids end in ``[chromium]``, ``[webkit]``,
``[firefox]``). ``context`` (and so pytest-playwright's ``page``, made from
it) is Playwright's own in Chromium and an :class:`EngineContext` in the
others: each engine's browser is started once per session, and each test
gets a visitor it has never seen (Firefox: a new user context; WebKit: every
kind of website data cleared). A test an engine's driver cannot run is marked
``chromium_only(reason)`` or ``not_in(engine, reason)``; the run's summary
counts the tests of each engine and lists the reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.engines.engine import Engine, EngineError
from tests.e2e.engines.firefox import Firefox
from tests.e2e.engines.page import EngineContext
from tests.e2e.engines.webkit import WebKit

ENGINES: dict[str, type[Engine]] = {"webkit": WebKit, "firefox": Firefox}

#: The end-to-end modules a visitor's identity depends on: run in every engine.
IN_EVERY_ENGINE = {
    "test_identity_examples", "test_foundation", "test_interop", "test_migrating", "test_hostile_input",
    "test_consent", "test_leaving_early", "test_delivery", "test_network_faults", "test_snapshot",
    "test_pyscript",
}

#: Why a test does not run in WebKit, whose classic WebDriver has no network events or interception.
WEBKIT_CANNOT_ROUTE = pytest.mark.not_in("webkit", "WebKit's WebDriver cannot intercept requests")
WEBKIT_SEES_NO_REQUEST_DETAILS = pytest.mark.not_in(
    "webkit", "WebKit's WebDriver does not report a request's method, headers or body")
WEBKIT_CANNOT_ADD_HEADERS = pytest.mark.not_in("webkit", "WebKit's WebDriver cannot add request headers")

#: Tests of what the same Python does the same in every engine: Chromium only, for the suite's time.
SAME_PYTHON_IN_EVERY_ENGINE = pytest.mark.chromium_only(
    "what it checks is the core's Python, the same in every engine: Chromium only, for the suite's time")

#: ``(test, engine, reason)`` of every test an engine does not run, for the summary.
LEFT_OUT: list[tuple[str, str, str]] = []


def engines_of(metafunc: pytest.Metafunc) -> list[str]:
    """The engines other than Chromium a test function of IN_EVERY_ENGINE runs in, after its markers."""
    left_out: dict[str, str] = {}
    for mark in metafunc.definition.iter_markers():
        if mark.name == "chromium_only":
            left_out.update(dict.fromkeys(ENGINES, mark.args[0]))
        elif mark.name == "not_in":
            left_out[mark.args[0]] = mark.args[1]
    test = f"{metafunc.module.__name__.rsplit('.', 1)[-1]}::{metafunc.function.__name__}"
    LEFT_OUT.extend((test, engine, reason) for engine, reason in left_out.items())
    return [name for name in ENGINES if name not in left_out]


@pytest.hookimpl(hookwrapper=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> Iterator[None]:
    """pytest-playwright parametrizes ``browser_name`` by ``--browser``: here, by engine, for these modules."""
    option = metafunc.config.option
    chosen = option.browser
    if (metafunc.module.__name__.rsplit(".", 1)[-1] in IN_EVERY_ENGINE
            and {"page", "context"} & set(metafunc.fixturenames)):
        option.browser = ["chromium", *engines_of(metafunc)]
    try:
        yield
    finally:
        option.browser = chosen


class Started:
    """Each engine's browser, started on first use and stopped at the end of the session.

    A start that fails is tried once more, in a folder of its own: once, the
    browser WebKitWebDriver started could not bind its inspector's port (taken
    meanwhile) and the session never came, and every test of that engine then
    failed. A second failure is kept and raised again for each of its tests.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stack = ExitStack()
        self.engines: dict[str, Engine] = {}
        self.failed: dict[str, BaseException] = {}

    def __getitem__(self, name: str) -> Engine:
        if name in self.failed:
            raise self.failed[name]
        if name not in self.engines:
            attempts = (self.folder / name, self.folder / f"{name}-again")
            for folder in attempts:
                folder.mkdir()
                try:
                    self.engines[name] = self.stack.enter_context(ENGINES[name](folder))
                    break
                except (OSError, EngineError) as error:
                    if folder == attempts[-1]:
                        self.failed[name] = error
                        raise
        return self.engines[name]


@pytest.fixture(scope="session")
def started_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    started = Started(tmp_path_factory.mktemp("engines"))
    with started.stack:
        yield started


@pytest.fixture
def context(request: pytest.FixtureRequest, browser_name: str) -> Any:
    """Playwright's context in Chromium; in the other engines, a fresh visitor in the session's browser."""
    if browser_name == "chromium":
        yield request.getfixturevalue("chromium_context")
        return
    engine = request.getfixturevalue("started_engines")[browser_name]
    yield EngineContext(engine)
    engine.listener = None


@pytest.fixture
def script_cookie_days(browser_name: str) -> int | None:
    """The longest the engine keeps a cookie written from script, in days (None: as written)."""
    return ENGINES[browser_name].script_cookie_days if browser_name in ENGINES else None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many tests of each engine ran, and why the others did not."""
    ran: Counter[str] = Counter()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "call" and "[" in report.nodeid:
                module = report.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
                engine = next((part for part in report.nodeid.rsplit("[", 1)[1].rstrip("]").split("-")
                               if part in ("chromium", *ENGINES)), None)
                if module in IN_EVERY_ENGINE and engine:
                    ran[f"{engine} {report.outcome}"] += 1
    if ran:
        terminalreporter.section("engines")
        terminalreporter.write_line("identity tests: " + ", ".join(f"{n} {e}" for e, n in sorted(ran.items())))
        left_out = Counter((engine, reason) for _, engine, reason in set(LEFT_OUT))
        for (engine, reason), count in sorted(left_out.items()):
            terminalreporter.write_line(f"not in {engine}: {count} test function(s): {reason}")
