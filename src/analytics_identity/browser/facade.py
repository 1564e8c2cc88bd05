"""The ``window.analytics`` object: JavaScript values in and out of :class:`~analytics_identity.bridge.dispatch.Dispatcher`.

Dispatch, the replay of the snippet's buffer and page pinning are pure Python
in :mod:`analytics_identity.bridge.dispatch`; this module only converts values
and builds the JavaScript object from the methods table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import js

from ..version import __version__
from ..api.client import Analytics
from ..bridge.dispatch import Dispatcher
from ..bridge.handover import calls_to_replay
from ..bridge.methods import ACCESSORS, ENTITY, LOAD, METHODS
from .conversion import arguments_from_js, resolved, to_js_value
from .ffi import create_once_callable, create_proxy, jsnull

__all__ = ["Core"]


class JsCaller:
    """Results as JavaScript values and promises (the :class:`~analytics_identity.bridge.dispatch.Caller`)."""

    null = jsnull
    #: ``window.analytics``, once :meth:`Core.facade` built it.
    instance: Any = None

    @staticmethod
    def value(value: Any) -> Any:
        return to_js_value(value)

    @staticmethod
    def promise(value: Any) -> Any:
        return resolved(value)

    @staticmethod
    def deferred() -> tuple[Any, Callable[[Any], None]]:
        resolvers: list[Any] = []
        later = js.Promise.new(create_once_callable(lambda resolve, _reject: resolvers.append(resolve)))
        return later, resolvers[0]


class Core:
    """The page's one instance behind the ``window.analytics`` facade."""

    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics
        self.caller = JsCaller()
        self.dispatcher = Dispatcher(analytics, self.caller)

    def call(self, method: str, *args: Any) -> Any:
        """``window.analytics[method](...args)``: never throws into the page."""
        try:
            return self.dispatcher.call(method, _arguments(method, args))
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{method}() failed: {type(error).__name__}: {error}")
            return None

    def entity(self, kind: str, accessor: str, *args: Any) -> Any:
        """``analytics.user().id(...)`` and friends; ``id(undefined)`` reads, as ``id()``."""
        try:
            return self.dispatcher.accessor(kind, accessor, arguments_from_js(args[:1]))
        except Exception as error:  # noqa: BLE001 - nothing throws into the page
            self.analytics.host.warn(f"{kind}().{accessor} failed: {error}")
            return None

    def replay(self, buffered: Any) -> None:
        """Run the calls earlier pages left, the snippet's buffered calls, then
        the calls made meanwhile. The snippet stamps a buffered call with the
        key it stored it under when the page was hidden (``kept``)."""
        analytics = self.analytics
        own = [(_buffered_call(tuple(entry)), getattr(entry, "kept", None)) for entry in buffered]
        self.dispatcher.replay(calls_to_replay(analytics.local_storage, own, analytics.host.warn))

    def facade(self) -> Any:
        """The JavaScript object that becomes ``window.analytics``, built from the methods table.

        Built here rather than in JavaScript so that a Python page
        (PyScript) and the script-tag loader install the very same thing.
        """
        api = self.caller.instance = js.Object.new()
        api.initialized = True
        api.VERSION = __version__
        accessors = {}
        for kind, names in ACCESSORS.items():
            accessors[kind] = target = js.Object.new()
            for name in names:
                # load(): every accessor reads the stores already; it gives the accessor back.
                fn = (lambda *args, target=target: target) if name == "load" else functools.partial(self.entity, kind, name)
                setattr(target, name, create_proxy(fn))
        for method in METHODS.values():
            if method.kind == LOAD:
                fn: Callable[..., Any] = lambda *args: api  # noqa: E731 - loaded already
            elif method.entity is None:
                fn = functools.partial(self.call, method.name)
            else:  # no argument: the accessor object; group(...) with arguments is an event call
                fn = functools.partial(self._entity_or_call, method.name, method.kind == ENTITY,
                                       accessors[method.entity])
            setattr(api, method.name, create_proxy(fn))
        return api

    def _entity_or_call(self, name: str, accessor_only: bool, accessor: Any, *args: Any) -> Any:
        return accessor if accessor_only or not args else self.call(name, *args)


def _arguments(name: Any, args: tuple[Any, ...]) -> list[Any]:
    """A page call's arguments as Python values; ``trackLink``'s elements stay JavaScript values."""
    method = METHODS.get(name) if isinstance(name, str) else None
    if method is not None and method.elements and args:
        return [args[0], *arguments_from_js(args[1:])]
    return arguments_from_js(args)


def _buffered_call(entry: tuple[Any, ...]) -> list[Any]:
    """A snippet buffer entry, ``[method, ...args]``."""
    return [entry[0], *_arguments(entry[0], entry[1:])] if entry else []
