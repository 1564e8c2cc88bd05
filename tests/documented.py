"""Code blocks the docs show, read by the tests that run them, so the two cannot drift.

A block is named by an HTML comment on the line before its opening fence
(``<!-- csp:loader -->``), which Markdown renders as nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def fenced(name: str, doc: Path = README) -> str:
    """The content of the fenced block named ``name`` in ``doc``, exactly as written."""
    pattern = rf"^<!-- {re.escape(name)} -->\n```[\w-]*\n(.*?)^```$"
    found = re.findall(pattern, doc.read_text(), flags=re.M | re.S)
    assert len(found) == 1, f"{doc.name} should have one block named {name}, has {len(found)}"
    return found[0]


def policy(name: str) -> str:
    """A Content-Security-Policy the README shows: one line, pasteable as a header value."""
    text = fenced(name).strip()
    assert "\n" not in text and "#" not in text, f"{name}: a policy is one line with no comments"
    return text
