"""Debian's nginx running docs/deploy.md's server block, for the deployment test.

The server block is read from the page and changed in three places only
(where nginx listens, the site's root, the collector's port), each of
which must be found exactly once. Everything else a system nginx keeps in
/etc and /var (pid, logs, temporary files) goes to a folder of its own, in
a main configuration shaped like Debian's ``nginx.conf``, so the test needs
no system service and leaves nothing behind.
"""

from __future__ import annotations

import getpass
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.documented import ROOT, fenced

__all__ = ["NGINX", "Nginx", "documented_server_block"]

NGINX = Path("/usr/sbin/nginx")
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
DEPLOY = ROOT / "docs" / "deploy.md"

#: The documented values the test replaces with its own.
LISTEN = "listen 80;"
ROOT_LINE = "root /var/www/example.com;"
UPSTREAM = "proxy_pass http://127.0.0.1:8000;"


def documented_server_block(port: int, site: Path, collector_port: int) -> str:
    """The nginx block of docs/deploy.md, listening on 127.0.0.1:``port`` for ``site``."""
    block = fenced("nginx", DEPLOY)
    for documented, ours in ((LISTEN, f"listen 127.0.0.1:{port};"), (ROOT_LINE, f"root {site};"),
                             (UPSTREAM, f"proxy_pass http://127.0.0.1:{collector_port};")):
        assert block.count(documented) == 1, f"docs/deploy.md's nginx block should contain {documented!r} once"
        block = block.replace(documented, ours)
    return block


class Nginx:
    """``nginx`` in the foreground with its own prefix folder; stopped on exit."""

    def __init__(self, folder: Path, server_block: str, port: int) -> None:
        """``server_block`` must listen on 127.0.0.1:``port`` (see :func:`documented_server_block`)."""
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(server_block)
        temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(f"""\
# As Debian's /etc/nginx/nginx.conf, with this test's own paths.
user {getpass.getuser()};
worker_processes 1;
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"};
load_module {BROTLI_MODULE};
events {{
    worker_connections 64;
}}
http {{
    sendfile on;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
    gzip on;
{temp}
    include {folder / "site.conf"};
}}
""")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def errors(self) -> str:
        log = self.folder / "error.log"
        return log.read_text() if log.exists() else ""

    def logged_posts(self, count: int, timeout: float = 10) -> list[str]:
        """``"<path> <status>"`` of each POST in the access log, once ``count`` are there (nginx
        writes a line after its answer, so it may trail the collector by an instant)."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.folder / "access.log"
            lines = log.read_text().splitlines() if log.exists() else []
            posts = [f"{m[1]} {m[2]}" for m in (re.search(r'"POST (\S+) HTTP/[\d.]+" (\d+)', line) for line in lines) if m]
            if len(posts) >= count or time.monotonic() > deadline:
                return posts
            time.sleep(0.1)

    def start(self, timeout: float = 30) -> Nginx:
        command = [str(NGINX), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                   "-e", str(self.folder / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).read()
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"nginx did not start:\n{self.errors()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown of the master and its worker
            self.process.wait(10)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()
