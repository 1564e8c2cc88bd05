// TypeScript declarations for window.analytics as analytics-identity provides it.
// Names, arguments and return values follow Segment's analytics-next 1.84
// (AnalyticsBrowser / Analytics), so code written against it type-checks here.
// Copy this file next to your sources or reference it with
//   /// <reference path="/static/analytics/analytics.d.ts" />

export type JSONPrimitive = string | number | boolean | null;
export type JSONValue = JSONPrimitive | JSONObject | JSONArray;
export interface JSONObject { [key: string]: JSONValue | undefined }
export type JSONArray = JSONValue[];

export type ID = string | null | undefined;
export type Traits = Record<string, any>;
export type EventProperties = Record<string, any>;
export type Integrations = Record<string, boolean | JSONObject>;

/** Per-call options (analytics-next's `Options`). */
export interface Options {
  integrations?: Integrations;
  anonymousId?: string;
  userId?: string;
  timestamp?: Date | string;
  context?: Record<string, any>;
  traits?: Traits;
  [key: string]: any;
}

export interface SegmentEvent {
  type: "track" | "page" | "identify" | "group" | "alias" | "screen";
  messageId: string;
  timestamp: string;
  anonymousId?: string | null;
  userId?: string | null;
  event?: string;
  name?: string | null;
  category?: string | null;
  properties?: EventProperties;
  traits?: Traits;
  groupId?: string | null;
  previousId?: string | null;
  /** Always present on the events this library builds. */
  context: Record<string, any>;
  integrations?: Integrations;
  [key: string]: any;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
export interface LogMessage { level: LogLevel; message: string; time?: Date; extras?: Record<string, any> }
export interface CoreMetric { metric: string; value: number; type: "gauge" | "counter"; tags: string[]; timestamp: number }

/** What event calls resolve to and pass to their callback (analytics-next's `Context`). */
export interface Context {
  event: SegmentEvent;
  /** The context's own id (not the event's messageId). */
  readonly id: string;
  logger: { log(level: LogLevel, message: string, extras?: object): void; flush(): void; readonly logs: LogMessage[] };
  stats: {
    metrics: CoreMetric[];
    increment(metric: string, by?: number, tags?: string[]): void;
    gauge(metric: string, value: number, tags?: string[]): void;
    flush(): void;
    serialize(): unknown[];
  };
  /** Set when the event could not be handed to delivery (the only failure a call sees: delivery retries later). */
  failedDelivery(): { reason: unknown } | undefined;
  toJSON(): { id: string; event: SegmentEvent; logs: LogMessage[]; metrics: CoreMetric[] };
}

export type Callback = (ctx: Context) => Promise<unknown> | unknown;

export interface CookieOptions {
  maxage?: number;
  domain?: string;
  path?: string;
  secure?: boolean;
  sameSite?: string;
  /** analytics-identity only: `false` writes a cookie only when its value changes (docs/server.md). */
  renew?: boolean;
}

export type StoreType = "cookie" | "localStorage" | "memory";
/** A store with its own settings (cookie attributes for `cookie`). */
export interface StoreTypeWithSettings { name: StoreType; settings?: CookieOptions }
export interface StorageSettings { stores: (StoreType | StoreTypeWithSettings)[] }

export interface UserOptions {
  /** Keep no user identity at all (analytics-next's `user.disable`). */
  disable?: boolean;
  persist?: boolean;
  /** `oldKey`: the cookie classic analytics.js kept `{id, traits}` in (default `ajs_user`). */
  cookie?: { key?: string; oldKey?: string };
  localStorage?: { key: string };
  localStorageFallbackDisabled?: boolean;
  storage?: StorageSettings;
}

export type HighEntropyHint = "architecture" | "bitness" | "model" | "platformVersion" | "uaFullVersion" | "fullVersionList" | "wow64";

export interface DeliveryStrategy {
  strategy?: "standard" | "batching";
  config?: { size?: number; timeout?: number; keepalive?: boolean; [key: string]: any };
}

/** `integrations["Segment.io"]`: where analytics-next reads the delivery settings. */
export interface SegmentioOptions {
  apiHost?: string;
  protocol?: "http" | "https";
  deliveryStrategy?: DeliveryStrategy;
  httpConfig?: Record<string, any>;
}

/** The `consent` load option (docs/privacy.md). */
export interface ConsentOptions {
  /** Nothing stored in cookies or localStorage and nothing sent until `category` is granted. */
  required?: boolean;
  /** The category whose consent allows storing and sending. Default "Analytics". */
  category?: string;
  /** Events made before the decision: kept in memory ("hold", default) or dropped. */
  pending?: "hold" | "drop";
  /** "deny": with Global Privacy Control on, every category is denied. */
  gpc?: "deny";
  /** Categories Global Privacy Control forces to false. Default ["Advertising"]. */
  gpcDenies?: string[];
}

/** `true`/`false` (every known category) or `{Category: boolean}`. */
export type ConsentPreferences = boolean | Record<string, boolean>;

/** What `analytics.consent()` returns. */
export interface ConsentSnapshot {
  state: "pending" | "granted" | "denied";
  categoryPreferences: Record<string, boolean>;
  /** The browser's Global Privacy Control signal (`navigator.globalPrivacyControl`). */
  gpc: boolean;
}

/** analytics.load(writeKey, options): analytics-next's InitOptions, plus `loadMode` and the privacy options. */
export interface InitOptions {
  integrations?: Record<string, boolean | JSONObject | undefined> & { "Segment.io"?: SegmentioOptions | boolean; All?: boolean };
  /** Also accepted at the top level (as `integrations["Segment.io"]`'s). */
  apiHost?: string;
  protocol?: "http" | "https";
  deliveryStrategy?: DeliveryStrategy;
  cookie?: CookieOptions;
  storage?: StorageSettings;
  user?: UserOptions;
  group?: UserOptions;
  disableClientPersistence?: boolean;
  useQueryString?: boolean | { aid?: RegExp; uid?: RegExp };
  /** A page call as the library loads (analytics-next's option). */
  initialPageview?: boolean;
  /** `false`: events that cannot be sent now are dropped instead of retried. */
  retryQueue?: boolean;
  /** Refused with a warning: events go out as plain JSON. */
  obfuscate?: boolean;
  /** Added to `context.userAgentData` where the browser offers them. */
  highEntropyValuesClientHints?: HighEntropyHint[];
  /** The global the instance is installed as (default "analytics"). */
  globalAnalyticsKey?: string;
  /** Accepted for compatibility; there are no device-mode destinations here. */
  disableAutoISOConversion?: boolean;
  plan?: Record<string, any>;
  updateCDNSettings?: (settings: any) => any;
  /**
   * analytics-identity only: when the runtime boots. "idle" (default) waits for
   * the window load event and an idle moment, so the page's first paint and
   * load are never delayed; "immediate" boots as soon as load() is called.
   */
  loadMode?: "idle" | "immediate";
  /** analytics-identity only: consent before anything is stored or sent (docs/privacy.md). */
  consent?: ConsentOptions;
  /** Nothing stored, nothing sent, no runtime loaded; a function gets these options. */
  disable?: boolean | ((settings: any) => boolean | Promise<boolean>);
  /** Every event says `context.ip: "0.0.0.0"`: the collector stores no client address. */
  anonymizeIp?: boolean;
  /** analytics-identity only: hand the anonymousId to these domains' pages (docs/identity.md). */
  crossDomain?: CrossDomainOptions;
  /** analytics-identity only: sessions in Segment's Amplitude session plugin's keys (docs/identity.md). */
  session?: SessionOptions;
}

/** The `crossDomain` load option. */
export interface CrossDomainOptions {
  /** Links and GET forms to these domains (and their subdomains) carry the anonymousId. */
  domains: string[];
  /** Seconds a hand-off stays good for the landing page. Default 120. */
  maxAge?: number;
}

/** The `session` load option. */
export interface SessionOptions {
  /** Inactivity, in ms, after which the next event starts a new session. Default 1800000 (30 minutes). */
  timeout?: number;
}

/** Why an id changed (docs/identity.md). */
export type IdentityReason = "minted" | "restored" | "synced" | "query" | "setAnonymousId" | "options" | "identify"
  | "reset" | "linked" | "external";

export interface IdentityIds {
  anonymousId: string | null;
  userId: string | null;
  groupId: string | null;
}

/** What `on("identity", listener)` hears after every change of an id. */
export interface IdentityChange extends IdentityIds {
  previous: IdentityIds;
  reason: IdentityReason;
}

/** What `on("session", listener)` hears when a session starts. */
export interface SessionChange {
  sessionId: number;
  previous: number | null;
  reason: "new" | "timeout" | "reset";
}

/** One id in `explain()`. */
export interface ExplainedId {
  value: string | null;
  /** Where the value was read from. */
  source: "cookie" | "localStorage" | "memory" | "query" | "server" | "minted" | "call" | null;
  /** What each store holds now; a list when `document.cookie` shows the name more than once. */
  stores: Record<string, string | null | (string | null)[]>;
  /** What each store held when the page started, before any repair. */
  found: Record<string, string | null | (string | null)[]>;
  cookie: { name: string; domain: string | null; why: string; path: string; expires: string | null; renewedByPage: boolean } | null;
  /** The last change in this page. */
  changed: { reason: IdentityReason; at: string } | null;
}

/** What both `explain()` reports hold besides the ids: JSON-safe, for a bug report. */
export interface Explanation {
  traits: { value: Traits; stores: Record<string, Traits | null> };
  consent: ConsentSnapshot;
  persistence: { persist: boolean; mayStore: boolean; stores: string[]; unavailable: string[] };
}

/** `user().explain()` */
export interface UserExplanation extends Explanation {
  anonymousId: ExplainedId;
  userId: ExplainedId;
  /** With the `session` load option. */
  sessionId?: number;
}

/** `group().explain()` */
export interface GroupExplanation extends Explanation {
  groupId: ExplainedId;
}

/** analytics.user() */
export interface User {
  id(id?: ID): ID;
  anonymousId(id?: ID): ID;
  traits(traits?: Traits | null): Traits;
  /** Forget the id and traits (and the anonymousId). */
  logout(): void;
  /** Remove every key of the user from every store. */
  reset(): void;
  /** Read the stored values again (they are read on every call anyway). */
  load(): User;
  /** analytics-identity only: where each id came from and what every store holds. */
  explain(): UserExplanation;
  /** analytics-identity only: the session id (its start, ms) with the `session` load option, else null. */
  sessionId(): number | null;
}

/** analytics.group() */
export interface Group {
  id(id?: ID): ID;
  traits(traits?: Traits | null): Traits;
  logout(): void;
  reset(): void;
  load(): Group;
  /** analytics-identity only: where the group id came from and what every store holds. */
  explain(): GroupExplanation;
}

/** The object a source middleware edits: `payload.obj` is the event. */
export interface MiddlewarePayload { obj: SegmentEvent }

/** A source middleware: edit `payload.obj`, then call `next(payload)` (or `next(null)` to drop the event). */
export type MiddlewareFunction = (params: {
  payload: MiddlewarePayload;
  next: (payload: MiddlewarePayload | null) => void;
  integrations?: Integrations;
}) => void | Promise<void>;

/** Accepted for compatibility and refused with a warning: there are no device-mode destinations here. */
export type DestinationMiddlewareFunction = (params: {
  payload: MiddlewarePayload;
  integration: string;
  next: (payload: MiddlewarePayload | null) => void;
}) => void | Promise<void>;

/** analytics-next's plugin shape; `register` refuses plugins with a warning (no plugin system here). */
export interface Plugin {
  name: string;
  type: "before" | "after" | "destination" | "enrichment" | "utility";
  version: string;
  isLoaded(): boolean;
  load(ctx: Context, instance: any): Promise<unknown>;
  unload?(ctx: Context, instance: any): Promise<unknown> | unknown;
  ready?(): Promise<unknown>;
  track?(ctx: Context): Promise<Context> | Context;
  identify?(ctx: Context): Promise<Context> | Context;
  page?(ctx: Context): Promise<Context> | Context;
  group?(ctx: Context): Promise<Context> | Context;
  alias?(ctx: Context): Promise<Context> | Context;
  screen?(ctx: Context): Promise<Context> | Context;
}

/** Elements `trackLink`/`trackClick` bind to (a jQuery object works too). */
export type LinkTargets = Element | Element[] | { toArray(): Element[] } | null;
export type FormTargets = HTMLFormElement | HTMLFormElement[] | null;
/** The event name, or a function of the element giving it (properties likewise). */
export type ElementEvent<E> = string | ((element: E) => string);
export type ElementProperties<E> = EventProperties | ((element: E) => EventProperties);

/** What `on("error", listener)` hears for each event delivery gave up on (refused by the collector, or pushed out of a full queue), as analytics-next's; `reason` is a message here. */
export interface DeliveryFailure {
  code: "delivery_failure";
  reason: string;
  ctx: { event: SegmentEvent };
}

export type EmitterEvent = "track" | "page" | "identify" | "group" | "alias" | "reset" | "initialize" | "ready" | "error"
  | "identity" | "session" | string;

/** window.analytics once loaded. */
export interface AnalyticsBrowser {
  /** True once the runtime has replaced the snippet's buffer. */
  readonly initialized: boolean;
  /** The library's version. */
  readonly VERSION: string;
  load(writeKey: string, options?: InitOptions): AnalyticsBrowser;
  ready(callback?: () => unknown): Promise<unknown>;

  identify(userId?: ID | object, traits?: Traits | Options | Callback | null, options?: Options | Callback, callback?: Callback): Promise<Context>;
  track(event: string | object, properties?: EventProperties | Callback, options?: Options | Callback, callback?: Callback): Promise<Context>;
  page(category?: string | object, name?: string | object | Callback, properties?: EventProperties | Options | Callback | null, options?: Options | Callback | null, callback?: Callback): Promise<Context>;
  group(): Group;
  group(groupId: ID | object, traits?: Traits | Options | Callback | null, options?: Options | Callback, callback?: Callback): Promise<Context>;
  alias(to: string | number, from?: string | number | Options, options?: Options | Callback, callback?: Callback): Promise<Context>;
  screen(category?: string | object, name?: string | object | Callback, properties?: EventProperties | Options | Callback | null, options?: Options | Callback | null, callback?: Callback): Promise<Context>;
  /** A page call for `url` (classic analytics.js). */
  pageview(url: string): Promise<AnalyticsBrowser>;
  /** Track a click on each element; links navigate after the event is handed to delivery (`timeout()` ms at most). */
  trackLink(links: LinkTargets, event: ElementEvent<Element>, properties?: ElementProperties<Element>, options?: Options): AnalyticsBrowser;
  trackClick(links: LinkTargets, event: ElementEvent<Element>, properties?: ElementProperties<Element>, options?: Options): AnalyticsBrowser;
  /** Track each form's submission; the form is submitted after the event is handed to delivery. */
  trackForm(forms: FormTargets, event: ElementEvent<HTMLFormElement>, properties?: ElementProperties<HTMLFormElement>, options?: Options): AnalyticsBrowser;
  trackSubmit(forms: FormTargets, event: ElementEvent<HTMLFormElement>, properties?: ElementProperties<HTMLFormElement>, options?: Options): AnalyticsBrowser;
  reset(): void;
  setAnonymousId(id?: string): ID;
  /** Apply `?ajs_aid=…&ajs_uid=…&ajs_event=…` as on load (docs/identity.md). */
  queryString(query: string): Promise<Context[]>;
  user(): User;
  /** analytics.js' `push([method, ...args])`: calls the method. */
  push(call: unknown[]): unknown;
  /** The ms `trackLink`/`trackForm` wait for the event before navigating (300 by default). */
  timeout(ms: number): void;
  /** Send every waiting event now. */
  flush(): Promise<void>;

  /** analytics-identity only: `"identity"` after every id change, `"session"` when a session starts. */
  on(event: "identity", listener: (change: IdentityChange) => void): AnalyticsBrowser;
  on(event: "session", listener: (change: SessionChange) => void): AnalyticsBrowser;
  on(event: EmitterEvent, listener: (...args: any[]) => void): AnalyticsBrowser;
  once(event: EmitterEvent, listener: (...args: any[]) => void): AnalyticsBrowser;
  off(event: EmitterEvent, listener?: (...args: any[]) => void): AnalyticsBrowser;
  /** `true`: every call is logged on the console, and every identity change with its reason. */
  debug(toggle: boolean): AnalyticsBrowser;
  addSourceMiddleware(middleware: MiddlewareFunction): Promise<AnalyticsBrowser>;
  /** Refused with a warning: there are no device-mode destinations here. */
  addDestinationMiddleware(integrationName: string, ...middlewares: DestinationMiddlewareFunction[]): Promise<AnalyticsBrowser>;
  /** Refused with a warning (a no-op in analytics-next too). */
  addIntegrationMiddleware(...args: unknown[]): void;
  /** Refused with a warning: no plugin system here. */
  register(...plugins: Plugin[]): Promise<Context>;
  deregister(...plugins: string[]): Promise<Context>;
  /** analytics-identity only: the visitor's decision (returns the new state), or with no argument the state. */
  consent(preferences?: ConsentPreferences): ConsentSnapshot;
}

/**
 * `window.analytics`: the snippet's buffer until the runtime is ready, then the
 * instance. Typed as the instance, as analytics-next types its snippet: before
 * ready, calls are buffered and return the buffer.
 */
export interface AnalyticsSnippet extends Omit<AnalyticsBrowser, "load" | "initialized"> {
  load(writeKey: string, options?: InitOptions): void;
  readonly initialized?: boolean;
  invoked?: boolean;
  SNIPPET_VERSION?: string;
  /** Where the rest of the build is served (the snippet's folder, data-base, or preset). */
  _base?: string;
  methods?: string[];
  _writeKey?: string;
  _loadOptions?: InitOptions;
}

declare global {
  interface Window {
    analytics: AnalyticsSnippet;
  }
  var analytics: AnalyticsSnippet;
}
