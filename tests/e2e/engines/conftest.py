"""One browser session per engine for each test module: WebKit, then Firefox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.engines.engine import Engine
from tests.e2e.engines.firefox import Firefox
from tests.e2e.engines.webkit import WebKit

ENGINES: dict[str, type[Engine]] = {"webkit": WebKit, "firefox": Firefox}


@pytest.fixture(scope="module", params=list(ENGINES))
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The engine's browser, started once per module; a missing binary fails the tests, never skips them."""
    with ENGINES[request.param](tmp_path_factory.mktemp(request.param)) as started:
        yield started
