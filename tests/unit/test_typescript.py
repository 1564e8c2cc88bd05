"""``web/analytics.d.ts`` type-checks what a site migrating from analytics-next wrote.

``tests/typescript/migrating-site.ts`` is written against analytics-next
1.84's documented API (every method and load option a site uses). ``tsc
--noEmit --strict`` checks it against ``@segment/analytics-next`` itself, so
it stays analytics-next code, and then with that module name mapped to our
declarations, together with every ``js`` example of the README and docs/.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from analytics_identity.tooling.build import project_root

ROOT = project_root()
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
SITE = ROOT / "tests" / "typescript" / "migrating-site.ts"
DECLARATIONS = ROOT / "web" / "analytics.d.ts"
OPTIONS = {"strict": True, "noEmit": True, "target": "es2020", "module": "esnext", "moduleResolution": "bundler",
           "lib": ["es2020", "dom"], "types": []}


def tsc(folder: Path, files: list[Path], **options: object) -> str:
    """Errors ``tsc`` reports (empty when the files type-check)."""
    if not TSC.exists():
        pytest.fail("typescript is missing from node_modules: run `make deps`")
    config = folder / "tsconfig.json"
    config.write_text(json.dumps({"compilerOptions": {**OPTIONS, **options}, "files": [str(f) for f in files]}))
    result = subprocess.run(["node", str(TSC), "-p", str(config)], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def doc_examples() -> str:
    """Every ```js block of the README and docs/, each in its own scope."""
    blocks = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"^```js\n(.*?)^```", path.read_text(), re.S | re.M):
            blocks.append(f"// {path.relative_to(ROOT)}\n{{\n{block}}}\n")
    assert len(blocks) >= 2
    return "\n".join(blocks) + "export {};\n"


def test_the_site_is_analytics_next_code(tmp_path: Path) -> None:
    assert tsc(tmp_path, [SITE], skipLibCheck=True) == ""


def test_the_site_and_the_documented_examples_type_check_against_our_declarations(tmp_path: Path) -> None:
    examples = tmp_path / "doc-examples.ts"
    examples.write_text(doc_examples())
    errors = tsc(tmp_path, [DECLARATIONS, SITE, examples], skipLibCheck=False,
                 paths={"@segment/analytics-next": [str(DECLARATIONS)]})
    assert errors == ""
