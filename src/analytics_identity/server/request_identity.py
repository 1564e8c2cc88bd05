"""The identity a middleware puts on each request: the visitor's ids, and login and logout.

A view reads ``anonymous_id``, ``user_id`` and ``group_id``, and may change
them for the page's next load with the browser core's own rules:

- ``identify(user_id, traits=None)``: the same user (or none yet) keeps the
  anonymousId and merges traits; a different user gets a fresh anonymousId
  and replaces the traits (``identify(None, traits)`` merges traits only);
- ``reset()``: no user or group, a fresh anonymousId, no traits, as
  ``analytics.reset()`` leaves a page.

The response then carries the id cookies and the one message cookie the
page applies to its localStorage when it starts (:mod:`..identity.server_login`),
on whatever response it is (a redirect after a login form too). Bad input
is logged and ignored, as the browser core warns and ignores it: a login
never fails for its analytics.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..jsonsafe import json_safe
from ..identity.entity import InvalidId, User, normalize_id
from ..ids import uuid4
from ..identity.server_login import fold
from .visitor import Identity

__all__ = ["RequestIdentity"]

log = logging.getLogger("analytics_identity.server")

#: Classic cookies that would bring a forgotten user back (``ajs_user``, and the socket.io era's ``_sio``).
LEGACY_COOKIES = ("ajs_user", User.SIO_KEY)


def _warn(message: str) -> None:
    log.warning("analytics-identity: %s", message)


class RequestIdentity:
    """One request's visitor (``None`` for an id the visitor has none of), and its login and logout.

    ``vars()`` of it gives the three ids, like the :class:`.Identity` that
    :func:`.read_identity` returns; what ``identify`` and ``reset`` changed
    is kept apart for the middleware. Call them before the response starts.
    """

    __slots__ = ("__dict__", "_allowed", "_forget", "_jar", "_message", "_pending")

    def __init__(self, identity: Identity, jar: Mapping[str, str], pending: dict[str, Any] | None,
                 allowed: bool = True) -> None:
        """``pending``: the message an earlier call left that the page has not read yet; a new call folds onto it."""
        self.anonymous_id = identity.anonymous_id
        self.user_id = identity.user_id
        self.group_id = identity.group_id
        self._jar = jar
        self._allowed = allowed
        self._pending = pending
        #: The message for the page once this request called identify or reset.
        self._message: dict[str, Any] | None = None
        #: Cookies this request's logout must delete besides the ids.
        self._forget: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (f"RequestIdentity(anonymous_id={self.anonymous_id!r}, user_id={self.user_id!r}, "
                f"group_id={self.group_id!r})")

    def identify(self, user_id: Any, traits: Mapping[str, Any] | None = None) -> None:
        """Log the visitor in as ``user_id`` (``traits``: JSON-safe values, merged or replacing as in the page)."""
        if not self._may("identify"):
            return
        try:
            new = None if user_id is None else normalize_id(user_id)
        except InvalidId as error:
            _warn(f"identify id ignored: {error}")
            new = None
        if traits is not None and not isinstance(traits, Mapping):
            _warn(f"identify traits ignored: traits must be a mapping, not {type(traits).__name__}")
            traits = None
        clean = json_safe(dict(traits or {}), _warn, "traits")
        replace = self.user_id is not None and new is not None and new != self.user_id
        if new is not None:
            self.user_id = new
        if replace:
            self.anonymous_id = uuid4()
        self._note(replace=replace, traits=clean)

    def reset(self) -> None:
        """Log the visitor out: no user, no group, no traits, a fresh anonymousId."""
        if not self._may("reset"):
            return
        self.user_id = None
        self.group_id = None
        self.anonymous_id = uuid4()
        self._forget = tuple(name for name in LEGACY_COOKIES if name in self._jar)
        self._note(reset=True, traits={})

    def _may(self, call: str) -> bool:
        if not self._allowed:
            _warn(f"{call}() ignored: the middleware's allow() refused identity cookies for this request")
        return self._allowed

    def _note(self, *, reset: bool = False, replace: bool = False, traits: dict[str, Any]) -> None:
        self._message = fold(self._message or self._pending, reset=reset, replace=replace, user_id=self.user_id,
                             anonymous_id=self.anonymous_id, traits=traits)


def response_changes(identity: RequestIdentity) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """What a response must carry for the page: the message (``None`` when this request
    called neither identify nor reset) and the classic cookies a logout deletes."""
    return identity._message, identity._forget  # noqa: SLF001 - read by the middleware's cookie writer only
