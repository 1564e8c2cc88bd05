"""What ships to the browser: the core only, and only ``browser/`` touches ``js``."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from analytics_identity.tooling.build import build_wheel, project_root, ships

PACKAGE = project_root() / "src" / "analytics_identity"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_browser_layer_imports_js_or_pyodide() -> None:
    users = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if _imports(path) & {"js", "pyodide"}
    )
    assert users and all(user.startswith("browser/") for user in users)


def test_the_browser_wheel_carries_the_core_and_nothing_cpython_only(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, project_root() / "node_modules" / "pyodide")
    names = zipfile.ZipFile(wheel).namelist()
    modules = {n.removeprefix("analytics_identity/").removesuffix(".pyc") for n in names if n.startswith("analytics_identity/")}
    core = {
        p.relative_to(PACKAGE).with_suffix("").as_posix()
        for p in PACKAGE.rglob("*.py")
        if ships(p.relative_to(PACKAGE))
    }
    assert modules == core
    assert not any(m.startswith(("server/", "tooling/")) or m in {"__main__", "api/memory", "delivery/urllib_transport"}
                   for m in modules)
    for path in core:  # nothing shipped imports what is not shipped
        shipped_imports = _imports(PACKAGE / f"{path}.py")
        assert "starlette" not in shipped_imports and "uvicorn" not in shipped_imports
