"""Fixtures shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    """A static folder for the collector app: the snippet is the one file it needs."""
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "snippet.js").write_text("/* test */")
    return folder
