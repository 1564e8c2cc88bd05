"""docs/troubleshooting.md lists every message the loader, the snippet and the core can print.

Messages are read from the sources (each ``warn(...)`` call of the Python
package that ships to the browser, each ``console.warn``/``console.error`` of
``web/``) and
rendered with ``…`` for the parts computed at run time, so a new or
reworded message fails here until the page says what it means.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from analytics_identity.tooling.build import ships

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "analytics_identity"
DOC = ROOT / "docs" / "troubleshooting.md"
WARNERS = {"warn", "_warn"}


def template(node: ast.expr) -> str | None:
    """A message expression as text, ``…`` for each computed part (``None`` if it is not a message)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else "…" for v in node.values]
        return re.sub("…+", "…", "".join(parts))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        return None if left is None or right is None else re.sub("…+", "…", left + right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
        return "…"
    return None


def python_messages() -> set[str]:
    messages = set()
    for path in PACKAGE.rglob("*.py"):
        if not ships(path.relative_to(PACKAGE)):
            continue
        tree = ast.parse(path.read_text())
        assigned = {  # message = f"..."; warn(message)
            target.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in WARNERS:
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Name):
                argument = assigned.get(argument.id, argument)
            text = template(argument)
            if text is not None and text.removeprefix("analytics-identity: ").strip("…"):  # not the prefix alone
                messages.add(text)
    return messages


def javascript_messages() -> set[str]:
    """Every ``console.warn``/``console.error`` of ``web/`` and the loader's explanations,
    ``${…}`` and ``" + x + "`` as ``…``."""
    messages = set()
    for path in sorted((ROOT / "web").glob("*.*js")):
        source = path.read_text()
        for call in re.findall(r"console\.(?:warn|error)\((.*?)\);[ \t]*$", source, flags=re.S | re.M):
            if call.startswith("explain("):
                explain = source.split("function explain(", 1)[1].split("\n}\n", 1)[0]
                messages |= {a or b for a, b in re.findall(r'"([^"]{12,})"|`([^`]{12,})`', explain)}
                continue
            messages.add("…".join(a or b for a, b in re.findall(r'"([^"]*)"|`([^`]*)`', call)))
    return {re.sub("…+", "…", re.sub(r"\$\{[^}]*\}", "…", m)).removeprefix("analytics-identity: ") for m in messages}


def documented() -> str:
    return DOC.read_text().replace("\\|", "|")


def test_every_core_warning_is_documented() -> None:
    messages = python_messages()
    assert len(messages) > 30  # the reader still finds the warnings
    missing = sorted(m for m in messages if m not in documented())
    assert not missing, f"add these to {DOC.name}: {missing}"


def test_every_loader_and_snippet_error_is_documented() -> None:
    messages = javascript_messages()
    assert any("wasm-unsafe-eval" in m for m in messages) and any("loader.mjs" in m for m in messages)
    missing = sorted(m for m in messages if m not in documented())
    assert not missing, f"add these to {DOC.name}: {missing}"
