"""``make dist``: the files a release publishes, written from a checkout into ``dist/``.

- ``analytics_identity-<version>-py3-none-any.whl`` and
  ``analytics_identity-<version>.tar.gz``: the CPython package. Its
  ``analytics-identity build DIR`` needs no Node and no checkout: the
  runtime travels in it (:func:`.runtime.write_bundle`, each file once,
  uncompressed: the build writes the ``.br``/``.gz`` twins).
- ``analytics-identity-<version>.tgz``: the npm package, the static build
  in ``analytics/`` (serve that folder at ``/static/analytics/``) with its
  types as the package's ``types``.
- ``pyodide/analytics_identity-<version>-py3-none-any.whl``: the pure
  browser wheel, for an app that runs its own Pyodide (the build's ``python/``).

Every artifact is built from a copy of the checkout in a temporary folder,
so the checkout (and its editable install) never holds the bundle.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..version import __version__
from .bootset import boot_modules, boot_sources
from .build import PYODIDE_FILES, browser_sources, build_static, build_wheel, loader_python
from .runtime import locate, project_root, write_bundle

__all__ = ["NPM_README", "write_dist"]

#: The README of the npm package (its one page on the registry).
NPM_README = """# analytics-identity

Segment Analytics.js's `window.analytics` with its logic in Python running
in the browser on Pyodide, self-hosted. This package holds the built static
folder and its TypeScript types; nothing in it runs under Node.

**Serve the folder `node_modules/analytics-identity/analytics/` at
`/static/analytics/`** (all of it: the snippet loads the rest relative to
its own URL), with `application/wasm` for `.wasm` and, if your server can,
the `.br`/`.gz` twins for `Accept-Encoding`. Then on each page:

```html
<script src="/static/analytics/snippet.js"></script>
<script src="/analytics-init.js"></script>
```

where `analytics-init.js` is your own file:

```js
analytics.load("YOUR_WRITE_KEY");
analytics.page();
```

Types: `import type { AnalyticsSnippet, InitOptions } from "analytics-identity"`
(the same names and types as `@segment/analytics-next`).

Caching rules, Content-Security-Policy and the Python side (a server that
shares the visitor, login included): the README of the `analytics-identity`
Python package, whose `analytics-identity build DIR` writes this same folder.
"""


def _stage_python(stage: Path, root: Path) -> Path:
    """A copy of the project's Python sources with the runtime bundled into the package."""
    shutil.copytree(root / "src" / "analytics_identity", stage / "src" / "analytics_identity",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "bundle"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copyfile(root / name, stage / name)
    runtime = locate(root)
    # The sources the build compiles: the loader's standard library (tooling/stdlib_sources.py), not npm's as it
    # is, with the boot's compiled code (tooling/boot_code.py), which the bundle carries too.
    wheel = build_wheel(stage / "wheel", runtime.pyodide)
    stdlib_zip, _, _, code = loader_python(runtime.pyodide, wheel, root / "build" / "static" / ".bytecode-cache")
    shutil.rmtree(stage / "wheel")
    with zipfile.ZipFile(io.BytesIO(stdlib_zip)) as stdlib:
        standard = {n: stdlib.read(n).decode() for n in stdlib.namelist() if n.endswith(".py")}
    boot = boot_sources(stdlib_zip, boot_modules())
    write_bundle(stage / "src" / "analytics_identity" / "tooling" / "bundle", runtime, PYODIDE_FILES,
                 [standard], first_lines=[boot, browser_sources()], boot_code=code)
    return stage


def _npm_package(stage: Path, static: Path) -> Path:
    """The npm package folder: package.json, README.md, LICENSE and the static build in ``analytics/``."""
    package = stage / "package"
    shutil.copytree(static, package / "analytics")
    (package / "package.json").write_text(json.dumps({
        "name": "analytics-identity",
        "version": __version__,
        "description": "Analytics.js-compatible visitor identity in Python on Pyodide: the static build and its types",
        "license": "MIT",
        "types": "analytics/analytics.d.ts",
        "files": ["analytics/", "README.md", "LICENSE"],
        "keywords": ["analytics", "segment", "pyodide", "identity"],
    }, indent=2) + "\n")
    (package / "README.md").write_text(NPM_README)
    shutil.copyfile(project_root() / "LICENSE", package / "LICENSE")
    return package


def write_dist(dist: Path) -> list[Path]:
    """Write every release artifact into ``dist`` (emptied first); returns their paths."""
    root = project_root()
    if dist.exists():
        shutil.rmtree(dist)
    dist.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="analytics-identity-dist-") as scratch:
        work = Path(scratch)
        stage = _stage_python(work / f"analytics-identity-{__version__}", root)
        subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(stage)],
                       check=True, stdout=subprocess.DEVNULL)
        # Next to make build's folder, to share its caches of bytecode and compressed files.
        static = build_static(root / "build" / "static" / f"release-{__version__}", root)
        (dist / "pyodide").mkdir()
        for wheel in (static / "python").glob("*.whl"):
            shutil.copyfile(wheel, dist / "pyodide" / wheel.name)
        package = _npm_package(work / "npm", static)
        shutil.rmtree(static)
        subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(dist.resolve())], cwd=package,
                       check=True, stdout=subprocess.DEVNULL)
    return sorted(path for path in dist.rglob("*") if path.is_file())


if __name__ == "__main__":
    for artifact in write_dist(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")):
        print(f"wrote {artifact} ({artifact.stat().st_size / 1e6:.1f} MB)")
