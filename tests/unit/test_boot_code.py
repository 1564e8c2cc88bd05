"""``tooling/boot_code.py``: the code the boot generates, compiled by the build, under Node on the build's Pyodide.

Started as the loader starts it (its arguments, standard library and
the boot's steps, then the core's modules), with the table the build
made, the runtime compiles none of what ``dataclasses`` and ``namedtuple``
generate, nor the string annotations of a ``typing.NamedTuple``: recorded
again, nothing is missed. The table holds each source's
code as the runtime's compiler makes it; what it does not hold (a class made
later) is compiled as before and works the same. In CPython: the patches
are found.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from analytics_identity.tooling.boot_code import EMPTY, MODULE, boot_code
from analytics_identity.tooling.build import build_wheel, loader_python
from analytics_identity.tooling.stdlib_sources import PRECOMPILED, patched
from tests.unit.under_node import pyodide_folder, run_script

SCRIPT = r"""
const [runtime, stdlib] = process.argv.slice(2);
const { loadPyodide } = await import(runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: runtime + "/", stdLibURL: stdlib, stdout: () => {}, stderr: () => {} });
process.stdout.write(pyodide.runPython(`
import collections, dataclasses, json, typing
import _analytics_identity_code as table
same = all(code == compile(source, "<string>", mode, dont_inherit=True) for (mode, source), code in table._CODE.items())
missed = len(table.missed)

@dataclasses.dataclass(frozen=True)
class Later:
    name: str
    count: int = 0

Pair = collections.namedtuple("Pair", "left right")
Named = typing.NamedTuple("Named", [("size", "int | None")])  # its __new__, then its annotation (annotationlib)
later = [repr(Later("a", 2)), Later("a") == Later("a", 0), hash(Later("b")) == hash(Later("b")),
         Pair(1, right=2)._asdict(), typing.get_type_hints(Named)["size"] == (int | None),
         [mode for mode, _ in table.missed[missed:]]]
json.dumps({"held": len(table._CODE), "same": same, "kinds": sorted({mode for mode, _ in table._CODE}), "later": later})
`));
"""


def test_the_boot_compiles_nothing_it_generates_and_what_comes_later_still_compiles(tmp_path: Path) -> None:
    folder = pyodide_folder()
    wheel = build_wheel(tmp_path / "wheel", folder)
    stdlib, settings, modules, _ = loader_python(folder, wheel, tmp_path / "cache")
    # The recording run again, on the standard library holding the table: it notes nothing.
    again = boot_code(folder, stdlib, settings, modules, wheel, tmp_path / "again")
    assert again == EMPTY, f"the boot compiled code the table lacks ({len(again)} bytes of it)"
    (tmp_path / "python_stdlib.zip").write_bytes(stdlib)
    outcome = json.loads(run_script(SCRIPT, folder, tmp_path, tmp_path / "python_stdlib.zip").stdout)
    # The core's dataclasses, the standard library's (`_colorize`, `inspect`...) and its named tuples.
    assert outcome["held"] > 40 and outcome["kinds"] == ["eval", "exec"]
    assert outcome["same"]  # each as the runtime's own compiler makes it
    assert outcome["later"] == ["Later(name='a', count=2)", True, True, {"left": 1, "right": 2}, True,
                                ["exec", "eval", "eval", "eval"]]


def test_the_loader_standard_library_holds_the_table_and_asks_it() -> None:
    stock = (pyodide_folder() / "python_stdlib.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(stock)) as source:
        for path in PRECOMPILED:
            text = patched(path, source.read(path).decode())
            asked = re.search(rf"^from {MODULE} import \w+ as (\w+)\n", text, re.M)
            assert asked and text.count(asked.group(1) + "(") == 1, path
