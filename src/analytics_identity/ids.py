"""Random identifiers: version 4 UUIDs.

Written out here rather than taken from :mod:`uuid`, because Pyodide has not
imported ``uuid`` at boot and compiling it from source costs ~30 ms of every
page's start-up; the format is the same (``str(uuid.uuid4())``).
"""

from __future__ import annotations

import os

__all__ = ["uuid4"]


def uuid4() -> str:
    """A random (version 4, RFC 4122 variant) UUID in its canonical lowercase form."""
    value = int.from_bytes(os.urandom(16), "big")
    value = (value & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
