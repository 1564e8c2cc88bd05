"""A login or logout done by the site's server, carried to the page's next load.

A server view calls ``identify(user_id, traits)`` or ``reset()`` on the
identity the middleware gives it (:mod:`analytics_identity.server.request_identity`).
The server then sets the id cookies itself, with the core's rules, and the
one thing it cannot write, the page's localStorage (user traits, and the
copies of the ids there, which would otherwise come back), travels in one
more cookie, ``ajs_server_identity``: a JSON object

- ``reset``: true after a logout (what ``analytics.reset()`` forgets is
  forgotten: user and group ids and traits, everywhere);
- ``replace``: true when the userId changed (the old user's traits go);
- ``userId`` / ``anonymousId``: the ids the server set;
- ``traits``: merged into the user's traits (after ``reset``/``replace``).

The page takes it once, when the core starts (:func:`take_server_login`),
deletes the cookie and applies it (:func:`apply_server_login`). Two server calls before the page loads fold into one
message (:func:`fold`), so the page ends where the server did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..storage import PriorityStorage
from .entity import Group, User, stored_id

__all__ = ["SERVER_LOGIN_COOKIE", "apply_server_login", "decided_by_server", "fold", "read_message", "take_server_login"]

SERVER_LOGIN_COOKIE = "ajs_server_identity"


def read_message(value: Any) -> dict[str, Any] | None:
    """The message in a decoded cookie value; ``None`` when there is none or it is not one."""
    if not isinstance(value, dict):
        return None
    traits = value.get("traits")
    return {
        "reset": value.get("reset") is True,
        "replace": value.get("replace") is True,
        "userId": stored_id(value.get("userId")),
        "anonymousId": stored_id(value.get("anonymousId")),
        "traits": traits if isinstance(traits, dict) else {},
    }


def fold(pending: dict[str, Any] | None, *, reset: bool = False, replace: bool = False,
         user_id: str | None, anonymous_id: str | None, traits: dict[str, Any]) -> dict[str, Any]:
    """The message after one more server call on top of ``pending`` (an unread earlier one).

    ``reset`` or ``replace`` start the traits afresh; otherwise they merge.
    """
    earlier = pending or {"reset": False, "replace": False, "traits": {}}
    fresh = reset or replace
    message: dict[str, Any] = {
        "reset": reset or earlier["reset"],
        "replace": not (reset or earlier["reset"]) and (replace or earlier["replace"]),
        "userId": user_id,
        "anonymousId": anonymous_id,
        "traits": dict(traits) if fresh else {**earlier["traits"], **traits},
    }
    return {key: value for key, value in message.items() if value not in (False, None, {})}


def take_server_login(cookies: PriorityStorage | None, warn: Callable[[str], None]) -> dict[str, Any] | None:
    """The server's message, if the cookies hold one, deleted from them as it is taken.

    Taken when the core starts, before the stores are compared, so a
    disagreement the server's own cookies made is told as the server's
    (``external``), not as a repair. ``cookies``: the cookie-only list
    (``None`` when the page keeps no cookies: a server's cookies mean nothing there).
    """
    if cookies is None:
        return None
    raw = cookies.get(SERVER_LOGIN_COOKIE)
    if raw is None:
        return None
    cookies.set(SERVER_LOGIN_COOKIE, None)
    message = read_message(raw)
    if message is None:
        warn(f"ignored the {SERVER_LOGIN_COOKIE} cookie: it holds no message of the server's identify or reset")
    return message


def decided_by_server(message: dict[str, Any]) -> dict[str, str | None]:
    """The ids a taken message decides, and their values: all three after a logout."""
    ids = {} if not message["reset"] else {"anonymousId": None, "userId": None, "groupId": None}
    return {**ids, **{field: message[field] for field in ("anonymousId", "userId") if message[field] is not None}}


def apply_server_login(message: dict[str, Any], user: User, group: Group) -> None:
    """Apply a taken message with the core's own entity methods, so every store ends as
    ``analytics.reset()`` or ``identify()`` would have left it."""
    if message["reset"]:
        user.reset()
        group.reset()
    elif message["replace"]:
        user.traits({})
    if message["userId"] is not None:
        user.id(message["userId"])
    if message["anonymousId"] is not None:
        user.anonymous_id(message["anonymousId"])
    if message["traits"]:
        user.traits({**user.traits(), **message["traits"]})
