"""Percent-encoding (``%XX`` over UTF-8), as ``encodeURIComponent`` and
``decodeURIComponent`` do it.

Written out here rather than taken from :mod:`urllib.parse` for what it
does that ``unquote`` does not: it says when a run of ``%XX`` is not UTF-8
(where ``decodeURIComponent`` throws, and a cookie must be ignored;
``unquote`` replaces the bytes silently), and the encoder of every cookie
write skips plain text and works from one table. Not for start-up time:
importing ``urllib.parse`` (with ``ipaddress``) from the build's bytecode
standard library takes ~8-10 ms of a cold start (~100 ms from Pyodide's
own source zip), none on a warm one (the snapshot has it), and
``browser/host.py`` imports it for ``urlsplit``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable

__all__ = ["decode_query_part", "decode_runs", "encoder"]

_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
#: What ``encodeURIComponent`` leaves as it is.
_UNRESERVED = string.ascii_letters + string.digits + "-_.!~*'()"


def encoder(safe: str) -> Callable[[str], str]:
    """A function that percent-encodes text, leaving unreserved characters and ``safe`` as they are."""
    keep = frozenset((_UNRESERVED + safe).encode())
    table = [chr(byte) if byte in keep else f"%{byte:02X}" for byte in range(256)]
    plain = re.compile(f"[{re.escape(_UNRESERVED + safe)}]*")

    def encode(text: str) -> str:
        if plain.fullmatch(text):
            return text
        return "".join([table[byte] for byte in text.encode("utf-8")])

    return encode


def decode_runs(text: str) -> tuple[str, bool]:
    """Decode each run of ``%XX`` as UTF-8.

    A run that is not valid UTF-8 is left as it stands; the flag says one was
    (``decodeURIComponent`` would throw), so the caller can warn or fall back.
    """
    damaged = False

    def run(match: re.Match[str]) -> str:
        nonlocal damaged
        raw = bytes.fromhex(match.group(0).replace("%", ""))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            damaged = True
            return match.group(0)

    return _PERCENT_RUN.sub(run, text), damaged


def decode_query_part(text: str) -> str:
    """A query string's name or value: ``+`` is a space and ``%XX`` is UTF-8;
    text that is not valid stays as it is (as analytics-next's graceful decoding does)."""
    text = text.replace("+", " ")
    decoded, damaged = decode_runs(text)
    return text if damaged else decoded
