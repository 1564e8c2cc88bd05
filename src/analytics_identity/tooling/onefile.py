"""One file from a JavaScript module and the ``./`` modules it imports.

The loader's source is split by job (``web/loader.mjs`` orchestrates,
``web/runtime.mjs`` starts Pyodide, ``web/saved.mjs`` holds what a visit
saves), and the snapshot worker shares two of them; a page still fetches one
loader file. This is all the bundling those modules need: each imported
module's text, without its ``import`` lines and ``export`` keywords, once,
before the modules that import it, in one scope. Only the form the sources
use is accepted (``import { a, b } from "./x.mjs";`` on one line); a name
declared twice, or imported but not exported, fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["bundle"]

_IMPORT = re.compile(r'^import \{([^}]*)\} from "\./([\w-]+\.mjs)";\n', re.M)
_DECLARED = re.compile(r"^(export )?(?:async )?(?:function\*?|const|let|class) (\w+)", re.M)


def bundle(entry: Path) -> str:
    """``entry`` with its local imports inlined; its own exports stay."""
    order: list[Path] = []
    _visit(entry, order, set())
    declared: dict[str, Path] = {}
    parts = []
    for path in order:
        text = path.read_text()
        for match in _DECLARED.finditer(text):
            name = match.group(2)
            if name in declared:
                raise ValueError(f"{path.name} and {declared[name].name} both declare {name}: rename one")
            declared[name] = path
        for match in _IMPORT.finditer(text):
            exported = {m.group(2) for m in _DECLARED.finditer((path.parent / match.group(2)).read_text()) if m.group(1)}
            missing = {name.strip() for name in match.group(1).split(",")} - exported
            if missing:
                raise ValueError(f"{path.name} imports {sorted(missing)}, which {match.group(2)} does not export")
        text = _IMPORT.sub("", text)
        if path != entry:
            text = re.sub(r"^export ", "", text, flags=re.M)
        parts.append(f"// --- {path.name}\n{text}")
    return "\n".join(parts)


def _visit(path: Path, order: list[Path], seen: set[Path]) -> None:
    if path in seen:
        return
    seen.add(path)
    for match in _IMPORT.finditer(path.read_text()):
        _visit(path.parent / match.group(2), order, seen)
    order.append(path)
