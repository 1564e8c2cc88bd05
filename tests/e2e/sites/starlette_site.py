"""A Starlette site with IdentityMiddleware (run by uvicorn)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route

from analytics_identity.server import IdentityMiddleware
from analytics_identity.server.static import StaticBuild
from tests.e2e.sites.site import STATIC, login, page, purchase


async def home(request: Request) -> HTMLResponse:
    return HTMLResponse(page(request.state.analytics_identity))


async def identity(request: Request) -> JSONResponse:
    return JSONResponse(vars(request.state.analytics_identity))


async def buy(request: Request) -> JSONResponse:
    return JSONResponse(purchase(request.state.analytics_identity))


async def sign_in(request: Request) -> RedirectResponse:
    # The urlencoded form read without python-multipart (which Starlette's request.form() needs).
    login(request.state.analytics_identity, dict(parse_qsl((await request.body()).decode())))
    return RedirectResponse("/", status_code=303)


async def sign_out(request: Request) -> RedirectResponse:
    request.state.analytics_identity.reset()
    return RedirectResponse("/", status_code=303)


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[
    Route("/", home), Route("/api/identity", identity), Route("/api/purchase", buy, methods=["POST"]),
    Route("/login", sign_in, methods=["POST"]), Route("/logout", sign_out, methods=["POST"]),
    Route("/healthz", health), Mount("/static/analytics", StaticBuild(STATIC)),
])
app.add_middleware(IdentityMiddleware)  # as the README says
