"""Load options (``analytics.load(writeKey, options)``) read once into typed settings the rest of the core takes."""

from .settings import EntitySettings, Settings

__all__ = ["EntitySettings", "Settings"]
