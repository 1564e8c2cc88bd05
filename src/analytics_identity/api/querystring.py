"""The query-string API: ``ajs_aid``, ``ajs_uid`` + ``ajs_trait_*``, ``ajs_event`` + ``ajs_prop_*``.

A link such as ``/?ajs_uid=42&ajs_trait_plan=pro&ajs_event=Clicked%20Email``
identifies the visitor and tracks an event when the page loads. The
``useQueryString`` load option turns it off (``false``) or restricts the
accepted ids with patterns (``{aid: /^[a-z0-9-]+$/, uid: /.../}``).

Patterns written in page JavaScript arrive as :class:`JsRegExp` (their
``source`` and ``flags``) and are compiled with Python's ``re``; see
:func:`compile_js_regexp` for what is translated and what is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..percent import decode_query_part

__all__ = [
    "JsRegExp",
    "QueryStringCalls",
    "QueryStringRules",
    "calls_from_query",
    "compile_js_regexp",
    "parse_query",
    "query_from_location",
    "rules_from_option",
]

_TRAIT = "ajs_trait_"
#: analytics-next's default pattern ``/.+/``: any character but a line terminator.
_ANY = re.compile("[^\n\r\u2028\u2029]")
_PROP = "ajs_prop_"


@dataclass(frozen=True)
class JsRegExp:
    """A JavaScript ``RegExp`` as plain data (the bridge builds it from the live object)."""

    source: str
    flags: str


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
#: ``g``, ``y``, ``u``, ``v`` and ``d`` change nothing for a single ``test()`` of a short value.
_IGNORED_FLAGS = set("gyuvd")


def compile_js_regexp(pattern: JsRegExp) -> re.Pattern[str]:
    """Compile a JavaScript pattern with Python's ``re``, matching ``RegExp.test`` closely.

    Translated: flags ``i``/``m``/``s``; ``\\d``, ``\\w`` and ``\\b`` stay ASCII
    as in JavaScript; ``$`` (outside ``m`` mode) matches only at the very end,
    not before a final newline as Python's does; named groups ``(?<name>…)``.
    Anything ``re`` cannot compile (``\\p{…}``, variable-length look-behind)
    raises ``ValueError``; the caller then refuses every value rather than
    accepting unchecked ids.
    """
    flags = re.ASCII
    for flag in pattern.flags:
        if flag in _FLAGS:
            flags |= _FLAGS[flag]
        elif flag not in _IGNORED_FLAGS:
            raise ValueError(f"unknown RegExp flag {flag!r}")
    source = _translate(pattern.source, multiline="m" in pattern.flags)
    try:
        return re.compile(source, flags)
    except re.error as error:
        raise ValueError(f"/{pattern.source}/ cannot be used here ({error})") from None


def _translate(source: str, *, multiline: bool) -> str:
    """Rewrite the few JavaScript spellings Python reads differently."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(source):
        char = source[i]
        if char == "\\":
            out.append(source[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$" and not multiline:
            char = r"\Z"
        elif source.startswith("(?<", i) and i + 3 < len(source) and source[i + 3] not in "=!":
            char = "(?P<"
            i += 2
        out.append(char)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class QueryStringRules:
    """What the ``useQueryString`` option allows; a ``None`` pattern accepts any non-empty id."""

    enabled: bool = True
    aid: re.Pattern[str] | None = None
    uid: re.Pattern[str] | None = None
    #: Names whose pattern could not be compiled: their values are all refused.
    refused: frozenset[str] = field(default_factory=frozenset)

    def accepts(self, name: str, value: str) -> bool:
        """``RegExp.prototype.test``: a match anywhere (default pattern ``/.+/``)."""
        if name in self.refused:
            return False
        pattern: re.Pattern[str] = getattr(self, name) or _ANY
        return pattern.search(value) is not None


def rules_from_option(option: Any, warn: Callable[[str], None]) -> QueryStringRules:
    """``useQueryString``: ``true`` (default), ``false``, or ``{aid, uid}`` patterns.

    A pattern may be a JavaScript ``RegExp`` (:class:`JsRegExp`), a compiled
    Python pattern, or a Python pattern string. One that cannot be compiled
    is reported and refuses every value.
    """
    if option is None or option is True:
        return QueryStringRules()
    if option is False:
        return QueryStringRules(enabled=False)
    if not isinstance(option, dict):
        warn(f"useQueryString must be true, false or {{aid, uid}}, not {option!r:.60}; using true")
        return QueryStringRules()
    patterns: dict[str, re.Pattern[str] | None] = {"aid": None, "uid": None}
    refused: set[str] = set()
    for name in patterns:
        value = option.get(name)
        try:
            if value is None:
                continue
            if isinstance(value, JsRegExp):
                patterns[name] = compile_js_regexp(value)
            elif isinstance(value, re.Pattern):
                patterns[name] = value
            elif isinstance(value, str):
                patterns[name] = re.compile(value)
            else:
                raise ValueError(f"expected a RegExp, not {value!r:.60}")
        except (ValueError, re.error) as error:
            warn(f"useQueryString.{name} refuses every value: {error}")
            refused.add(name)
    return QueryStringRules(True, patterns["aid"], patterns["uid"], frozenset(refused))


def query_from_location(search: str, hash: str) -> str:
    """The query to read: ``location.search``, else a ``?…`` inside the hash (``#/route?ajs_aid=…``)."""
    if search.strip("?"):
        return search
    start = hash.find("?")
    if start < 0:
        return ""
    return hash[start:].split("#", 1)[0]


def parse_query(query: str) -> dict[str, str]:
    """``?a=1&b=x%20y`` as a dict; a repeated name keeps its last value, as in analytics-next."""
    params: dict[str, str] = {}
    for part in query.lstrip("?").split("&"):
        name, sep, value = part.partition("=")
        if sep and name:
            params[decode_query_part(name)] = decode_query_part(value)
    return params


class QueryStringCalls(NamedTuple):
    """The calls a query string asks for; ``None`` where it asks for none."""

    anonymous_id: str | None
    user_id: str | None
    traits: dict[str, str]
    event: str | None
    properties: dict[str, str]


def _prefixed(params: dict[str, str], prefix: str) -> dict[str, str]:
    return {name[len(prefix) :]: value for name, value in params.items() if name.startswith(prefix) and len(name) > len(prefix)}


def calls_from_query(query: str, rules: QueryStringRules) -> QueryStringCalls:
    """Read the ``ajs_*`` parameters; ids the rules refuse are dropped."""
    if not rules.enabled or "ajs_" not in query:
        return QueryStringCalls(None, None, {}, None, {})
    params = parse_query(query)
    aid = params.get("ajs_aid") or None
    uid = params.get("ajs_uid") or None
    return QueryStringCalls(
        anonymous_id=aid if aid is not None and rules.accepts("aid", aid) else None,
        user_id=uid if uid is not None and rules.accepts("uid", uid) else None,
        traits=_prefixed(params, _TRAIT),
        event=params.get("ajs_event") or None,
        properties=_prefixed(params, _PROP),
    )
