"""``analytics-identity serve`` in a child process, for tests and benchmarks.

One implementation of "start the real server on a free port and wait until
it answers", so the end-to-end tests, the collector tests and the
benchmarks all exercise the same command a person runs.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

__all__ = ["ServerProcess", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServerProcess:
    """The server as a child process; can be stopped and started again on its port."""

    def __init__(
        self,
        static: Path,
        db: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        mounts: dict[str, Path] | None = None,
        quiet: bool = False,
    ) -> None:
        self.static = static
        self.db = db
        self.host = host
        self.port = port or free_port(host)
        self.mounts = mounts or {}
        self.quiet = quiet
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        """Start and wait until ``/healthz`` answers."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "analytics_identity", "serve", "--host", self.host, "--port", str(self.port),
             "--db", str(self.db), "--static", str(self.static),
             *(f"--mount={prefix}={folder}" for prefix, folder in self.mounts.items())],
            stdout=subprocess.DEVNULL if self.quiet else None,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("analytics-identity serve exited at start") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"analytics-identity serve did not answer in {timeout} s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()
