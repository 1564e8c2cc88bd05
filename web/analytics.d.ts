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

/** What event calls resolve to and pass to their callback. */
export interface Context {
  event: SegmentEvent;
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
  context?: Record<string, any>;
  integrations?: Integrations;
  [key: string]: any;
}

export type Callback = (ctx: Context) => Promise<unknown> | unknown;

export interface CookieOptions {
  maxage?: number;
  domain?: string;
  path?: string;
  secure?: boolean;
  sameSite?: string;
}

export type StoreType = "cookie" | "localStorage" | "memory";

export interface UserOptions {
  persist?: boolean;
  cookie?: { key?: string; oldKey?: string };
  localStorage?: { key?: string };
  localStorageFallbackDisabled?: boolean;
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
  integrations?: Integrations & { "Segment.io"?: { apiHost?: string; protocol?: "http" | "https"; [key: string]: any } };
  apiHost?: string;
  protocol?: "http" | "https";
  cookie?: CookieOptions;
  storage?: { stores: StoreType[] };
  user?: UserOptions;
  group?: UserOptions;
  disableClientPersistence?: boolean;
  useQueryString?: boolean | { aid?: RegExp; uid?: RegExp };
  deliveryStrategy?: { strategy?: "standard" | "batching"; config?: { size?: number; timeout?: number } };
  /**
   * analytics-identity only: when the runtime boots. "idle" (default) waits for
   * the window load event and an idle moment, so the page's first paint and
   * load are never delayed; "immediate" boots as soon as load() is called.
   */
  loadMode?: "idle" | "immediate";
  /** analytics-identity only: consent before anything is stored or sent (docs/privacy.md). */
  consent?: ConsentOptions;
  /** Nothing stored, nothing sent, no runtime loaded; a function gets these options. */
  disable?: boolean | ((options: InitOptions) => boolean | Promise<boolean>);
  /** Every event says `context.ip: "0.0.0.0"`: the collector stores no client address. */
  anonymizeIp?: boolean;
  [key: string]: any;
}

/** analytics.user() */
export interface User {
  id(): ID;
  id(id: ID): ID;
  anonymousId(): ID;
  anonymousId(id: ID): ID;
  traits(): Traits;
  traits(traits: Traits): Traits;
}

/** analytics.group() */
export interface Group {
  id(): ID;
  id(id: ID): ID;
  traits(): Traits;
  traits(traits: Traits): Traits;
}

/** A source middleware: edit `payload.obj`, then call `next(payload)` (or `next(null)` to drop the event). */
export type MiddlewareFunction = (params: {
  payload: { obj: SegmentEvent };
  next: (payload: { obj: SegmentEvent } | null) => void;
  integrations: Integrations;
}) => unknown;

export type EmitterEvent = "track" | "page" | "identify" | "group" | "alias" | "reset" | "initialize" | "ready" | string;

/** window.analytics once loaded. */
export interface AnalyticsBrowser {
  /** True once the runtime has replaced the snippet's buffer. */
  readonly initialized: boolean;
  load(writeKey: string, options?: InitOptions): AnalyticsBrowser;
  ready(callback?: () => unknown): Promise<unknown>;

  identify(userId?: ID | object, traits?: Traits | Options | Callback | null, options?: Options | Callback, callback?: Callback): Promise<Context>;
  track(event: string, properties?: EventProperties | Callback, options?: Options | Callback, callback?: Callback): Promise<Context>;
  page(category?: string | object, name?: string | object | Callback, properties?: EventProperties | Options | Callback | null, options?: Options | Callback | null, callback?: Callback): Promise<Context>;
  group(): Group;
  group(groupId: ID | object, traits?: Traits | null, options?: Options, callback?: Callback): Promise<Context>;
  alias(to: string | number, from?: string | number | Options, options?: Options | Callback, callback?: Callback): Promise<Context>;
  screen(category?: string | object, name?: string | object | Callback, properties?: EventProperties | Options | Callback | null, options?: Options | Callback | null, callback?: Callback): Promise<Context>;
  reset(): void;
  setAnonymousId(id?: string): ID;
  user(): User;

  on(event: EmitterEvent, listener: (...args: any[]) => void): AnalyticsBrowser;
  once(event: EmitterEvent, listener: (...args: any[]) => void): AnalyticsBrowser;
  off(event: EmitterEvent, listener?: (...args: any[]) => void): AnalyticsBrowser;
  debug(toggle: boolean): AnalyticsBrowser;
  addSourceMiddleware(middleware: MiddlewareFunction): AnalyticsBrowser;
  /** analytics-identity only: the visitor's decision (returns the new state), or with no argument the state. */
  consent(preferences?: ConsentPreferences): ConsentSnapshot;
}

/** window.analytics before the runtime is ready: the snippet's buffer of calls. */
export interface AnalyticsSnippet extends Array<unknown[]> {
  invoked: boolean;
  initialized?: undefined;
  SNIPPET_VERSION: string;
  /** Where the rest of the build is served (the snippet's folder, data-base, or preset). */
  _base: string;
  methods: string[];
  load(writeKey: string, options?: InitOptions): void;
  identify(...args: unknown[]): AnalyticsSnippet;
  track(...args: unknown[]): AnalyticsSnippet;
  page(...args: unknown[]): AnalyticsSnippet;
  group(...args: unknown[]): AnalyticsSnippet;
  alias(...args: unknown[]): AnalyticsSnippet;
  reset(...args: unknown[]): AnalyticsSnippet;
  ready(callback?: () => unknown): AnalyticsSnippet;
  setAnonymousId(id?: string): AnalyticsSnippet;
  on(...args: unknown[]): AnalyticsSnippet;
  once(...args: unknown[]): AnalyticsSnippet;
  off(...args: unknown[]): AnalyticsSnippet;
  debug(...args: unknown[]): AnalyticsSnippet;
  consent(preferences?: ConsentPreferences): AnalyticsSnippet;
}

declare global {
  interface Window {
    analytics: AnalyticsSnippet | AnalyticsBrowser;
  }
}
