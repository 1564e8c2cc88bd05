// A site's TypeScript written against analytics-next 1.84's documented API, as
// its README tells snippet users to type window.analytics. tests/unit/test_typescript.py
// checks it twice with `tsc --noEmit --strict`: against @segment/analytics-next
// itself (so it stays analytics-next code) and with that module name mapped to
// web/analytics.d.ts (so a site that swaps the snippet keeps compiling).
import type {
  AnalyticsSnippet,
  Context,
  InitOptions,
  MiddlewareFunction,
  Plugin,
  SegmentEvent,
  ID,
} from "@segment/analytics-next";

declare global {
  interface Window {
    analytics: AnalyticsSnippet;
  }
}

const analytics = window.analytics;

const options: InitOptions = {
  integrations: {
    "Segment.io": {
      apiHost: "example.com/v1",
      protocol: "https",
      deliveryStrategy: { strategy: "batching", config: { size: 10, timeout: 5000 } },
    },
    "Google Analytics": false,
  },
  cookie: { domain: "example.com", maxage: 365, path: "/", sameSite: "Lax", secure: true },
  storage: { stores: ["cookie", "localStorage", "memory"] },
  user: {
    persist: true,
    cookie: { key: "ajs_user_id", oldKey: "ajs_user" },
    localStorage: { key: "ajs_user_traits" },
    localStorageFallbackDisabled: false,
    disable: false,
  },
  group: { cookie: { key: "ajs_group_id" } },
  disableClientPersistence: false,
  useQueryString: { aid: /^[a-z0-9-]+$/, uid: /^\d+$/ },
  initialPageview: true,
  retryQueue: true,
  obfuscate: false,
  highEntropyValuesClientHints: ["architecture", "model"],
  globalAnalyticsKey: "analytics",
  disableAutoISOConversion: false,
  disable: false,
};
analytics.load("WRITE_KEY", options);

async function everyCall(): Promise<void> {
  const tracked: Context = await analytics.track("Clicked Email", { emailCampaign: "First Touch" });
  const event: SegmentEvent = tracked.event;
  const messageId: string | undefined = event.messageId;
  const contextId: string = tracked.id;
  tracked.logger.log("info", "seen", { messageId });
  tracked.stats.increment("clicks");
  const failed = tracked.failedDelivery();
  if (failed) console.log(failed.reason);
  console.log(JSON.stringify(tracked.toJSON()), contextId);

  await analytics.identify("user_123", { name: "Jane Kim" }, { anonymousId: "ABC-123-XYZ" });
  await analytics.identify({ plan: "pro" });
  await analytics.track("Order Completed", {}, { context: { ip: "0.0.0.0" } });
  await analytics.track("Signed Up", { plan: "pro" }, { traits: { plan_id: "Paid" } }, (ctx) => console.log(ctx.event));
  await analytics.page();
  await analytics.page("Docs", "Install", { path: "/docs" });
  await analytics.page({}, { anonymousId: "ABC-123-XYZ" });
  await analytics.screen("Home");
  await analytics.group("group_1", { plan: "enterprise" });
  await analytics.alias("user_123", "anon_1");
  await analytics.pageview("/checkout");

  const user = analytics.user();
  const id: ID = user.id();
  user.id("user_123");
  user.anonymousId();
  user.anonymousId("ABC-123-XYZ");
  user.traits({ name: "Jane" });
  user.traits();
  user.logout();
  user.reset();
  user.load();
  const group = analytics.group();
  group.id();
  group.traits({});
  analytics.setAnonymousId("ABC-123-XYZ");
  analytics.setAnonymousId();
  analytics.reset();
  console.log(id, analytics.VERSION);

  const listener = (name: string) => console.log(name);
  analytics.on("track", listener).once("identify", listener).off("track", listener);
  analytics.debug(true);
  analytics.timeout(500);
  await analytics.ready(() => console.log("ready"));

  const link = document.querySelector("a")!;
  const form = document.querySelector("form")!;
  analytics.trackLink(link, "Clicked Link", { placement: "header" });
  analytics.trackLink([link], (el: Element) => `Clicked ${el.textContent}`);
  analytics.trackClick(link, "Clicked");
  analytics.trackForm(form, "Signed Up", { plan: "pro" });
  analytics.trackSubmit([form], "Submitted");

  const middleware: MiddlewareFunction = ({ payload, next }) => {
    payload.obj.properties = { ...payload.obj.properties, source: "site" };
    next(payload);
  };
  await analytics.addSourceMiddleware(middleware);
  await analytics.addDestinationMiddleware("Google Analytics", ({ payload, next }) => next(payload));

  const plugin: Plugin = {
    name: "Enrich",
    type: "enrichment",
    version: "1.0.0",
    isLoaded: () => true,
    load: () => Promise.resolve(),
    track: (ctx) => ctx,
  };
  await analytics.register(plugin);
  await analytics.deregister("Enrich");
}

void everyCall();
export {};
