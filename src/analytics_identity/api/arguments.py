"""Analytics.js' flexible call signatures, resolved into fixed ones.

Page code calls ``identify(traits)``, ``page({}, options)``,
``track(name, callback)`` and so on; these functions apply analytics-next's
rules so every method sees ``(…, options, callback)`` in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..identity.entity import normalize_id

__all__ = ["AliasArgs", "PageArgs", "TrackArgs", "UserArgs", "resolve_alias", "resolve_page", "resolve_track", "resolve_user", "merge_options"]


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _callback(args: tuple[Any, ...]) -> Callable[..., Any] | None:
    return next((a for a in args if callable(a) and not _is_object(a)), None)


class TrackArgs(NamedTuple):
    event: str
    properties: dict[str, Any]
    options: dict[str, Any]
    callback: Callable[..., Any] | None


class PageArgs(NamedTuple):
    category: str | None
    name: str | None
    properties: dict[str, Any]
    options: dict[str, Any]
    callback: Callable[..., Any] | None


class UserArgs(NamedTuple):
    id: str | None
    traits: dict[str, Any]
    options: dict[str, Any]
    callback: Callable[..., Any] | None


class AliasArgs(NamedTuple):
    to: str | None
    previous: str | None
    options: dict[str, Any]
    callback: Callable[..., Any] | None


def resolve_track(*args: Any) -> TrackArgs:
    """``track(name | {event, properties}, properties?, options?, callback?)``."""
    first = args[0] if args else None
    properties = args[1] if len(args) > 1 else None
    options = args[2] if len(args) > 2 else None
    name = first.get("event") if _is_object(first) else first
    if not isinstance(name, str) or not name:
        raise ValueError(f"track needs an event name, got {first!r:.60}")
    if _is_object(first):
        data = first.get("properties") if _is_object(first.get("properties")) else {}
        opts = properties if _is_object(properties) else {}
    else:
        data = properties if _is_object(properties) else {}
        opts = options if _is_object(options) else {}
    return TrackArgs(name, data, opts, _callback(args))


def resolve_page(*args: Any) -> PageArgs:
    """``page(category?, name?, properties?, options?, callback?)``: strings are
    names, the first object is properties and the second options."""
    strings = [a for a in args if isinstance(a, str)]
    category: str | None = None
    name: str | None = None
    if len(strings) >= 2:
        category, name = strings[0], strings[1]
    elif len(strings) == 1:
        name = strings[0]
    objects = [a for a in args if _is_object(a)]
    return PageArgs(
        category,
        name,
        objects[0] if objects else {},
        objects[1] if len(objects) > 1 else {},
        _callback(args),
    )


def resolve_user(*args: Any) -> UserArgs:
    """``identify(id?, traits?, options?, callback?)`` and ``group(...)``: the id
    may be left out, in which case the first object is the traits. A first
    argument that is neither an id nor an object raises ``InvalidId``."""
    rest = list(args)
    user_id: str | None = None
    if rest and not _is_object(rest[0]) and not callable(rest[0]):
        head = rest.pop(0)
        user_id = None if head is None else normalize_id(head)
    traits = rest[0] if rest and _is_object(rest[0]) else {}
    options = rest[1] if len(rest) > 1 and _is_object(rest[1]) else {}
    return UserArgs(user_id, traits, options, _callback(args))


def resolve_alias(*args: Any) -> AliasArgs:
    """``alias(to, from?, options?, callback?)``; numeric ids become strings.

    An id that is a string or a number but not a usable id (empty, blank,
    too long) raises ``InvalidId`` rather than being skipped, so that the
    other argument never silently takes its place.
    """
    ids = [normalize_id(a) if isinstance(a, (str, int, float)) and not isinstance(a, bool) else a for a in args[:2]]
    strings = [a for a in ids if isinstance(a, str)]
    objects = [a for a in args if _is_object(a)]
    return AliasArgs(
        strings[0] if strings else None,
        strings[1] if len(strings) > 1 else None,
        objects[0] if objects else {},
        _callback(args),
    )


def merge_options(positional: dict[str, Any], keywords: dict[str, Any]) -> dict[str, Any]:
    """Options given as keywords by Python callers (``anonymous_id="…"``) over the
    options object; snake_case names become analytics.js' camelCase ones."""
    if not keywords:
        return positional
    return {**positional, **{_camel(name): value for name, value in keywords.items()}}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
