"""The code the standard library would compile while the loader's runtime boots, compiled by the build.

``dataclasses`` makes each dataclass's methods from source it generates,
and ``collections.namedtuple`` each tuple's ``__new__``: 57 sources at
every boot (the core's dataclasses and ``_colorize``'s; ``inspect``'s and
``urllib.parse``'s named tuples...), each through Python's compiler, which
is slow in wasm on a first visit's cold code; ``typing`` compiles each
string annotation of a ``NamedTuple``'s fields (the core's seven tuples). Compiled by the build
instead, a first visit was ready in 961 ms against 1,064 before, with
1,030 ms of renderer CPU against 1,255 (side by side, ``docs/loading.md``,
step 36).

The build records those sources by starting the runtime under Node as the
loader does (``boot_code.mjs``), with an empty table that notes each miss,
then compiles them with that same CPython; the loader's standard library
carries the table as the module :data:`MODULE`, whose ``compiled`` the
patched ``dataclasses``, ``collections`` and ``annotationlib`` ask
(``tooling/stdlib_sources.py``). A source it does not hold (a class the
page makes later, a table older than the code) is compiled as before and
noted in ``missed``, which ``tests/e2e/test_boot_set.py`` reads. An
installed package has no Node: ``make dist`` recorded the table into its
bundle (:mod:`.runtime`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import marshal
import tempfile
from pathlib import Path

from .runtime import BOOT_CODE, BUNDLE, run_node

__all__ = ["EMPTY", "MODULE", "boot_code", "module_source"]

#: The module's name in the loader's standard library.
MODULE = "_analytics_identity_code"
#: The table before anything is recorded (marshal's format for a dict reads the same in every version).
EMPTY = marshal.dumps({})

_SOURCE = '''"""Code the standard library generates while the runtime boots, compiled by the build.

Made by analytics_identity/tooling/boot_code.py: the patched ``dataclasses``,
``collections`` and ``annotationlib`` ask ``compiled`` for the code of what they
generate.
"""

import marshal

_CODE = marshal.loads({table!r})
#: The sources asked for and not held, ``(mode, source)``: compiled as before.
missed = []


def compiled(mode, source):
    """The code of ``source`` for ``exec`` or ``eval`` (``mode``) as ``compile(source, "<string>", mode)`` makes
    it: the table's, or compiled here when the table has none."""
    code = _CODE.get((mode, source))
    if code is None:
        missed.append((mode, source))
        return compile(source, "<string>", mode)
    return code
'''


def module_source(table: bytes) -> str:
    """The source of :data:`MODULE` holding ``table`` (``marshal`` of ``{(mode, source): code}``)."""
    return _SOURCE.format(table=table)


def boot_code(pyodide_dir: Path, stdlib: bytes, bootstrap: dict[str, object], modules: list[str], wheel: Path,
              cache: Path) -> bytes:
    """The table for the loader's runtime: the installed package's, or recorded under Node.

    ``stdlib`` is the loader's standard library holding :data:`EMPTY`,
    ``bootstrap`` the loader's ``BUILD.bootstrap``, ``modules`` the core's
    modules in the order the loader imports them from ``wheel``. Kept in
    ``cache`` by the hash of its inputs (a Node start takes a few seconds).
    """
    if pyodide_dir.resolve().is_relative_to(BUNDLE):
        return (BUNDLE / BOOT_CODE).read_bytes()
    settings = json.dumps({**bootstrap, "modules": modules})
    script = Path(__file__).with_name("boot_code.mjs")
    inputs = (stdlib + settings.encode() + wheel.read_bytes() + script.read_bytes()
              + (pyodide_dir / "package.json").read_bytes())
    cached = cache / f"boot-code-{hashlib.sha256(inputs).hexdigest()}.bin"
    if cached.exists():
        return cached.read_bytes()
    with tempfile.TemporaryDirectory(prefix="analytics-identity-boot-code-") as scratch:
        stdlib_file = Path(scratch) / "python_stdlib.zip"
        stdlib_file.write_bytes(stdlib)
        recorded = run_node("boot_code.mjs", [f"{pyodide_dir.resolve()}/", stdlib_file, wheel], settings,
                            "recording the boot's code")
    table = base64.b64decode(recorded)
    cache.mkdir(parents=True, exist_ok=True)
    cached.with_suffix(".partial").write_bytes(table)
    cached.with_suffix(".partial").replace(cached)
    return table
