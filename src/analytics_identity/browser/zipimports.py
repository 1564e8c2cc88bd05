"""Imports from a zip that read each module once, not twice.

To make a module's spec, CPython's ``zipimporter.find_spec`` asks
``get_filename`` for the module's path, and ``get_filename`` reads the
module's bytes from the zip and unmarshals its code to answer; importing it
then reads and unmarshals it again. The loader's runtime imports ~280 modules
from zips on a first visit (the standard library's boot set and our wheel),
so the loader runs this file once Python has started, before the bootstrap's
imports (the build puts it in the module of the boot's steps, whose first
step installs it: ``tooling/bootstrap.py``).
It is not imported there: importing the package first would import
``typing`` and its dependencies in one task, before the boot's imports one
per task. Measured in Chromium on a cold visit: ~80 ms less renderer CPU
until ready (docs/loading.md, step 15).

A module with one entry in the zip gets that entry's path from the zip's
table of contents. A module with more than one (bytecode and source side by
side: the bytecode may be stale and the source then used) is left to
CPython's own answer. Only the loader's runtime runs it: PyScript pages and
pages with their own Pyodide import as CPython does.
"""

from __future__ import annotations

import zipimport

__all__ = ["install"]

_STOCK = zipimport.zipimporter.get_filename


def _get_filename(self: zipimport.zipimporter, fullname: str) -> str:
    path = zipimport._get_module_path(self, fullname)  # type: ignore[attr-defined]
    files = self._get_files()  # type: ignore[attr-defined]
    entries = [files[path + suffix] for suffix, _, _ in zipimport._zip_searchorder  # type: ignore[attr-defined]
               if path + suffix in files]
    if len(entries) == 1:
        return entries[0][0]
    return _STOCK(self, fullname)


def install() -> None:
    """Make every zipimporter answer ``get_filename`` from the zip's table of contents."""
    zipimport.zipimporter.get_filename = _get_filename  # type: ignore[method-assign]
