// Records and compiles the code the standard library generates while the
// loader's runtime boots, for `analytics-identity build` (tooling/boot_code.py).
// Starts Pyodide as the loader does (its arguments, standard library and
// the boot's steps, then our wheel's modules in the loader's order) with
// an empty table, so that every source `dataclasses`,
// `collections.namedtuple` and `annotationlib` hand to the compiler is missed and noted; then
// compiles each with this same CPython and writes the table, marshalled, in
// base64 on stdout. Reads {"args", "module", "modules"} as JSON on stdin.
const [pyodideDir, stdlib, wheel] = process.argv.slice(2);
const { readFileSync } = await import("node:fs");
// A Python error's message, not the minified line of Pyodide's that threw it.
process.on("uncaughtException", (error) => { process.stderr.write(String(error.message)); process.exit(1); });
const { loadPyodide } = await import(new URL("pyodide.mjs", `file://${pyodideDir}/`).href);
const asm = await import(new URL("pyodide.asm.mjs", `file://${pyodideDir}/`).href);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { args, module: bootModule, modules } = JSON.parse(input);
const failed = [];
const pyodide = await loadPyodide({
  indexURL: pyodideDir, stdLibURL: stdlib, args, stdout: () => {}, stderr: (text) => process.stderr.write(text + "\n"),
  async createPyodideModule(settings) {
    const module = await asm.default(settings);
    // The boot's steps, all in one go; `failed` notes a step that raised.
    const [error, output] = module.API.rawRun(
      `import ${bootModule} as boot\nfor _ in boot.steps: pass\nassert not boot.failed, boot.failed\ndel boot, _`);
    if (error) failed.push(output);
    return module;
  },
});
if (failed.length) throw new Error(`a step of the boot failed:\n${failed.join("\n")}`);
pyodide.FS.writeFile("/tmp/core.whl", readFileSync(wheel));
pyodide.globals.set("modules", modules);
process.stdout.write(pyodide.runPython(`
import base64, importlib, marshal, sys
sys.path.insert(0, "/tmp/core.whl")
for name in modules.to_py():
    importlib.import_module(name)
import _analytics_identity_code as table
base64.b64encode(marshal.dumps({(mode, source): compile(source, "<string>", mode, dont_inherit=True)
                                for mode, source in table.missed})).decode()
`));
