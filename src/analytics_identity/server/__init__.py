"""The CPython side: collector, static and demo server. Never shipped to the browser."""
