"""Scripts run by Node on the checkout's npm Pyodide (``node_modules/<runtime>``).

For the unit tests of what only Pyodide runs (the FFI, the pure wheel on an
older Pyodide, the loader's boot steps): each writes an ES module
whose first argument is the runtime's folder and reads what it printed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analytics_identity.tooling.bootstrap import boot_module, bootstrap_steps
from analytics_identity.tooling.build import project_root
from analytics_identity.tooling.stdlib_sources import loader_stdlib


def pyodide_folder(runtime: str = "pyodide") -> Path:
    """``node_modules/<runtime>``; the test fails, saying what to run, when ``make deps`` has not installed it."""
    folder = project_root() / "node_modules" / runtime
    if not (folder / "pyodide.mjs").exists():
        pytest.fail(f"{folder} is missing: run `make deps`")
    return folder


def run_script(script: str, folder: Path, work: Path, *args: object) -> subprocess.CompletedProcess[str]:
    """Node runs ``script`` (written into ``work``) with ``folder`` and ``args``; it must exit 0."""
    path = work / "run.mjs"
    path.write_text(script)
    result = subprocess.run(["node", str(path), str(folder), *map(str, args)],
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def loader_stdlib_file(folder: Path, work: Path, steps: list[tuple[str, str]] | None = None) -> tuple[bytes, Path]:
    """The loader's standard library (tooling/stdlib_sources.py) made from ``folder``'s, with the boot's ``steps``
    (all of them by default), and a file of it in ``work`` for Node."""
    stock = (folder / "python_stdlib.zip").read_bytes()
    boot = boot_module(bootstrap_steps(stock) if steps is None else steps)
    stdlib = loader_stdlib(stock, boot)
    (work / "python_stdlib.zip").write_bytes(stdlib)
    return stdlib, work / "python_stdlib.zip"
