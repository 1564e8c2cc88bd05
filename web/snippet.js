/* analytics-identity snippet: defines window.analytics as a buffer of calls
   and loads the rest on analytics.load(). It never blocks the page: the
   loader is imported only when load() is called, and by default the runtime
   boots after the window load event (see loader.mjs, loadMode).
   Safe to inline: the rest of the build is found next to this script's src,
   or at its data-base attribute, or at window.analytics._base. */
(function () {
  var analytics = (window.analytics = window.analytics || []);
  if (analytics.initialized || analytics.invoked) return;
  analytics.invoked = true;
  var script = document.currentScript;
  var base = (script && script.getAttribute("data-base")) || analytics._base ||
    (script && script.src ? script.src.replace(/[^/]*$/, "") : "/static/analytics/");
  analytics._base = base.replace(/\/?$/, "/");
  /* Written in by the build from the core's methods table (tooling/page_api.py):
     {stubbed, pinned, kept, keptPrefix, bufferedPage}. */
  var table = __SNIPPET_TABLE__;
  analytics.methods = table.stubbed;
  analytics.factory = function (method) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      /* f(x, undefined) is f(x): setAnonymousId(undefined) stays a read, also
         once a kept call went through JSON (where undefined becomes null). */
      while (args.length && args[args.length - 1] === undefined) args.pop();
      /* Event calls keep the page and time they were made on (replayed after
         a client-side navigation, they still describe it); the core strips it. */
      if (table.pinned.indexOf(method) >= 0) {
        var canonical = document.querySelector("link[rel='canonical']"), marker = {};
        marker[table.bufferedPage] = { url: location.href, canonical: canonical && canonical.getAttribute("href"),
          path: location.pathname, search: location.search, hash: location.hash,
          title: document.title, referrer: document.referrer, time: Date.now() };
        args.push(marker);
      }
      args.unshift(method);
      analytics.push(args);
      return analytics;
    };
  };
  for (var i = 0; i < analytics.methods.length; i++) {
    analytics[analytics.methods[i]] = analytics.factory(analytics.methods[i]);
  }
  analytics.load = function (writeKey, options) {
    if (analytics._writeKey !== undefined) return;
    analytics._writeKey = writeKey;
    analytics._loadOptions = options || {};
    import(analytics._base + "loader.mjs").then(function (loader) {
      return loader.start(writeKey, analytics._loadOptions);
    }).catch(function (error) {
      console.error("analytics-identity: could not load " + analytics._base + "loader.mjs (" + error +
        "). Calls stay buffered; serve the build folder there or set data-base on the snippet's script tag.");
    });
  };
  /* Leaving before ready loses nothing: when the page is hidden or closed,
     the buffered calls another page can replay (events, identity changes)
     are written to localStorage under a new key, and stamped with it here.
     The first core ready on this site takes the key and replays them; this
     page's own core, if it gets ready after all, replays a stamped call
     only if its key is still there (see bridge/handover.py). The one place
     the snippet writes to storage. */
  function keep() {
    var options = analytics._loadOptions || {};
    if (window.analytics !== analytics || !mayStore(options)) return;
    var key = table.keptPrefix + Date.now() + ":" + Math.random().toString(36).slice(2), calls = [];
    for (var i = 0; i < analytics.length; i++) {
      if (!analytics[i].kept && table.kept.indexOf(analytics[i][0]) >= 0) {
        calls.push(analytics[i]);
      }
    }
    try {
      if (calls.length) localStorage.setItem(key, JSON.stringify(calls));
    } catch (error) {
      return;
    }
    for (i = 0; i < calls.length; i++) calls[i].kept = key;
  }
  /* The core's storage rules (options/settings.py, consent/state.py), so the
     write above obeys them too: none without persistence, while `disable`
     is set or undecided (a function: the loader decides it), while consent
     is required (an unreadable `consent` requires it; a buffered consent()
     is decided by the core), nor with Global Privacy Control and gpc "deny". */
  function mayStore(o) {
    var c = o.consent;
    return !(o.disableClientPersistence || o.disable === true || typeof o.disable == "function") && (c == null || typeof c == "object" && !Array.isArray(c) &&
      (c.required === undefined || c.required === false) && !(c.gpc == "deny" && navigator.globalPrivacyControl === true));
  }
  addEventListener("pagehide", keep);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") keep();
  });
  analytics.SNIPPET_VERSION = "1.2.0";
})();
