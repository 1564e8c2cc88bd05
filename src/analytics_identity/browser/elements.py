"""``trackLink``/``trackForm`` in the document: listeners on the given elements.

As analytics.js does: a click on a link that would navigate in this tab (it
has an ``href``, no ``target="_blank"``, no Ctrl/Shift/Meta or middle button)
is held (``preventDefault``) and the page goes to the ``href`` after the
delay; a submitted form is held and then submitted with the form prototype's
``submit`` (an input named ``submit`` cannot shadow it), which fires no
second ``submit`` event. Other clicks are only tracked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import js

from .ffi import JsProxy, create_once_callable, create_proxy

__all__ = ["bind"]

XLINK = "http://www.w3.org/1999/xlink"
_array_from = getattr(js.Array, "from")


def _elements(targets: Any) -> list[Any]:
    """An element, an array of them or a jQuery object (``toArray``), as a list of elements."""
    if not isinstance(targets, JsProxy):
        return [t for t in targets if isinstance(t, JsProxy)] if isinstance(targets, (list, tuple)) else []
    if getattr(targets, "nodeType", None) == 1:
        return [targets]
    to_array = getattr(targets, "toArray", None)
    items = to_array() if callable(to_array) else targets
    if not js.Array.isArray(items) and not hasattr(items, "length"):
        return []
    return [item for item in _array_from(items) if getattr(item, "nodeType", None) == 1]


def _href(element: Any) -> str | None:
    for read in (lambda: element.getAttribute("href"), lambda: element.getAttributeNS(XLINK, "href"),
                 lambda: element.getAttribute("xlink:href")):
        value = read()  # each a call into JavaScript: only as many as it takes
        if isinstance(value, str) and value:
            return value
    links = element.getElementsByTagName("a")
    value = links[0].getAttribute("href") if links.length else None
    return value if isinstance(value, str) and value else None


def _new_tab(element: Any, href: str | None, event: Any) -> bool:
    """The visitor or the link opens another tab: this page stays, nothing to hold."""
    return bool((element.target == "_blank" and href) or event.ctrlKey or event.shiftKey or event.metaKey
                or event.button == 1)


def _after(delay_ms: Callable[[], float], action: Callable[[], None]) -> None:
    js.setTimeout(create_once_callable(action), delay_ms())


def _clicked(element: Any, fire: Callable[[Any], None], delay_ms: Callable[[], float], event: Any) -> None:
    href = _href(element)
    fire(element)
    if href is not None and not _new_tab(element, href, event):
        event.preventDefault()
        _after(delay_ms, lambda: setattr(js.location, "href", href))


def _submitted(element: Any, fire: Callable[[Any], None], delay_ms: Callable[[], float], event: Any) -> None:
    event.preventDefault()
    fire(element)
    _after(delay_ms, lambda: js.HTMLFormElement.prototype.submit.call(element))


def bind(kind: str, targets: Any, fire: Callable[[Any], None], delay_ms: Callable[[], float]) -> int:
    """Listen on each element of ``targets``; returns how many there were."""
    elements = _elements(targets)
    if kind == "form":  # analytics.js refuses anything but a form here
        elements = [element for element in elements if str(element.tagName).upper() == "FORM"]
    handler = _clicked if kind == "link" else _submitted
    for element in elements:
        # Long-lived: the listener lives as long as the element.
        element.addEventListener("click" if kind == "link" else "submit",
                                 create_proxy(functools.partial(handler, element, fire, delay_ms)), False)
    return len(elements)

