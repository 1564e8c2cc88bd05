"""What the test sites share: their settings (from the environment the test gives them), the page, the purchase.

Each site serves, with the identity middleware: ``/`` (a server-rendered
page with the snippet), the static build at ``/static/analytics/`` (served
by :class:`~analytics_identity.server.static.StaticBuild` on Starlette and
by WhiteNoise through :func:`~analytics_identity.server.wsgi_static.serve_build` on Flask),
``/api/identity`` (the ids as the server reads them, JSON), ``POST
/api/purchase`` (a server-side event through Segment's Python library,
to the collector's ``/v1/batch``, under the visitor's anonymousId), and
``POST /login`` (a form's ``user`` and ``plan``: the server identifies the
visitor) and ``POST /logout`` (the server resets), each redirecting to ``/``.

"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path
from string import Template

from segment.analytics import Client

from analytics_identity.server import Identity, RequestIdentity

STATIC = Path(os.environ["SITE_STATIC"])
COLLECTOR = os.environ["SITE_COLLECTOR"]  # http://127.0.0.1:PORT
PAGE = Template((Path(__file__).parent / "page.html").read_text())

segment = Client("server-key", host=COLLECTOR, sync_mode=True)


def page(identity: Identity) -> str:
    return PAGE.substitute(api_host=COLLECTOR.split("://", 1)[1] + "/v1",
                           anonymous_id=html.escape(identity.anonymous_id or ""))


def login(identity: RequestIdentity, form: Mapping[str, str]) -> None:
    """What a site's login view adds once it has authenticated the user."""
    identity.identify(form["user"], {"plan": form["plan"]} if form.get("plan") else None)


def purchase(identity: Identity) -> dict[str, str | None]:
    segment.track(anonymous_id=identity.anonymous_id, user_id=identity.user_id, event="Order Completed",
                  properties={"total": 42})
    return vars(identity)
