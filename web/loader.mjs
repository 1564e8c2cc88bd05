// analytics-identity loader: boots the self-hosted Pyodide next to this file,
// installs the Python core and swaps the snippet's buffer for the live API.
// All logic is in Python; this file only moves calls across.

const WHEEL = "__WHEEL__";
const RUNTIME = "__RUNTIME__";

function facade(core) {
  const api = { initialized: true };
  for (const method of window.analytics.methods) {
    api[method] = (...args) => core.call(method, args);
  }
  const entity = (kind) => {
    const accessor = (name) => (...args) => core.entity(kind, name, args) ?? null;
    return { id: accessor("id"), traits: accessor("traits"), anonymousId: accessor("anonymousId") };
  };
  const user = entity("user");
  const group = entity("group");
  const groupCall = api.group;
  api.user = () => user;
  api.group = (...args) => (args.length ? groupCall(...args) : group);
  api.load = () => api;
  return api;
}

export async function start(base, writeKey, options) {
  const { loadPyodide } = await import(base + RUNTIME + "pyodide.mjs");
  const pyodide = await loadPyodide({ indexURL: base + RUNTIME, packages: [base + WHEEL] });
  const core = pyodide.pyimport("analytics_identity.bridge").start(writeKey, options);
  const buffered = window.analytics;
  window.analytics = facade(core);
  core.replay(buffered);
  return window.analytics;
}
