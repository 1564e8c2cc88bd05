"""Figures for ``docs/reliability.md``, written by the tests that assert them.

Each reliability test calls :func:`record` with what it measured right after
asserting it, so a figure in the file always comes from a passing run.
``python -m tests.figures`` renders the collected figures as the table in
``docs/reliability.md`` (between the ``figures`` markers).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = Path(os.environ.get("RELIABILITY_FIGURES", ROOT / "build" / "reliability.json"))
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"

GROUPS = {
    "hostile_input": "Hostile input",
    "stored_state": "Corrupt stored state",
    "broken_storage": "Broken storage",
    "network_faults": "Network faults",
    "many_tabs": "Many tabs",
}


def record(group: str, label: str, value: int | float | str) -> None:
    """Keep one figure (the latest run wins)."""
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures.setdefault(group, {})[label] = value
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=1, ensure_ascii=False, sort_keys=True))


def render() -> str:
    figures = json.loads(FIGURES.read_text())
    rows = ["| group | figure | value |", "|---|---|---|"]
    for group, title in GROUPS.items():
        for label, value in sorted(figures.get(group, {}).items()):
            rows.append(f"| {title} | {label} | {value} |")
    return "\n".join(rows)


def main() -> None:
    text = DOC.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}")
    print(f"wrote the figures of {FIGURES} into {DOC}")


if __name__ == "__main__":
    main()
