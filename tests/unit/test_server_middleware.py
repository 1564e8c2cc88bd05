"""IdentityMiddleware (ASGI) and WSGIIdentityMiddleware: the identity on every request, the cookie on documents only."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import flask
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

with warnings.catch_warnings():  # Starlette nudges towards httpx2; httpx is what the project pins
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from analytics_identity.server import (
    Identity,
    IdentityMiddleware,
    WSGIIdentityMiddleware,
    read_identity,
)

UUID = "39ee7ea5-b6d8-4174-b612-04e1ef3fa952"


def starlette_app(**options: Any) -> Starlette:
    def ids(request: Request) -> dict[str, Any]:
        return vars(request.state.analytics_identity)

    async def page(request: Request) -> Response:
        return HTMLResponse(f"<p>{ids(request)['anonymous_id']}</p>")

    async def api(request: Request) -> Response:
        return JSONResponse(ids(request))

    async def own_cookie(request: Request) -> Response:
        response = HTMLResponse("<p>x</p>")
        response.set_cookie("ajs_anonymous_id", "chosen-by-the-app")
        return response

    async def script(request: Request) -> Response:
        return PlainTextResponse("void 0", media_type="text/javascript")

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(vars(websocket.state.analytics_identity))
        await websocket.close()

    app = Starlette(routes=[Route("/", page), Route("/api", api), Route("/own", own_cookie), Route("/app.js", script),
                            WebSocketRoute("/ws", socket)])
    return IdentityMiddleware(app, **options)  # type: ignore[return-value]


def flask_app(**options: Any) -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/")
    def page() -> str:
        return f"<p>{flask.request.environ['analytics_identity'].anonymous_id}</p>"

    @app.get("/api")
    def api() -> Any:
        return vars(flask.request.environ["analytics_identity"])

    @app.get("/own")
    def own_cookie() -> flask.Response:
        response = flask.make_response("<p>x</p>")
        response.set_cookie("ajs_anonymous_id", "chosen-by-the-app")
        return response

    @app.get("/app.js")
    def script() -> flask.Response:
        return flask.Response("void 0", mimetype="text/javascript")

    app.wsgi_app = WSGIIdentityMiddleware(app.wsgi_app, **options)  # type: ignore[method-assign]
    return app


class Site:
    """One client interface over both frameworks' test clients."""

    def __init__(self, kind: str, **options: Any) -> None:
        self.kind = kind
        #: The Set-Cookie values :meth:`get` returns, by name prefix.
        self.names: tuple[str, ...] = ("ajs_anonymous_id=",)
        if kind == "asgi":
            self._client: Any = TestClient(starlette_app(**options), base_url="http://shop.example.com")
        else:
            self._client = flask_app(**options).test_client(use_cookies=False)

    def get(self, path: str, cookies: str = "", host: str = "shop.example.com",
            **headers: str) -> tuple[str, list[str]]:
        """The body and the Set-Cookie values :attr:`names` selects."""
        headers = {"Host": host, **({"Cookie": cookies} if cookies else {}), **headers}
        response = self._client.get(path, headers=headers)
        if self.kind == "asgi":
            body, set_cookies = response.text, response.headers.get_list("set-cookie")
        else:
            body, set_cookies = response.get_data(as_text=True), response.headers.getlist("Set-Cookie")
        return body, [c for c in set_cookies if c.startswith(self.names)]


@pytest.fixture(params=["asgi", "wsgi"])
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


def test_a_new_visitor_gets_one_id_in_the_page_and_in_its_cookie(kind: str) -> None:
    body, cookies = Site(kind).get("/")
    assert len(cookies) == 1
    minted = read_identity(cookies[0].split(";")[0]).anonymous_id
    assert minted and body == f"<p>{minted}</p>"
    assert "; domain=example.com; SameSite=Lax" in cookies[0] and "HttpOnly" not in cookies[0]


def test_a_returning_visitor_keeps_the_id_and_its_cookie_is_renewed_in_the_raw_format(kind: str) -> None:
    body, cookies = Site(kind).get("/", f"ajs_anonymous_id=%22{UUID}%22; ajs_user_id=%22u-1%22")
    assert body == f"<p>{UUID}</p>"
    assert cookies == [cookies[0]] and cookies[0].startswith(f"ajs_anonymous_id={UUID}; expires=")


def test_api_and_asset_responses_carry_no_cookie_but_read_the_identity(kind: str) -> None:
    site = Site(kind)
    body, cookies = site.get("/api", f"ajs_anonymous_id={UUID}; ajs_user_id=u-1; ajs_group_id=g-1")
    assert cookies == [] and Identity(**json.loads(body)) == Identity(UUID, "u-1", "g-1")
    assert site.get("/app.js")[1] == []


def test_documents_re_set_the_user_and_group_cookies_the_visitor_has(kind: str) -> None:
    site = Site(kind)
    site.names = ("ajs_",)
    _, cookies = site.get("/", f"ajs_anonymous_id={UUID}; ajs_user=%7B%22id%22%3A%22u-1%22%7D; ajs_group_id=%22g-1%22")
    assert [c.split(";")[0] for c in cookies] == [f"ajs_anonymous_id={UUID}", "ajs_user_id=u-1", "ajs_group_id=g-1"]
    assert site.get("/api", "ajs_user_id=u-1; ajs_group_id=g-1")[1] == []


def test_allow_decides_whether_identity_cookies_are_set(kind: str) -> None:
    """A site that asks for consent first: nothing stored until its consent tool's cookie says yes."""
    site = Site(kind, allow=lambda cookies: cookies.get("consent") == "analytics")
    site.names = ("ajs_",)
    body, cookies = site.get("/")
    assert cookies == [] and len(body) == len("<p></p>") + 36  # an id for this request all the same
    body, cookies = site.get("/", f"consent=analytics; ajs_anonymous_id={UUID}; ajs_user_id=u-1")
    assert body == f"<p>{UUID}</p>" and len(cookies) == 2


def test_the_app_own_cookie_is_the_only_one(kind: str) -> None:
    _, cookies = Site(kind).get("/own")
    assert len(cookies) == 1 and cookies[0].startswith("ajs_anonymous_id=chosen-by-the-app")


def test_cookie_options_as_in_load(kind: str) -> None:
    site = Site(kind, cookie={"domain": "shop.example.com", "maxage": 7, "sameSite": "strict", "secure": True})
    cookie = site.get("/")[1][0]
    assert cookie.endswith("; path=/; domain=shop.example.com; SameSite=Strict; Secure")


@pytest.mark.parametrize(("host", "domain"), [("127.0.0.1:8000", None), ("localhost", None),
                                              ("a.shop.example.co.uk:8443", "example.co.uk")])
def test_the_cookie_domain_follows_the_host(kind: str, host: str, domain: str | None) -> None:
    cookie = Site(kind).get("/", host=host)[1][0]
    assert ("; domain=" in cookie) is (domain is not None)
    if domain:
        assert f"; domain={domain};" in cookie


def test_a_proxy_forwarded_host_names_the_domain(kind: str) -> None:
    cookie = Site(kind).get("/", host="127.0.0.1:9000", **{"X-Forwarded-Host": "www.example.org"})[1][0]
    assert "; domain=example.org;" in cookie


def test_asgi_lifespan_passes_through_and_websockets_get_the_identity() -> None:
    with TestClient(starlette_app()) as client, client.websocket_connect("/ws", headers={
            "Cookie": f"ajs_anonymous_id={UUID}"}) as socket:
        assert socket.receive_json() == {"anonymous_id": UUID, "user_id": None, "group_id": None}


def test_asgi_keeps_the_lifespan_state_of_the_request() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope["state"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"host", b"localhost"), (b"cookie", b"a=1"),
                                         (b"cookie", f"ajs_anonymous_id={UUID}".encode())],
             "state": {"db": "pool"}, "server": ("localhost", 80)}
    # In a thread of its own: in the whole suite Playwright's loop already runs in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, IdentityMiddleware(app)(scope, None, send)).result()  # type: ignore[arg-type]
    assert seen["db"] == "pool" and vars(seen["analytics_identity"]) == vars(Identity(UUID))  # HTTP/2's split Cookie fields read too
    assert sent[0]["headers"][-1][1].startswith(f"ajs_anonymous_id={UUID}; expires=".encode())
