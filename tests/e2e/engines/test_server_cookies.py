"""docs/server.md's answer to Safari's 7-day cap, checked in WebKit (and Firefox, which has no cap).

A Starlette site with the identity middleware (tests/e2e/sites) sets the id
cookies on its documents and loads with ``cookie: {renew: false}``: the
anonymousId cookie keeps the server's expiry; a cookie the core writes
because its value changed (identify) is capped in WebKit, until the next
document renews it from the server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analytics_identity.server.process import ChildServer
from tests.conftest import ROOT, Server, config
from tests.e2e.engines.engine import Engine
from tests.e2e.engines.test_walkthrough import COOKIE_DAYS, lasts
from tests.e2e.test_server_identity import COMMANDS

READY = "window.analytics.initialized === true"


@pytest.fixture(scope="module")
def site(server: Server) -> Iterator[str]:
    env = {"SITE_STATIC": str(ROOT / config.STATIC_DIR), "SITE_COLLECTOR": server.url, "PYTHONPATH": str(ROOT)}
    with ChildServer(COMMANDS["starlette"], host=config.HOST, env=env, quiet=True) as child:
        yield child.url


def test_cookies_the_server_sets_outlast_the_cap_on_script_cookies(engine: Engine, site: str) -> None:
    engine.goto(site + "/")
    engine.clear_cookies()
    engine.execute("localStorage.clear();")
    engine.reload()  # a new visitor: the server mints the anonymousId in this document's response
    engine.wait_for(READY, config.BOOT_TIMEOUT_MS / 1000)
    minted = engine.run("document.getElementById('server-anonymous-id').textContent")
    assert engine.run("analytics.user().anonymousId()") == minted == engine.cookie("ajs_anonymous_id")["value"]
    assert lasts(engine, "ajs_anonymous_id", COOKIE_DAYS)  # the server's cookie, not rewritten by the core

    engine.execute('await analytics.identify("user_123");')  # a new value: the core writes this one
    assert engine.cookie("ajs_user_id")["value"] == "user_123"
    assert lasts(engine, "ajs_user_id", engine.script_cookie_days or COOKIE_DAYS)

    engine.reload()  # the next document: the server renews both
    engine.wait_for(READY, config.BOOT_TIMEOUT_MS / 1000)
    assert engine.run("[analytics.user().anonymousId(), analytics.user().id()]") == [minted, "user_123"]
    assert lasts(engine, "ajs_anonymous_id", COOKIE_DAYS) and lasts(engine, "ajs_user_id", COOKIE_DAYS)
