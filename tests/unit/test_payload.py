"""What ships to the browser: the core only, and only ``browser/`` touches ``js``."""

from __future__ import annotations

import ast
import hashlib
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("pure", [False, True], ids=["bytecode", "pure"])
def test_the_browser_wheel_carries_the_core_and_nothing_cpython_only(tmp_path: Path, pure: bool) -> None:
    wheel = build_wheel(tmp_path, None if pure else project_root() / "node_modules" / "pyodide")
    names = zipfile.ZipFile(wheel).namelist()
    suffix = ".py" if pure else ".pyc"
    assert all(n.endswith(suffix) for n in names if n.startswith("analytics_identity/"))
    modules = {n.removeprefix("analytics_identity/").removesuffix(suffix) for n in names if n.startswith("analytics_identity/")}
    core = {
        p.relative_to(PACKAGE).with_suffix("").as_posix()
        for p in PACKAGE.rglob("*.py")
        if ships(p.relative_to(PACKAGE))
    }
    assert modules == core
    assert not any(m.startswith(("server/", "tooling/")) or m in {"__main__", "cpython", "delivery/urllib_transport"}
                   for m in modules)
    for path in core:  # nothing shipped imports what is not shipped
        shipped_imports = _imports(PACKAGE / f"{path}.py")
        assert "starlette" not in shipped_imports and "uvicorn" not in shipped_imports


def test_the_pure_wheel_is_sources_any_pyodide_installs(tmp_path: Path) -> None:
    """micropip checks the tag and the RECORD; the sources compile on this CPython too."""
    wheel = zipfile.ZipFile(build_wheel(tmp_path, None))
    assert wheel.filename.endswith("-py3-none-any.whl")
    dist_info = next(n.split("/")[0] for n in wheel.namelist() if n.endswith(".dist-info/WHEEL"))
    assert "Tag: py3-none-any" in wheel.read(f"{dist_info}/WHEEL").decode()
    for line in wheel.read(f"{dist_info}/RECORD").decode().splitlines():
        name, digest, size = line.split(",")
        if name.endswith("RECORD"):
            continue
        data = wheel.read(name)
        assert digest == "sha256=" + urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert int(size) == len(data)
        if name.endswith(".py"):
            compile(data, name, "exec", dont_inherit=True)
            assert data.decode() == (PACKAGE.parent / name).read_text()


#: What ``pyodide.ffi`` offers from Pyodide 0.27 on; newer names only with a fallback (browser/ffi.py).
PYODIDE_027_FFI = {"JsException", "JsProxy", "create_once_callable", "create_proxy", "to_js"}


def test_the_browser_layer_needs_nothing_newer_than_pyodide_0_27() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        guarded = {id(node) for handler in ast.walk(tree) if isinstance(handler, ast.Try)
                   and any(isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in handler.handlers)
                   for node in ast.walk(handler)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "pyodide":
                names = {alias.name for alias in node.names}
                assert path.name == "ffi.py", f"{path}: import Pyodide's names from browser/ffi.py"
                assert id(node) in guarded or names <= PYODIDE_027_FFI, (path, names)
