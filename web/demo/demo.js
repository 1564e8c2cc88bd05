// The demo page: buttons call window.analytics; panels show cookies,
// localStorage, user()/group() and what the collector stored, by person.
(function () {
  "use strict";
  const $ = (selector) => document.querySelector(selector);
  const AJS = /^(ajs_|_sio$)/;

  function json(text, what) {
    if (!text.trim()) return undefined;
    try { return JSON.parse(text); } catch (error) { throw new Error(what + " is not JSON: " + error.message); }
  }

  function options(form, extra) {
    const result = Object.assign({}, extra);
    const anonymousId = form.anonymousId && form.anonymousId.value.trim();
    if (anonymousId) result.anonymousId = anonymousId;
    return result;
  }

  function clearCookies() {
    for (const part of document.cookie.split(";")) {
      const name = part.split("=")[0].trim();
      if (name) document.cookie = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
    }
  }

  const calls = {
    identify: (f) => analytics.identify(f.userId.value.trim() || null, json(f.traits.value, "traits") || {}, options(f)),
    track: (f) => {
      const extra = {};
      const traits = json(f.traits.value, "context.traits");
      if (traits) extra.traits = traits;
      if (f.ip.value.trim()) extra.context = { ip: f.ip.value.trim() };
      return analytics.track(f.event.value, json(f.properties.value, "properties") || {}, options(f, extra));
    },
    page: (f) => (f.name.value.trim() ? analytics.page(f.name.value.trim(), {}, options(f)) : analytics.page({}, options(f))),
    group: (f) => analytics.group(f.groupId.value.trim(), json(f.traits.value, "traits") || {}),
    alias: (f) => analytics.alias(f.userId.value.trim()),
    setAnonymousId: (f) => analytics.setAnonymousId(f.anonymousId.value.trim()),
  };

  const actions = {
    "clear-user-traits": () => analytics.user().traits({}),
    "clear-group-traits": () => analytics.group().traits({}),
    reset: () => analytics.reset(),
    "clear-cookies": () => { clearCookies(); location.reload(); },
    "clear-storage": () => { localStorage.clear(); location.reload(); },
    "clear-both": () => { clearCookies(); localStorage.clear(); location.reload(); },
    reload: () => location.reload(),
  };

  function report(label, run) {
    const line = $("#last-call");
    try {
      const result = run();
      const shown = result && typeof result.then === "function" ? "Promise<Context>" : JSON.stringify(result);
      line.textContent = label + " → " + (shown === undefined ? "undefined" : shown);
      line.classList.remove("error");
    } catch (error) {
      line.textContent = label + ": " + error.message;
      line.classList.add("error");
    }
    refresh();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-call]");
    if (!form) return;
    event.preventDefault();
    report("analytics." + form.dataset.call + "()", () => calls[form.dataset.call](form));
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = actions[button.dataset.action];
    // Reading user() now would write the ids straight back from memory.
    if (button.dataset.action.startsWith("clear-") || button.dataset.action === "reload") {
      leaving = true;
      action();
    } else {
      report(button.textContent, action);
    }
  });

  let blankIp = false;
  let leaving = false;
  $("#blank-ip").addEventListener("change", (event) => { blankIp = event.target.checked; });

  function rows(table, entries) {
    table.replaceChildren();
    if (!entries.length) {
      const cell = table.insertRow().insertCell();
      cell.textContent = "none";
      cell.className = "empty";
      return;
    }
    for (const [name, value] of entries) {
      const row = table.insertRow();
      row.insertCell().textContent = name;
      row.insertCell().textContent = value;
    }
  }

  function text(value) { return value === null || value === undefined ? "null" : JSON.stringify(value); }

  function refreshLocal() {
    const cookies = document.cookie.split(";").map((p) => p.trim()).filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]);
    rows($("#cookies"), cookies.filter(([name]) => AJS.test(name)));
    // The delivery queue keeps one key per event (and one lease per tab): shown as one line.
    const stored = [];
    let waiting = 0;
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key.startsWith("ajs_identity_queue:")) waiting++;
      else if (AJS.test(key) && !key.startsWith("ajs_identity_lease:")) stored.push([key, localStorage.getItem(key)]);
    }
    if (waiting) stored.push(["ajs_identity_queue:…", waiting + " event(s) waiting for the collector"]);
    rows($("#storage"), stored.sort());
    const identity = $("#identity");
    if (leaving || !window.analytics || !analytics.initialized) return;
    const user = analytics.user();
    const group = analytics.group();
    const values = [
      ["user().id()", user.id()], ["user().anonymousId()", user.anonymousId()], ["user().traits()", user.traits()],
      ["group().id()", group.id()], ["group().traits()", group.traits()],
    ];
    identity.replaceChildren();
    for (const [name, value] of values) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = text(value);
      dd.dataset.value = name;
      identity.append(dt, dd);
    }
  }

  // Union-find over anonymousIds and userIds: one component per person.
  function people(events) {
    const parent = new Map();
    const find = (x) => { while (parent.get(x) !== x) { parent.set(x, parent.get(parent.get(x))); x = parent.get(x); } return x; };
    const add = (x) => { if (!parent.has(x)) parent.set(x, x); };
    const union = (a, b) => { add(a); add(b); parent.set(find(a), find(b)); };
    for (const e of events) {
      const keys = [e.anonymousId && "a:" + e.anonymousId, e.userId && "u:" + e.userId].filter(Boolean);
      keys.forEach(add);
      if (keys.length === 2) union(keys[0], keys[1]);
      if (e.type === "alias" && e.previousId && e.userId) union("u:" + e.userId, "u:" + e.previousId);
    }
    const groups = new Map();
    for (const e of events) {
      const key = e.anonymousId ? "a:" + e.anonymousId : "u:" + e.userId;
      const root = find(key);
      if (!groups.has(root)) groups.set(root, { anon: new Set(), users: new Set(), events: [] });
      const person = groups.get(root);
      if (e.anonymousId) person.anon.add(e.anonymousId);
      if (e.userId) person.users.add(e.userId);
      person.events.push(e);
    }
    return [...groups.values()];
  }

  function describe(e) {
    const name = e.type === "track" ? e.event : e.type === "page" || e.type === "screen" ? e.name || (e.properties && e.properties.path) || "" :
      e.type === "group" ? e.groupId : e.type === "alias" ? e.previousId + " → " + e.userId : "";
    const details = [];
    if (e.type === "identify" && e.traits && Object.keys(e.traits).length) details.push("traits " + JSON.stringify(e.traits));
    if (e.context && e.context.traits) details.push("context.traits " + JSON.stringify(e.context.traits));
    if (e.context && "ip" in e.context) details.push("context.ip " + e.context.ip);
    return [name, details.join(" · ")].filter(Boolean).join(" — ");
  }

  function chip(kind, value) {
    const span = document.createElement("span");
    span.className = "chip " + kind;
    span.textContent = (kind === "anon" ? "anonymousId " : "userId ") + value;
    return span;
  }

  async function refreshCollected() {
    let events;
    try {
      const response = await fetch("/api/events?limit=300", { cache: "no-store" });
      events = await response.json();
    } catch (error) {
      $("#event-count").textContent = "(collector unreachable)";
      return;
    }
    $("#event-count").textContent = "(" + events.length + " events, newest first)";
    const list = $("#people");
    list.replaceChildren();
    for (const person of people(events)) {
      const box = document.createElement("article");
      box.className = "person";
      const head = document.createElement("header");
      const title = document.createElement("h3");
      title.textContent = person.users.size ? [...person.users].join(", ") : "anonymous visitor";
      head.append(title);
      person.anon.forEach((id) => head.append(chip("anon", id)));
      person.users.forEach((id) => head.append(chip("user", id)));
      const table = document.createElement("table");
      table.className = "events";
      for (const e of person.events.slice(0, 25)) {
        const row = table.insertRow();
        row.insertCell().textContent = (e.timestamp || "").slice(11, 19);
        row.cells[0].className = "when";
        row.insertCell().textContent = e.type;
        row.cells[1].className = "type";
        row.insertCell().textContent = describe(e);
        const who = row.insertCell();
        who.textContent = e.userId ? e.userId : String(e.anonymousId).slice(0, 8) + "…";
        who.className = "who " + (e.userId ? "user" : "anon");
        who.title = "anonymousId " + e.anonymousId + (e.userId ? ", userId " + e.userId : "");
      }
      box.append(head, table);
      list.append(box);
    }
  }

  function refresh() {
    refreshLocal();
    setTimeout(refreshCollected, 300);
  }

  analytics.ready(() => {
    const status = $("#status");
    status.textContent = "Ready: window.analytics is the Python core on Pyodide.";
    status.dataset.state = "ready";
    analytics.addSourceMiddleware(({ payload, next }) => {
      if (blankIp) payload.obj.context.ip = "0.0.0.0";
      next(payload);
    });
    refresh();
  });
  refreshLocal();
  refreshCollected();
  setInterval(refreshLocal, 1000);
  setInterval(refreshCollected, 1500);
})();
