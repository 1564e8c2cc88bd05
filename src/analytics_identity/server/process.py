"""``analytics-identity serve`` (and other web servers) in a child process, for tests and benchmarks.

One implementation of "start the real server on a free port and wait until
it answers", so the end-to-end tests, the collector tests and the
benchmarks all exercise the same command a person runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["ChildServer", "ServerProcess", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ChildServer:
    """A web server as a child process, on a port it keeps: can be stopped and started again.

    ``command`` is run with ``{port}`` filled in; the server is up once
    ``health`` answers. ``env`` adds environment variables.
    """

    def __init__(self, command: list[str], *, host: str = "127.0.0.1", port: int | None = None,
                 health: str = "/healthz", env: dict[str, str] | None = None, quiet: bool = False) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.command = command
        self.health = health
        self.env = env or {}
        self.quiet = quiet
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> Self:
        """Start and wait until the health URL answers."""
        self.process = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in self.command],
            stdout=subprocess.DEVNULL if self.quiet else None,
            env={**os.environ, **self.env},
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + self.health, timeout=1).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.command[0]} exited at start") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.command[0]} did not answer in {timeout} s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)  # the collector's forwarder finishes its request in flight first

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()


class ServerProcess(ChildServer):
    """``analytics-identity serve`` as a child process."""

    def __init__(
        self,
        static: Path,
        db: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        mounts: dict[str, Path] | None = None,
        quiet: bool = False,
        options: list[str] | None = None,
    ) -> None:
        """``options``: more ``serve`` options (``--forward URL``, ``--read-token T``)."""
        self.static = static
        self.db = db
        self.mounts = mounts or {}
        super().__init__(
            [sys.executable, "-m", "analytics_identity", "serve", "--host", host, "--port", "{port}",
             "--db", str(db), "--static", str(static),
             *(f"--mount={prefix}={folder}" for prefix, folder in self.mounts.items()), *(options or [])],
            host=host, port=port, quiet=quiet,
        )
