"""The CPython side: identity for Python web servers, and the collector. Never shipped to the browser.

``read_identity``, ``IdentityMiddleware`` (ASGI) and ``WSGIIdentityMiddleware``
are pure Python and need no web framework; the collector (``app``) needs the
``server`` extra.
"""

from .asgi import IdentityMiddleware
from .visitor import Identity, read_identity
from .wsgi import WSGIIdentityMiddleware

__all__ = ["Identity", "IdentityMiddleware", "WSGIIdentityMiddleware", "read_identity"]
