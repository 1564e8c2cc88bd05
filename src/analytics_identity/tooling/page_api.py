"""What the page's JavaScript knows of the core, written into it at build time from the Python table.

The snippet and the loader run before Python does, so they cannot ask the
core which methods exist or what each returns. Rather than a second copy of
:data:`~analytics_identity.bridge.methods.METHODS` by hand (which drifted: the
disabled stand-in decided return kinds with regular expressions), the build
replaces one placeholder in each file with a JSON literal made here:

* ``__SNIPPET_TABLE__`` in ``web/snippet.js``: the methods it stubs, those
  whose buffered calls keep the page they were made on (and the marker's
  key), those kept for the next page when this one leaves before ready, and
  the localStorage prefix they are kept under (:mod:`analytics_identity.bridge.handover`);
* ``__METHOD_KINDS__`` in ``web/loader.mjs``: every method's return kind,
  and the methods that give an entity accessor when called with no argument.
"""

from __future__ import annotations

import json
from typing import Any

from ..bridge.handover import PREFIX
from ..bridge.methods import BUFFERED_PAGE, ENTITY, METHODS

__all__ = ["loader_table", "render", "snippet_table"]


def snippet_table() -> dict[str, Any]:
    """What ``web/snippet.js`` needs: its stubs, the calls that pin their page and those kept on leaving."""
    return {
        "stubbed": [m.name for m in METHODS.values() if m.buffered],
        "pinned": [m.name for m in METHODS.values() if m.pins_page],
        "kept": [m.name for m in METHODS.values() if m.kept],
        "keptPrefix": PREFIX,
        "bufferedPage": BUFFERED_PAGE,
    }


def loader_table() -> dict[str, Any]:
    """What ``web/loader.mjs`` needs: each method's return kind, for the disabled stand-in."""
    return {
        "kinds": {m.name: m.kind for m in METHODS.values()},
        "accessors": [m.name for m in METHODS.values() if m.entity is not None or m.kind == ENTITY],
    }


#: Each placeholder and the table it is replaced with.
PLACEHOLDERS = {"__SNIPPET_TABLE__": snippet_table, "__METHOD_KINDS__": loader_table}


def render(source: str, placeholder: str) -> str:
    """``source`` with its one ``placeholder`` replaced by the table as a JSON literal."""
    if source.count(placeholder) != 1:
        raise ValueError(f"expected {placeholder} once in the source, found it {source.count(placeholder)} times")
    return source.replace(placeholder, json.dumps(PLACEHOLDERS[placeholder](), separators=(",", ":")))
