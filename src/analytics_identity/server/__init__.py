"""The CPython side: identity for Python web servers, and the collector. Never shipped to the browser.

``read_identity``, ``IdentityMiddleware`` (ASGI) and ``WSGIIdentityMiddleware``
are pure Python and import no web framework and nothing of the browser layer
(the middlewares need only the Public Suffix List, the ``server`` extra; the
collector's Starlette and uvicorn are the ``collector`` extra). The identity
they put on each request is a :class:`RequestIdentity`: the ids, and login
and logout for the page's next load.
"""

from .asgi import IdentityMiddleware
from .request_identity import RequestIdentity
from .visitor import Identity, read_identity
from .wsgi import WSGIIdentityMiddleware

__all__ = ["Identity", "IdentityMiddleware", "RequestIdentity", "WSGIIdentityMiddleware", "read_identity"]
