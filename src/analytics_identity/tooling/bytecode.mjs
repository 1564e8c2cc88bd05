// Compiles Python sources to bytecode with Pyodide's own CPython (the exact
// version that will run them in the browser), for `analytics-identity build`.
// Reads {"name.py": "source", ...} as JSON on stdin and writes
// {"name.pyc": "base64", ...} on stdout. Unchecked-hash .pyc: nothing on the
// page stats a source file or compares a timestamp, and the bytes depend only
// on the source, so the build stays reproducible.
const [pyodideDir] = process.argv.slice(2);
const { loadPyodide } = await import(new URL("pyodide.mjs", `file://${pyodideDir}/`).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir, env: { PYTHONNODEBUGRANGES: "1" }, stdout: () => {}, stderr: (text) => process.stderr.write(text + "\n") });
let input = "";
for await (const chunk of process.stdin) input += chunk;
pyodide.globals.set("sources", input);
process.stdout.write(pyodide.runPython(`
import base64, importlib.util, json, marshal

def _compile(name, source):
    code = compile(source, name, "exec", dont_inherit=True, optimize=2)
    header = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(source.encode())
    return base64.b64encode(header + marshal.dumps(code)).decode()

json.dumps({name + "c": _compile(name, source) for name, source in json.loads(sources).items()})
`));
