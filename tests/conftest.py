"""Session fixtures: the real server on a free port, Chromium as configured."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("playwright_config", ROOT / "playwright.config.py")
assert _spec and _spec.loader
config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config)


#: Extra folders the test server serves on the same origin.
MOUNTS = {prefix: ROOT / folder for prefix, folder in config.MOUNTS.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((config.HOST, 0))
        return probe.getsockname()[1]


class Server:
    """``analytics-identity serve`` in a child process; can be stopped and restarted."""

    def __init__(self, db: Path, port: int | None = None, mounts: dict[str, Path] | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.mounts = MOUNTS if mounts is None else mounts
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{config.HOST}:{self.port}"

    def start(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "analytics_identity", "serve", "--host", config.HOST, "--port", str(self.port),
             "--db", str(self.db), "--static", str(ROOT / config.STATIC_DIR),
             *(f"--mount={prefix}={folder}" for prefix, folder in self.mounts.items())],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("the server exited at start")
                time.sleep(0.1)
        raise RuntimeError("the server did not start in 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


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
def context(context):  # type: ignore[no-untyped-def]
    context.set_default_timeout(config.ACTION_TIMEOUT_MS)
    return context
