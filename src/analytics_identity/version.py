"""The package's version: the one place it is written (``pyproject.toml`` reads it for packaging, ``make dist`` for the npm package).

A module of its own on the ground floor, so the event builder, the browser
facade, the server's forwarder and the build read it without importing the
package root (whose ``__getattr__`` creates the shared instance).
"""

__version__ = "0.1.0"
