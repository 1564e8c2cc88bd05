/* analytics-identity snippet: buffers calls until the library is ready.
   Safe to inline; finds the rest of the build next to its own URL. */
(function () {
  var analytics = (window.analytics = window.analytics || []);
  if (analytics.initialize || analytics.invoked) return;
  analytics.invoked = true;
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^/]*$/, "") : "/static/analytics/";
  analytics.methods = ["identify", "track", "page", "group", "alias", "reset", "ready",
    "setAnonymousId", "on", "once", "off", "debug", "addSourceMiddleware",
    "addDestinationMiddleware", "trackClick", "trackLink", "trackForm", "trackSubmit",
    "pageview", "screen", "register", "deregister"];
  analytics.factory = function (method) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      args.unshift(method);
      analytics.push(args);
      return analytics;
    };
  };
  for (var i = 0; i < analytics.methods.length; i++) {
    analytics[analytics.methods[i]] = analytics.factory(analytics.methods[i]);
  }
  analytics.load = function (writeKey, options) {
    analytics._writeKey = writeKey;
    analytics._loadOptions = options;
    analytics._base = base;
    import(base + "loader.mjs").then(function (loader) {
      return loader.start(base, writeKey, options || {});
    }).catch(function (error) {
      console.error("analytics-identity: could not load " + base + "loader.mjs (" + error + ")");
    });
  };
  analytics.SNIPPET_VERSION = "1.0.0";
})();
