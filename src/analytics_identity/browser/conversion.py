"""Values between JavaScript and Python: plain objects out, JSON-like values in.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import js

from ..options.querystring import JsRegExp
from ..delivery.item import encoded
from ..events.context import Context
from ..jsonsafe import NotJson, refusal
from .context import page_context
from .ffi import JsBigInt, JsException, JsProxy, create_once_callable, create_proxy, jsnull, to_js

__all__ = ["JsFunction", "arguments_from_js", "from_js", "resolved", "to_js_value"]


def to_js_value(value: Any) -> Any:
    """Python results as plain JavaScript values (objects, not Maps); a
    :class:`~analytics_identity.events.context.Context` as analytics-next's."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Context):
        if value.page_object is None:
            value.page_object = page_context(_context_object(value), value.failure, value._id)
        return value.page_object
    return _plain(value)


def _context_object(context: Context) -> Any:
    """A context's members as a JavaScript object; an event just queued is
    parsed from the JSON the queue made of it, not encoded again."""
    text = encoded(context.event) if len(context) == 1 else None
    if text is not None:
        try:
            return _json_parse('{"event":' + text + "}")
        except JsException:  # NaN or Infinity: JSON.parse refuses what json.dumps wrote
            pass
    return _plain(dict(context))


def _plain(value: Any) -> Any:
    """A dict or list as a JavaScript object or array, through JSON when it is
    JSON (an event, an ``identity`` change, ``explain()``): one string into
    ``JSON.parse`` cost about half of ``to_js``, which crosses into JavaScript
    for every object and list, and a ``None`` inside becomes ``null`` as
    documented, where ``to_js`` makes it ``undefined`` (which
    ``JSON.stringify`` then leaves out)."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):  # a Python middleware's value JSON cannot hold
        return to_js(value, dict_converter=_from_entries, create_pyproxies=False)
    return _json_parse(text)


#: Looked up once: every event's result is converted with them (``js.Object.fromEntries``
#: is two round trips into JavaScript).
_from_entries = js.Object.fromEntries
_json_parse = js.JSON.parse


class JsFunction:
    """A page function called from Python with JavaScript arguments."""

    def __init__(self, fn: JsProxy) -> None:
        self._fn = fn

    def __call__(self, *args: Any) -> Any:
        return from_js(self._fn(*(self._argument(a) for a in args)))

    @staticmethod
    def _argument(value: Any) -> Any:
        """Like :func:`to_js_value`, but functions at the top of an object stay
        callable (middleware's ``next``); each may be called once."""
        if not isinstance(value, dict) or not any(callable(v) for v in value.values()):
            return to_js_value(value)
        target = to_js_value({k: v for k, v in value.items() if not callable(v)})
        for key, fn in value.items():
            if callable(fn):
                setattr(target, key, create_once_callable(lambda *xs, fn=fn: fn(*(from_js(x) for x in xs))))
        return target

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsFunction) and bool(js.Object.is_(self._fn, other._fn))

    def __hash__(self) -> int:
        return id(JsFunction)


def from_js(value: Any) -> Any:
    """JavaScript arguments as Python values, read the way ``JSON.stringify`` reads them.

    Functions stay callable (callbacks, middleware) and ``null`` is ``None``.
    Inside objects ``undefined`` and symbols vanish (``null`` in arrays), an
    object with ``toJSON`` (a Date) gives its result, a RegExp becomes a :class:`~analytics_identity.options.querystring.JsRegExp`
    (load options hold them), and what JSON cannot hold (``BigInt``, a cycle,
    nesting past :data:`~analytics_identity.jsonsafe.MAX_DEPTH`, a getter that
    throws) becomes :class:`~analytics_identity.jsonsafe.NotJson`, which the
    core drops with one warning. So does an argument that is a ``BigInt``, a
    Date or a symbol: no method takes one, and as an id its text would
    silently replace the visitor's (``setAnonymousId(10n)`` storing ``"10"``). ``to_py`` is not used: it overflows the
    JavaScript stack on deep objects and leaves an object with an own
    ``constructor`` key unconverted.
    """
    return _from_js(value, 0, set())


def arguments_from_js(args: tuple[Any, ...]) -> list[Any]:
    """A call's arguments as Python values, trailing ``undefined``s left out.

    analytics-next reads ``f(x, undefined)`` as ``f(x)``, so
    ``setAnonymousId(undefined)`` and ``user().id(undefined)`` are reads,
    never clears (``null``, which arrives as ``jsnull``, clears).
    """
    count = len(args)
    while count and args[count - 1] is None:  # undefined; null is jsnull
        count -= 1
    return [_from_js(a, 0, set()) for a in args[:count]]


_OMIT: Any = object()
#: JavaScript built-ins ``_from_js`` calls for every value: looked up once,
#: since each ``js.X.y`` lookup is another round trip into JavaScript.
_is_array = js.Array.isArray
_get = js.Reflect.get
_entries = js.Object.entries


@functools.cache
def _to_string() -> Any:
    """``Object.prototype.toString``, looked up on first use: ``Object.prototype``
    cannot be reached through a proxy of the global object, so a memory
    snapshot of the interpreter could not record where it came from."""
    return js.Object.prototype.toString


#: How :func:`_from_js` treats values of each Python type, found once per
#: type: ``isinstance`` against Pyodide's ``JsProxy``/``JsBigInt`` runs a
#: Python-level metaclass check, which cost more than the rest of a
#: conversion. A JavaScript string, number, boolean or ``undefined`` arrives
#: as a plain ``str``, ``int``, ``float``, ``bool`` or ``None``.
_KINDS: dict[type, str] = {str: "plain", int: "plain", float: "plain", bool: "plain", type(None): "plain"}


def _kind(cls: type) -> str:
    """``"plain"``, ``"bigint"`` (an ``int`` subclass) or ``"proxy"``."""
    kind = _KINDS.get(cls)
    if kind is None:
        kind = "bigint" if issubclass(cls, JsBigInt) else "proxy" if issubclass(cls, JsProxy) else "plain"
        _KINDS[cls] = kind
    return kind


def _from_js(value: Any, depth: int, ancestors: set[int]) -> Any:
    if value is jsnull:
        return None
    kind = _kind(type(value))
    if kind == "bigint":
        return NotJson("a BigInt")
    if kind == "plain":
        return value  # str, bool, int, float, None for undefined, or a Python value
    typeof = value.typeof
    if typeof == "function":
        return JsFunction(value)
    if typeof != "object":  # a symbol
        return NotJson("a symbol") if depth == 0 else _OMIT
    identity = value.js_id
    reason = refusal(identity, depth, ancestors)
    if reason is not None:
        return NotJson(reason)
    ancestors.add(identity)
    try:
        if _is_array(value):
            # One call into JavaScript for the items (objects among them stay proxies), not one per item.
            items = (_from_js(item, depth + 1, ancestors) for item in value.to_py(depth=1))
            return [None if item is _OMIT else item for item in items]
        to_json = _get(value, "toJSON")
        if _kind(type(to_json)) == "proxy" and to_json.typeof == "function":
            if depth == 0 and str(_to_string().call(value)) == "[object Date]":
                return NotJson("a Date")
            return _from_js(to_json.call(value), depth, ancestors)
        if str(_to_string().call(value)) == "[object RegExp]":
            return JsRegExp(str(value.source), str(value.flags))
        result: dict[str, Any] = {}
        # ``[[key, value], …]`` in one call into JavaScript, not two per key.
        for key, raw in _entries(value).to_py(depth=2):
            item = _OMIT if raw is None else _from_js(raw, depth + 1, ancestors)  # None: undefined
            if item is not _OMIT:
                result[str(key)] = item
        return result
    except JsException as error:
        return NotJson(f"reading it threw {error.name}")
    finally:
        ancestors.discard(identity)


def resolved(value: Any) -> Any:
    """A JavaScript promise of ``value``.

    Built with ``new Promise``: Pyodide hands a promise returned by a
    JavaScript call (``Promise.resolve``) to Python as a future, which would
    reach the page as a proxy instead of a ``Promise``. The executor is one
    long-lived proxy, which the constructor calls at once: a new proxy per
    promise cost as much again as the rest.
    """
    _RESOLVER.value = value
    try:
        return _new_promise(_resolver_proxy())
    finally:
        _RESOLVER.value = None


class _Resolver:
    """The executor of every promise :func:`resolved` builds."""

    value: Any = None

    def __call__(self, resolve: Any, _reject: Any) -> None:
        resolve(self.value)


_RESOLVER = _Resolver()
_new_promise = js.Promise.new


@functools.cache
def _resolver_proxy() -> Any:
    return create_proxy(_RESOLVER)
