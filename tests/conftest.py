"""Session fixtures: the real server on a free port, Chromium as configured."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_identity.server.process import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("playwright_config", ROOT / "playwright.config.py")
assert _spec and _spec.loader
config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config)


#: Extra folders the test server serves on the same origin.
MOUNTS = {prefix: ROOT / folder for prefix, folder in config.MOUNTS.items()}


class Server(ServerProcess):
    """The server under test: the build of ``make build`` plus the configured mounts."""

    def __init__(self, db: Path, port: int | None = None, mounts: dict[str, Path] | None = None) -> None:
        super().__init__(ROOT / config.STATIC_DIR, db, host=config.HOST, port=port,
                         mounts=MOUNTS if mounts is None else mounts)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (ROOT / config.STATIC_DIR / "snippet.js").exists():
        pytest.fail(f"{config.STATIC_DIR} is missing: run `make build` (make test does)")
    srv = Server(tmp_path_factory.mktemp("collector") / "events.sqlite3").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": config.EXECUTABLE_PATH,
        "args": config.ARGS,
        "headless": config.HEADLESS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args}


@pytest.fixture
def chromium_context(new_context):  # type: ignore[no-untyped-def]
    """A new Playwright context in Chromium, with the configured timeout (the e2e tests' ``context`` in Chromium)."""
    context = new_context()
    context.set_default_timeout(config.ACTION_TIMEOUT_MS)
    return context


@pytest.fixture
def context(chromium_context):  # type: ignore[no-untyped-def]
    return chromium_context
