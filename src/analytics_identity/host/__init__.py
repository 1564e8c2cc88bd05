"""What the core needs from the page it runs in: protocols, page facts, in-memory fakes.

The browser implements the protocols in :mod:`analytics_identity.browser`; nothing
here imports ``js``.
"""

from .memory import MemoryCookieJar, MemoryHost, MemoryStorage
from .page import PageInfo, page_address
from .protocols import Clock, CookieJar, Host, KeyValueStorage, Timers, describe

__all__ = ["Clock", "CookieJar", "Host", "KeyValueStorage", "MemoryCookieJar", "MemoryHost", "MemoryStorage", "PageInfo", "Timers", "describe", "page_address"]
