// Boots the runtime and the core off the main thread; answers with the minted anonymousId.
const base = new URL("/static/analytics/", self.location.href).href;
const build = await (await fetch(base + "build.json")).json();
const { loadPyodide } = await import(base + build.runtime + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: base + build.runtime + "/", packages: [base + build.wheel] });
const anonymousId = pyodide.runPython(
  "from analytics_identity.api.client import Analytics\n" +
  "from analytics_identity.host import MemoryHost\n" +
  "Analytics(MemoryHost()).user().anonymous_id()");
postMessage({ anonymousId });
