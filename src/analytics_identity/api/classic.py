"""analytics.js' classic calls: ``trackLink``/``trackForm`` (and their aliases), ``pageview``, ``timeout``.

``trackLink(links, event, properties?, options?)`` binds a click listener to
each element; a click tracks ``event`` (or ``event(element)``) with
``properties`` (or ``properties(element)``) and, on a link that would
navigate in this tab, holds the navigation for :attr:`timeout <ClassicCalls.timeout_ms>`
ms (300 by default, as analytics.js) so the request starts before the page
unloads. ``trackForm(forms, …)`` does the same on submit, then submits the
form. The event is queued in localStorage when the handler returns, so
whatever the delay, the next page sends it if this one could not.

:class:`~analytics_identity.api.client.Analytics` holds one
:class:`ClassicCalls` and gives it the ``track`` and ``page`` calls it
makes; :class:`ClassicMethods`, a base of the instance, holds the public
guarded entries, which need nothing of it but that one object.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Self

from ..host import Host, describe
from .entry import guarded

__all__ = ["DEFAULT_TIMEOUT_MS", "ClassicCalls", "ClassicMethods"]

#: analytics.js' default ``settings.timeout`` in ms.
DEFAULT_TIMEOUT_MS = 300


class ClassicCalls:
    """The bindings of ``trackLink``/``trackForm``, their timeout, and ``pageview``."""

    def __init__(self, host: Host, track: Callable[..., Any], page: Callable[..., Any]) -> None:
        self._host = host
        self._track = track
        self._page = page
        #: How long a bound link or form holds its navigation, in ms.
        self.timeout_ms: float = DEFAULT_TIMEOUT_MS

    def bind(self, kind: str, name: str, targets: Any, event: Any, properties: Any, options: Any) -> None:
        """``trackLink`` (``kind`` "link") or ``trackForm`` ("form"), called as ``name``."""
        if not (isinstance(event, str) and event or callable(event)):
            raise ValueError(f"{name} needs an event name or a function giving it, not {describe(event)}")

        def fire(element: Any) -> None:
            """The element was clicked or submitted: track it (page functions give name and properties)."""
            try:
                label = event(element) if callable(event) else event
                props = properties(element) if callable(properties) else properties
            except Exception as error:  # noqa: BLE001 - page functions must not break the page
                self._host.warn(f"{name}: the event or properties function raised {type(error).__name__}: {error}")
                return
            self._track(label, props if isinstance(props, dict) else {}, options if isinstance(options, dict) else {})

        if targets is not None and not self._host.bind(kind, targets, fire, lambda: self.timeout_ms):
            self._host.warn(f"{name}: {describe(targets)} holds no element to bind to; call ignored")

    def set_timeout(self, ms: Any) -> None:
        """``timeout(ms)``: how long ``trackLink``/``trackForm`` hold the navigation."""
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not math.isfinite(ms) or ms < 0:
            raise ValueError(f"timeout needs a number of ms, not {describe(ms)}")
        self.timeout_ms = ms

    def pageview(self, url: Any) -> None:
        """analytics.js' ``pageview(url)``: a page call with ``path: url``."""
        if not isinstance(url, str):
            raise ValueError(f"pageview needs a URL, not {describe(url)}")
        self._page({"path": url})


class ClassicMethods:
    """The public ``trackLink``/``trackForm`` (``trackClick``/``trackSubmit``), ``timeout`` and ``pageview``."""

    classic: ClassicCalls

    @guarded
    def trackLink(self, links: Any, event: Any, properties: Any = None, options: Any = None) -> Self:
        """Track a click on each of ``links`` (an element, a list, a jQuery object)."""
        self.classic.bind("link", "trackLink", links, event, properties, options)
        return self

    @guarded
    def trackForm(self, forms: Any, event: Any, properties: Any = None, options: Any = None) -> Self:
        """Track the submission of each of ``forms``, then submit it."""
        self.classic.bind("form", "trackForm", forms, event, properties, options)
        return self

    trackClick = trackLink
    trackSubmit = trackForm
    track_link = trackLink
    track_form = trackForm

    @guarded
    def timeout(self, ms: Any) -> None:
        """How long ``trackLink``/``trackForm`` hold the navigation, in ms."""
        self.classic.set_timeout(ms)

    @guarded
    def pageview(self, url: Any) -> Self:
        """analytics.js' ``pageview(url)``: a page call with ``path: url``."""
        self.classic.pageview(url)
        return self
