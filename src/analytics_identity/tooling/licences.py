"""``LICENSES/`` in the build folder: the licence of everything the folder ships.

Whoever serves the folder redistributes Pyodide, micropip and PyScript
along with our own code, so the folder carries their licences. The texts
are copied from the installed packages (``node_modules``, the micropip
wheel's ``dist-info``, our ``LICENSE``), never typed here, and the licence
names are the ones each package states. Where a package states a licence
but ships no text, ``LICENSES/README.md`` says so:

- Pyodide's npm package states MPL-2.0 and ships no licence file; the text
  is the MPL-2.0 that micropip (also MPL-2.0, by the same authors) ships.
  Its runtime is CPython compiled to WebAssembly, so CPython's licence
  (with those of the software CPython incorporates) is copied from the
  standard library of the CPython that runs the build.
- PyScript's ``dist/`` bundles its npm ``dependencies``, recursively; each
  of them is listed with the text its package ships, if any (three small
  ISC/MIT helpers ship none).
"""

from __future__ import annotations

import json
import sysconfig
import zipfile
from fnmatch import fnmatch
from pathlib import Path
from typing import NamedTuple

__all__ = ["SHIPPED", "Licence", "component_of", "write_licences"]

#: Each component the build ships, by the files it has in the build folder.
SHIPPED: dict[str, tuple[str, ...]] = {
    "analytics-identity": ("snippet.js", "loader.mjs", "pyodide-*-loader-*/snapshot-worker.mjs", "analytics.d.ts",
                           "pyscript.json", "build.json", "wheels/*/analytics_identity-*.whl",
                           "python/analytics_identity-*.whl"),
    "Pyodide": ("pyodide-*/pyodide.mjs", "pyodide-*/pyodide.asm.*", "pyodide-*/python_stdlib.zip",
                "pyodide-*/pyodide-lock.json", "stdlib/*/python_stdlib.zip",  # the stdlib/ ones compiled by the build
                "stdlib/*/boot_stdlib.zip"),
    "micropip": ("pyodide-*/micropip-*.whl",),
    "PyScript": ("pyscript-*/*",),
}


class Licence(NamedTuple):
    stated: str  # as the package names it
    file: str  # under LICENSES/, empty when the package ships no text
    origin: str  # where the text was copied from


def component_of(relative: str) -> str | None:
    """The component a file of the build folder (path relative to it) belongs to."""
    return next((name for name, patterns in SHIPPED.items() if any(fnmatch(relative, p) for p in patterns)), None)


def _npm_package(name: str, start: Path, root: Path) -> Path | None:
    """Where Node resolves ``name`` from the package folder ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / "node_modules" / name
        if (candidate / "package.json").exists():
            return candidate
        if folder == root:
            break
    return None


def _npm_dependencies(package: Path, root: Path) -> list[Path]:
    """The packages ``package`` depends on, recursively, each once."""
    seen: dict[Path, None] = {}
    waiting = [package]
    while waiting:
        current = waiting.pop()
        for name in sorted(json.loads((current / "package.json").read_text()).get("dependencies", {})):
            found = _npm_package(name, current, root)
            if found is None:
                raise FileNotFoundError(f"{name}, a dependency of {current.name}, is not in node_modules: run `make deps`")
            if found not in seen:
                seen[found] = None
                waiting.append(found)
    return list(seen)


def _licence_file(package: Path) -> Path | None:
    names = ("LICENSE", "LICENCE", "COPYING")
    return next(iter(sorted(p for p in package.iterdir() if p.is_file() and p.name.upper().startswith(names))), None)


def _micropip_licence(wheel: Path) -> tuple[str, bytes]:
    """micropip's licence classifier and the text its ``dist-info`` ships."""
    with zipfile.ZipFile(wheel) as archive:
        dist_info = next(n.split("/")[0] for n in archive.namelist() if n.split("/")[0].endswith(".dist-info"))
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        stated = next(line.rsplit("::", 1)[1].strip() for line in metadata.splitlines()
                      if line.startswith("Classifier: License ::"))
        return stated, archive.read(f"{dist_info}/licenses/LICENSE")


def write_licences(out: Path, root: Path, micropip: Path) -> dict[str, list[Licence]]:
    """Write ``out/LICENSES/`` (texts and a README.md table); return each component's licences."""
    folder = out / "LICENSES"
    folder.mkdir()
    licences: dict[str, list[Licence]] = {name: [] for name in SHIPPED}

    def copy(component: str, stated: str, name: str, text: bytes, origin: str) -> None:
        (folder / name).write_bytes(text)
        licences[component].append(Licence(stated, name, origin))

    copy("analytics-identity", "MIT", "analytics-identity.txt", (root / "LICENSE").read_bytes(), "the project's LICENSE")
    stated, mpl = _micropip_licence(micropip)
    copy("micropip", stated, "micropip.txt", mpl, f"{micropip.name}, dist-info/licenses/LICENSE")
    pyodide_stated = json.loads((root / "node_modules" / "pyodide" / "package.json").read_text())["license"]
    if pyodide_stated != "MPL-2.0" or not mpl.startswith(b"Mozilla Public License Version 2.0"):
        raise ValueError("Pyodide's licence text is micropip's MPL-2.0 text: check both packages' licences")
    copy("Pyodide", pyodide_stated, "pyodide.txt", mpl,
         "its npm package states MPL-2.0 and ships no text: micropip's MPL-2.0 text")
    cpython = Path(sysconfig.get_path("stdlib")) / "LICENSE.txt"
    if not cpython.exists():
        raise FileNotFoundError(f"{cpython} is missing: the build copies CPython's licence from the Python running it")
    runtime_python = json.loads((root / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())["info"]["python"]
    copy("Pyodide", "CPython's licence (PSF-2.0) and those of the software CPython incorporates", "cpython.txt",
         cpython.read_bytes(), f"LICENSE.txt of the CPython {sysconfig.get_python_version()} that ran the build "
         f"(the runtime's CPython {runtime_python} is under the same licence)")

    package = root / "node_modules" / "@pyscript" / "core"
    listed: set[str] = set()
    for path in (package, *_npm_dependencies(package, root)):
        manifest = json.loads((path / "package.json").read_text())
        label = f"{manifest['name']} {manifest['version']}"
        if label in listed:  # the same version installed in two places
            continue
        listed.add(label)
        stated = str(manifest.get("license", "not stated"))
        origin = label + ("" if path == package else ", bundled by PyScript")
        text = _licence_file(path)
        if text is None:
            licences["PyScript"].append(Licence(stated, "", f"{origin}: its package ships no text"))
        else:
            name = f"{manifest['name'].lstrip('@').replace('/', '-')}-{manifest['version']}.txt"
            copy("PyScript", stated, name, text.read_bytes(), origin)

    rows = ["# Licences of what this folder ships", "",
            "Copied from the installed packages by `analytics-identity build`.", "",
            "| component | its files here | licence, as the package states it | text | from |", "|---|---|---|---|---|"]
    for component, entries in licences.items():
        for index, entry in enumerate(entries):
            files = ", ".join(f"`{p}`" for p in SHIPPED[component]) if index == 0 else ""
            text_link = f"[{entry.file}]({entry.file})" if entry.file else "–"
            rows.append(f"| {component if index == 0 else ''} | {files} | {entry.stated} | {text_link} | {entry.origin} |")
    (folder / "README.md").write_text("\n".join(rows) + "\n")
    return licences
