// The page's own script, loaded from the site: what a page under a strict policy does.
analytics.load("test-key", { apiHost: location.host + "/v1", protocol: "http" });
analytics.page();
