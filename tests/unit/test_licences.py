"""The build folder carries the licence of every component it ships, copied from the installed packages."""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_identity.tooling.build import build_static, project_root
from analytics_identity.tooling.licences import SHIPPED, component_of

ROOT = project_root()


@pytest.fixture(scope="module")
def build() -> Iterator[Path]:
    """A build next to ``make build``'s, so it reuses the bytecode cache there (a cold one takes ~40 s)."""
    out = build_static(ROOT / "build" / "static" / f"licences-test-{os.getpid()}", compress=False)
    yield out
    shutil.rmtree(out)


def test_every_shipped_file_belongs_to_a_component_with_its_licence_texts(build: Path) -> None:
    licences = build / "LICENSES"
    shipped = [p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file()]
    unlicensed = [path for path in shipped if not path.startswith("LICENSES/") and component_of(path) is None]
    assert not unlicensed, f"add these to SHIPPED in tooling/licences.py: {unlicensed}"
    assert {component_of(p) for p in shipped if not p.startswith("LICENSES/")} == set(SHIPPED)

    table = (licences / "README.md").read_text()
    rows = [row.split(" | ") for row in table.splitlines() if row.startswith("| ") and not row.startswith("| component")]
    components = [row[0].removeprefix("| ") for row in rows if row[0] != "| "]
    assert components == list(SHIPPED)
    linked = set(re.findall(r"\]\(([^)]+)\)", table))
    texts = {p.name for p in licences.iterdir()} - {"README.md"}
    assert linked == texts  # every text is listed, every listed text is there
    assert all((licences / name).stat().st_size > 500 for name in texts)


def test_each_component_has_the_licence_its_package_states(build: Path) -> None:
    licences = build / "LICENSES"
    assert (licences / "analytics-identity.txt").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == {"text": "MIT"}
    for mpl in ("pyodide.txt", "micropip.txt"):  # Pyodide's and micropip's MPL-2.0
        assert (licences / mpl).read_text().startswith("Mozilla Public License Version 2.0")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in (licences / "cpython.txt").read_text()
    pyscript = (licences / "pyscript-core-0.7.31.txt").read_text()
    assert pyscript.lstrip().startswith("Apache License") and "Version 2.0" in pyscript

    table = (licences / "README.md").read_text()
    stated = {row.split(" | ")[0].removeprefix("| "): row.split(" | ")[2]
              for row in table.splitlines() if row.startswith("| ") and not row.startswith(("| component", "|  |"))}
    assert stated["analytics-identity"] == "MIT"
    assert stated["Pyodide"] == "MPL-2.0"
    assert "MPL 2.0" in stated["micropip"]
    assert stated["PyScript"] == "APACHE-2.0"
