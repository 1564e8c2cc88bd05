"""The standard library beyond the boot set, fetched on its first import.

The loader's runtime starts from a trimmed standard library: the modules the
snippet's page imports, measured in the browser (``tooling/bootset.py``
builds it, ``tests/e2e/test_boot_set.py`` keeps the list true): 130 of
559 modules, 0.51 MB brotli instead of 1.85 MB on a first visit. A code path that asks
for a module outside it still gets it: :class:`OnDemand`, last on
``sys.meta_path``, downloads the whole standard library once (from the same
build folder; an import cannot wait, so synchronously), writes it beside the
trimmed one and serves that import and every later one from it. The e2e
suite fails on any such download, so the boot set stays complete.

No JavaScript object is held between imports: a memory snapshot (the
loader's warm start) holds this finder installed.
"""

from __future__ import annotations

import array
import importlib
import importlib.machinery
import sys
import zipimport
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["OUTSIDE", "OnDemand", "install"]

#: The trimmed zip's list of the modules it leaves out, one name a line.
OUTSIDE = "outside-boot-set.txt"


class OnDemand:
    """A ``sys.meta_path`` finder for the standard-library modules the trimmed zip leaves out."""

    def __init__(self, url: str, boot: str) -> None:
        self.url = url  # the whole standard library, as bytecode
        self.boot = boot  # the trimmed zip in Pyodide's file system
        self.full = boot.removesuffix(".zip") + "-full.zip"
        self._outside: frozenset[str] | None = None

    @property
    def outside(self) -> frozenset[str]:
        if self._outside is None:
            listed = zipimport.zipimporter(self.boot).get_data(OUTSIDE).decode()
            self._outside = frozenset(listed.split())
        return self._outside

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in self.outside:
            return None  # not in the standard library: the import fails as it would anyway
        if self.full not in sys.path:
            self._download()
        # A submodule of a package of the boot set is searched for in the same package of the whole zip.
        search = [entry.replace(self.boot, self.full, 1) for entry in path] if path else None
        return importlib.machinery.PathFinder.find_spec(name, search)

    def _download(self) -> None:
        from js import XMLHttpRequest  # here, not at import: a snapshot holds no JavaScript object

        request = XMLHttpRequest.new()
        request.open("GET", self.url, False)
        # A page's synchronous request reads text only: this charset maps each byte to one
        # character whose low byte it is (0x00-0x7F as themselves, 0x80-0xFF as U+F780-U+F7FF),
        # taken back through a built-in array of 4-byte characters, low byte first (wasm is little-endian;
        # a codec could be a module outside the boot set).
        request.overrideMimeType("text/plain; charset=x-user-defined")
        try:
            request.send()
        except Exception as error:
            raise ModuleNotFoundError(f"the standard library could not be fetched from {self.url}: {error}") from None
        if request.status != 200:
            raise ModuleNotFoundError(f"the standard library could not be fetched: {self.url} answered "
                                      f"HTTP {request.status}")
        with open(self.full, "wb") as file:
            file.write(array.array("w", request.responseText).tobytes()[::4])
        sys.path.append(self.full)
        importlib.invalidate_caches()


def install(url: str) -> None:
    """Put the finder last on ``sys.meta_path``; ``url`` is the whole standard library's."""
    boot = f"/lib/python{sys.version_info.major}{sys.version_info.minor}.zip"
    if not any(isinstance(finder, OnDemand) for finder in sys.meta_path):
        sys.meta_path.append(OnDemand(url, boot))
