"""The build's trimmed standard library and its one-file loader (tooling/bootset.py, tooling/onefile.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analytics_identity.browser.stdlib import OUTSIDE
from analytics_identity.tooling.bootset import boot_modules, import_order, module_name, trim_stdlib
from analytics_identity.tooling.onefile import bundle


def stock(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "" if name.endswith("/") else f"# {name}\n")
    return out.getvalue()


def fake_compile(sources: dict[str, str]) -> dict[str, bytes]:
    return {name + "c": source.encode() for name, source in sources.items()}


def test_module_names_of_zip_entries() -> None:
    assert module_name("email/mime/text.py") == "email.mime.text"
    assert module_name("email/__init__.pyc") == "email"
    assert module_name("site-packages/README.txt") is None


def test_the_trimmed_zip_holds_the_boot_set_its_packages_and_the_list_of_the_rest() -> None:
    full = stock("email/", "email/__init__.py", "email/utils.py", "email/mime/", "email/mime/__init__.py",
                 "email/mime/text.py", "difflib.py", "json/", "json/__init__.py", "README.txt")
    trimmed = zipfile.ZipFile(io.BytesIO(trim_stdlib(full, ["email.mime.text", "difflib"], fake_compile)))
    assert trimmed.namelist() == ["email/", "email/__init__.pyc", "email/mime/", "email/mime/__init__.pyc",
                                  "email/mime/text.pyc", "difflib.pyc", OUTSIDE]
    assert trimmed.read("difflib.pyc") == b"# difflib.py\n"
    assert trimmed.read(OUTSIDE).decode().split() == ["email.utils", "json"]


def test_a_boot_set_naming_a_module_the_runtime_lacks_fails_the_build() -> None:
    with pytest.raises(ValueError, match="does not hold.*gone"):
        trim_stdlib(stock("difflib.py"), ["difflib", "gone"], fake_compile)


def test_the_checked_in_boot_set_is_a_sorted_list_of_names() -> None:
    names = boot_modules()
    assert names == sorted(set(names)) and "asyncio" in names and "json" in names


def test_bundle_inlines_local_imports_once_before_their_importers(tmp_path: Path) -> None:
    (tmp_path / "a.mjs").write_text('import { b } from "./b.mjs";\nimport { c } from "./c.mjs";\nexport function a() { return b() + c(); }\n')
    (tmp_path / "b.mjs").write_text('import { c } from "./c.mjs";\nexport function b() { return c(); }\n')
    (tmp_path / "c.mjs").write_text("export const c = () => 1;\n")
    text = bundle(tmp_path / "a.mjs")
    assert "import" not in text and text.count("const c =") == 1
    assert text.index("const c") < text.index("function b") < text.index("export function a")


def test_bundle_refuses_a_name_declared_twice_or_not_exported(tmp_path: Path) -> None:
    (tmp_path / "a.mjs").write_text('import { b } from "./b.mjs";\nfunction b2() {}\nconst x = 1;\n')
    (tmp_path / "b.mjs").write_text("export function b() {}\nconst x = 2;\n")
    with pytest.raises(ValueError, match="both declare x"):
        bundle(tmp_path / "a.mjs")
    (tmp_path / "b.mjs").write_text("function b() {}\n")
    with pytest.raises(ValueError, match=r"imports \['b'\]"):
        bundle(tmp_path / "a.mjs")


def test_the_core_import_order_holds_every_module_importing_it_runs_dependencies_first() -> None:
    import analytics_identity

    order = import_order(Path(analytics_identity.__file__).parent, "analytics_identity.api.client")
    script = ("import sys, json; import analytics_identity.api.client; "
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith('analytics_identity'))))")
    ran = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert sorted(order) == ran
    assert order[-1] == "analytics_identity.api.client"
