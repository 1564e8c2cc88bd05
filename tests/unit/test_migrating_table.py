"""docs/migrating.md's tables cannot drift: from analytics-next's declarations, nor from the methods table.

analytics-next 1.84's public API is read from its own type declarations in
node_modules (a pinned dev dependency): every public method and property of
its ``Analytics`` class (and the ``Emitter`` it extends) and every load
option (``InitOptions``, ``UserOptions``, the ``"Segment.io"`` settings) must
have a row. Each row's status must match what the page API does: a method
marked refused is refused by the methods table, one marked same or better is
dispatched, and the refused options are exactly the settings module's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics_identity.bridge.methods import METHODS
from analytics_identity.options.settings import KNOWN_OPTIONS, UNSUPPORTED_OPTIONS
from analytics_identity.tooling.build import project_root

ROOT = project_root()
DOC = ROOT / "docs" / "migrating.md"
TYPES = ROOT / "node_modules" / "@segment"
STATUSES = {"same", "better", "refused", "out of scope"}


def _declarations(path: Path) -> str:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make deps` (analytics-next is a pinned dev dependency)")
    return path.read_text()


def _members(text: str, name: str) -> set[str]:
    """Public members of class or interface ``name``: ``track()`` for methods, ``VERSION`` for properties."""
    body = re.search(rf"(?:class|interface) {name}\b[^{{]*\{{(.*?)\n\}}", text, re.S)
    assert body is not None, name
    members = set()
    for line in body.group(1).splitlines():
        found = re.match(r"^    (readonly |get |static )*(\w+)(\??)(\(|<|: |:)(.*)", line)
        if not found or found.group(2) in ("constructor", "private") or line.strip().startswith("private "):
            continue
        prefix, member, _, opener, rest = found.groups()
        getter = prefix is not None and "get" in line.split(member)[0]
        is_method = not getter and (opener in ("(", "<") or rest.startswith("(") or "typeof _stub" in rest)
        members.add(member + "()" if is_method else member)
    return members


def analytics_next_members() -> set[str]:
    analytics = _declarations(TYPES / "analytics-next/dist/types/core/analytics/index.d.ts")
    emitter = _declarations(TYPES / "analytics-generic-utils/dist/types/emitter/emitter.d.ts")
    return _members(analytics, "Analytics") | _members(emitter, "Emitter")


def analytics_next_options() -> set[str]:
    settings = _declarations(TYPES / "analytics-next/dist/types/browser/settings.d.ts")
    user = _declarations(TYPES / "analytics-next/dist/types/core/user/index.d.ts")
    segmentio = _declarations(TYPES / "analytics-next/dist/types/browser/settings.d.ts")
    picked = re.search(r"SegmentioIntegrationInitOptions = Pick<SegmentioSettings, ([^>]*)>", segmentio)
    assert picked is not None
    return ({name.rstrip("()") for name in _members(settings, "InitOptions")}
            | {f"user.{name.rstrip('()')}" for name in _members(user, "UserOptions")}
            | {f'integrations["Segment.io"].{name}' for name in re.findall(r"'(\w+)'", picked.group(1))})


def table(marker: str) -> dict[str, tuple[str, str]]:
    """``{name: (status, why)}`` of the table between ``<!-- marker -->`` and ``<!-- marker:end -->``."""
    text = DOC.read_text()
    block = text[text.index(f"<!-- {marker} -->"):text.index(f"<!-- {marker}:end -->")]
    rows = {}
    for line in block.splitlines()[3:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 3 and cells[0].startswith("`") and cells[0].endswith("`"), line
        name = cells[0].strip("`")
        assert name not in rows, f"{name} twice"
        rows[name] = (cells[1], cells[2])
    return rows


def test_every_row_has_a_status_and_says_why_where_it_differs() -> None:
    for marker in ("methods", "options"):
        for name, (status, why) in table(marker).items():
            assert status in STATUSES, (name, status)
            assert status == "same" or why, f"{name}: say why it is {status}"


def test_every_public_method_and_property_of_analytics_next_has_a_row() -> None:
    members = analytics_next_members()
    assert {"track()", "trackLink()", "addIntegrationMiddleware()", "VERSION", "on()"} <= members
    rows = table("methods")
    assert members - set(rows) == set(), "add rows for these"
    assert set(rows) - members == set(), "not analytics-next's"


def test_the_methods_rows_say_what_the_methods_table_does() -> None:
    for name, (status, _) in table("methods").items():
        method = METHODS.get(name.removesuffix("()"))
        if name.endswith("()") and status in ("same", "better"):
            assert method is not None and not method.refused, f"{name} is {status} but not on the page"
        if status == "refused":
            assert method is not None and method.refused, f"{name} is refused in the doc only"
        if status == "out of scope":
            assert method is None, f"{name} is on the page but out of scope in the doc"
    refused = {f"{m.name}()" for m in METHODS.values() if m.refused}
    assert refused <= {name for name, (status, _) in table("methods").items() if status == "refused"}


def test_every_load_option_of_analytics_next_has_a_row_matching_the_settings() -> None:
    rows = table("options")
    options = analytics_next_options()
    assert {"initialPageview", "user.disable", 'integrations["Segment.io"].deliveryStrategy'} <= options
    assert options - set(rows) == set(), "add rows for these"
    refused = {name for name, (status, _) in rows.items() if status == "refused"}
    assert refused == set(UNSUPPORTED_OPTIONS)
    assert {name.split(".")[0].split("[")[0] for name in rows} <= KNOWN_OPTIONS
