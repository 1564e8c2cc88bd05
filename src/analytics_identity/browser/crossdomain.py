"""The browser side of ``crossDomain``: links and GET forms carry the hand-off, the landing page's address loses it.

A capture-phase listener sees a click (or a middle click) on a link, or a
form's submit, before the browser navigates, and writes the parameter into
that one navigation's address; nothing is added to links the visitor does
not follow. The rules (which domains, the value, what a landing adopts) are
in :mod:`analytics_identity.identity.handoff`.
"""

from __future__ import annotations

from typing import Any

import js

from ..api.client import Analytics
from ..identity.handoff import PARAMETER
from .ffi import create_proxy, jsnull

__all__ = ["watch_links"]


def watch_links(analytics: Analytics) -> None:
    """Hand the anonymousId to the listed domains; take a landing's parameter out of the address bar."""
    identity = analytics.identity
    identity.replace_search = lambda search: js.history.replaceState(
        js.history.state, "", js.location.pathname + search + js.location.hash)
    if identity.cross_domain is None:
        return

    def clicked(event: Any) -> None:
        try:
            target = event.target
            link = target.closest("a[href]") if getattr(target, "closest", None) else None
            if link is None or link is jsnull:
                return
            value = identity.hand_off(link.href, js.location.hostname)
            if value is not None:
                url = js.URL.new(link.href)
                url.searchParams.set(PARAMETER, value)
                link.href = url.href
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            analytics.host.warn(f"cross-domain link hand-off failed: {error}")

    def submitted(event: Any) -> None:
        try:
            form = event.target
            if str(getattr(form, "method", "get")).lower() != "get":
                return
            value = identity.hand_off(form.action, js.location.hostname)
            if value is None:
                return
            field = form.querySelector(f"input[name='{PARAMETER}']")
            if field is None or field is jsnull:
                field = js.document.createElement("input")
                field.type, field.name = "hidden", PARAMETER
                form.appendChild(field)
            field.value = value
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            analytics.host.warn(f"cross-domain form hand-off failed: {error}")

    for kind, handler in (("click", clicked), ("auxclick", clicked), ("submit", submitted)):
        js.document.addEventListener(kind, create_proxy(handler), True)
