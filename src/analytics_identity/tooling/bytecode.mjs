// Compiles Python sources to bytecode with Pyodide's own CPython (the exact
// version that will run them in the browser), for `analytics-identity build`.
// Reads {"name.py": "source", ...} as JSON on stdin and writes
// {"name.pyc": "base64", ...} on stdout. Unchecked-hash .pyc: nothing on the
// page stats a source file or compares a timestamp, and the bytes depend only
// on the source, so the build stays reproducible.
// With "first-lines", each code object's line table maps every instruction to
// its first line (the table's "no column" entries of 8 code units, line delta 0).
const [pyodideDir, lines] = process.argv.slice(2);
const { loadPyodide } = await import(new URL("pyodide.mjs", `file://${pyodideDir}/`).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir, env: { PYTHONNODEBUGRANGES: "1" }, stdout: () => {}, stderr: (text) => process.stderr.write(text + "\n") });
let input = "";
for await (const chunk of process.stdin) input += chunk;
pyodide.globals.set("sources", input);
pyodide.globals.set("first_lines", lines === "first-lines");
process.stdout.write(pyodide.runPython(`
import base64, importlib.util, json, marshal

def _first_lines(code):
    consts = tuple(_first_lines(c) if hasattr(c, "co_code") else c for c in code.co_consts)
    table, units = bytearray(), len(code.co_code) // 2
    while units:
        table += bytes([0xE8 | (min(units, 8) - 1), 0])
        units -= min(units, 8)
    return code.replace(co_linetable=bytes(table), co_consts=consts)

def _compile(name, source):
    code = compile(source, name, "exec", dont_inherit=True, optimize=2)
    if first_lines:
        code = _first_lines(code)
    header = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(source.encode())
    return base64.b64encode(header + marshal.dumps(code)).decode()

json.dumps({name + "c": _compile(name, source) for name, source in json.loads(sources).items()})
`));
