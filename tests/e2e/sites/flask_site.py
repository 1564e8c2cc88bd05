"""A Flask site with WSGIIdentityMiddleware (run by waitress)."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, request
from werkzeug.wrappers import Response

from analytics_identity.server import WSGIIdentityMiddleware
from analytics_identity.server.wsgi_static import serve_build
from tests.e2e.sites.site import STATIC, login, page, purchase

app = Flask(__name__, static_folder=None)
app.wsgi_app = WSGIIdentityMiddleware(app.wsgi_app)  # type: ignore[method-assign]  # as the README says
app.wsgi_app = serve_build(app.wsgi_app, STATIC)  # type: ignore[method-assign]  # WhiteNoise, as docs/server.md says


@app.get("/")
def home() -> str:
    return page(request.environ["analytics_identity"])


@app.get("/api/identity")
def identity() -> dict[str, Any]:
    return vars(request.environ["analytics_identity"])


@app.post("/api/purchase")
def buy() -> dict[str, Any]:
    return purchase(request.environ["analytics_identity"])


@app.post("/login")
def sign_in() -> Response:
    login(request.environ["analytics_identity"], request.form)
    return redirect("/", code=303)


@app.post("/logout")
def sign_out() -> Response:
    request.environ["analytics_identity"].reset()
    return redirect("/", code=303)


@app.get("/healthz")
def health() -> str:
    return "ok"
