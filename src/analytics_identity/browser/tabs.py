"""Other tabs of the site: an id one of them changes is told here at once.

Tabs share the cookie and localStorage, so another tab's ``identify()`` or
``reset()`` changes this page's ids too. Without this, the page notices at
its next call that reads the id; the browser's ``storage`` event (fired in
the other tabs of the origin when one writes localStorage) lets ``identity``
listeners hear it as it happens. A change only the cookie shows (page code
writing ``document.cookie``, a page that keeps no localStorage copy) is
still told at the next call.
"""

from __future__ import annotations

from typing import Any

import js

from ..api.client import Analytics
from .ffi import create_proxy, jsnull

__all__ = ["watch_other_tabs"]


def watch_other_tabs(analytics: Analytics) -> None:
    """Re-read the ids when another tab writes one of their localStorage keys (or clears it)."""
    keys = analytics.identity.watched_keys()

    def written(event: Any) -> None:
        key = event.key
        if analytics.start_pending is None and (key is None or key is jsnull or key in keys):
            analytics.reread_ids()  # guarded: warns, never throws into the page

    js.window.addEventListener("storage", create_proxy(written))
