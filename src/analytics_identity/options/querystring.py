"""The ``useQueryString`` load option: whether the query-string API runs, and which ids it accepts.

``useQueryString`` turns it off (``false``) or restricts the accepted ids
with patterns (``{aid: /^[a-z0-9-]+$/, uid: /.../}``). Patterns written in
page JavaScript arrive as :class:`JsRegExp` (their ``source`` and
``flags``) and are compiled with Python's ``re``; see
:func:`compile_js_regexp` for what is translated and what is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JsRegExp", "QueryStringRules", "compile_js_regexp", "rules_from_option"]

#: analytics-next's default pattern ``/.+/``: any character but a line terminator.
_ANY = re.compile("[^\n\r\u2028\u2029]")


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
