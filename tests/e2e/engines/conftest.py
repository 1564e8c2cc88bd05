"""The engine tests' browser: the session's WebKit, then Firefox (tests/e2e/engines/fixtures.py), as a new visitor."""

from __future__ import annotations

import pytest

from tests.e2e.engines.engine import Engine
from tests.e2e.engines.fixtures import ENGINES, Started


@pytest.fixture(scope="module", params=list(ENGINES))
def engine(request: pytest.FixtureRequest, started_engines: Started) -> Engine:
    """A missing binary fails the tests, never skips them."""
    started = started_engines[request.param]
    started.listener = None
    started.fresh()
    return started
