/**
 * Options a React Native app passes to `Rejourney.start`. Validated here so a mistake is a
 * thrown `RejourneyConfigError` at the call site in JS, with a clear message, before anything
 * reaches the native side. Defaults are the Rust core's: an option left out is not sent, and
 * the core fills it in (the same defaults as the iOS and Android SDKs).
 */
export interface RejourneyOptions {
  /** Public project key. */
  apiKey: string;
  /** Ingest API base URL, e.g. `https://api.rejourney.co` or a self-hosted backend. */
  apiUrl?: string;
  /** Milliseconds between captures (core default 1000). */
  captureIntervalMs?: number;
  /** Output pixels per point (core default 1.25). */
  captureScale?: number;
  /** JPEG quality 0..1 (core default 0.5). */
  jpegQuality?: number;
  /** Fraction of sessions recorded and uploaded, 0..1 (core default 1); the server's remote config can only lower it. */
  sessionSampleRate?: number;
  /** The older name of `sessionSampleRate` (setting both to different values is an error). */
  sampleRate?: number;
  /**
   * Fraction of the sessions not recorded that keep their last `bufferWindowMs` on the device
   * and upload it when a JS error (`captureError`, the global handler's non-fatal errors), an
   * ANR or a crash happens, 0..1 (core default 0: off).
   */
  onErrorSampleRate?: number;
  /** How much recording the on-error buffer keeps (ms, core default 30000). */
  bufferWindowMs?: number;
  /** Most bytes the on-error buffer keeps on disk (core default 8 MiB). */
  bufferMaxBytes?: number;
  /** Milliseconds between captures while buffering (never faster than `captureIntervalMs`). */
  bufferCaptureIntervalMs?: number;
  /**
   * Ask the server's `GET /api/sdk/config` at start and at each new session (the core's
   * default: on). The server can make recording rarer or more private than these
   * options, never less.
   */
  remoteConfig?: boolean;
  /** Longest a session's first capture waits for that answer when none is cached (ms, core default 1000, at most 5000). */
  remoteConfigHoldMs?: number;
  /** Mask every text input (core default true; unset follows the server's setting; secure inputs are always masked). */
  maskTextInputs?: boolean;
  /** Background time after which the next foreground starts a new session (ms). */
  backgroundTimeoutMs?: number;
  /** Mask every text view, not only inputs (core default false). */
  maskAllText?: boolean;
  /** Mask every image (core default false). */
  maskAllImages?: boolean;
  /** Mask web views (core default true). */
  maskWebViews?: boolean;
  /** Mask video players (core default false). */
  maskVideo?: boolean;
  /** Native class names to mask (e.g. `RCTTextView`). */
  maskedClasses?: string[];
  /** `testID`s to mask (iOS accessibility identifiers, Android view tags). */
  maskedTestIds?: string[];
  /** Network requests to these hosts (or URL prefixes) are never recorded. */
  urlDenyList?: string[];
  /** Main-thread silence reported as an ANR (ms); 0 disables the watchdog. */
  anrThresholdMs?: number;
  /** Record hierarchy snapshots with the frames (core default true). */
  captureHierarchy?: boolean;
  /**
   * Report JS errors from the global handler (default true): fatal ones as crashes, non-fatal
   * ones through `captureError` (which uploads the on-error buffer).
   */
  captureErrors?: boolean;
  /** Record `fetch` / `XMLHttpRequest` timings as network events (default true). */
  captureNetwork?: boolean;
  /** Record `console.*` lines as logs (default false: opt in). */
  captureConsoleLogs?: boolean;
  // --- device policy and session links (issue 26) ---
  /** Uploads wait on a metered network until an unmetered one (core default false). */
  uploadOnlyOnUnmetered?: boolean;
  /** Uploads wait while the battery is below this level (0..1) and not charging (core default 0.15). */
  lowBatteryThreshold?: number;
  /** The dashboard's origin for replay URLs (core default: apiUrl's, without `api.`). */
  dashboardUrl?: string;
  /** Hosts whose requests may carry `x-rejourney-session-id` (exact, or `*.example.com`). */
  traceHosts?: string[];
  /**
   * Where touches are recorded (core default `"mask_masked"`: a touch inside a masked view keeps
   * only that view's bounds; `"hide_all"`: no positions; `"show"`).
   */
  touchPrivacy?: TouchPrivacy;
  /**
   * Tracking consent until the user answers (core default `"granted"`). An answer given with
   * `Rejourney.setConsent` is kept on the device and wins at later launches.
   */
  initialConsent?: TrackingConsent;
  /**
   * Calls (events, screens, errors) kept while `start` opens the native client off the JS
   * thread; past it a call is dropped and counted (`wrapperCallsDropped`). Core default 1000,
   * 0..100 000. iOS uses it; Android ignores it (its SDK opens the client before `start`
   * returns, so no call waits).
   */
  pendingCallLimit?: number;
}

export type TouchPrivacy = "mask_masked" | "hide_all" | "show";
/** `pending` records on the device and sends nothing, `granted` uploads what pending kept, `denied` deletes it all. */
export type TrackingConsent = "pending" | "granted" | "denied";
export const TOUCH_PRIVACY: readonly TouchPrivacy[] = ["mask_masked", "hide_all", "show"];
export const TRACKING_CONSENT: readonly TrackingConsent[] = ["pending", "granted", "denied"];

/** One of `allowed`, or a `RejourneyConfigError` naming them. */
export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw new RejourneyConfigError(`${name} must be one of ${allowed.join(", ")}, got ${String(v)}`);
  }
  return v as T;
}

/** What the native module receives: only what the app set, plus React Native's own masks. */
export interface NativeOptions {
  apiKey: string;
  apiUrl: string;
  captureIntervalMs?: number;
  captureScale?: number;
  jpegQuality?: number;
  sampleRate?: number;
  sessionSampleRate?: number;
  onErrorSampleRate?: number;
  bufferWindowMs?: number;
  bufferMaxBytes?: number;
  bufferCaptureIntervalMs?: number;
  remoteConfig?: boolean;
  remoteConfigHoldMs?: number;
  maskTextInputs?: boolean;
  backgroundTimeoutMs?: number;
  maskAllText?: boolean;
  maskAllImages?: boolean;
  maskWebViews?: boolean;
  maskVideo?: boolean;
  maskedClasses: string[];
  maskedTestIds: string[];
  urlDenyList: string[];
  anrThresholdMs?: number;
  captureHierarchy?: boolean;
  uploadOnlyOnUnmetered?: boolean;
  lowBatteryThreshold?: number;
  dashboardUrl?: string;
  traceHosts?: string[];
  touchPrivacy?: TouchPrivacy;
  initialConsent?: TrackingConsent;
  pendingCallLimit?: number;
}

/** What the JS layer itself instruments. */
export interface JsOptions {
  captureErrors: boolean;
  captureNetwork: boolean;
  captureConsoleLogs: boolean;
}

export const DEFAULT_API_URL = "https://api.rejourney.co";

/**
 * React Native's own views that draw text or images without a platform text or image view
 * underneath (so the platform walk cannot tell their kind): masked by class when the app
 * masks all text / all images. Text inputs need nothing: on both platforms they are real
 * text fields (`RCTUITextField`/`RCTUITextView`, `ReactEditText`), secure ones stay masked.
 */
export const RN_TEXT_CLASSES = ["RCTParagraphComponentView", "RCTTextView", "RCTParagraphTextView"];
export const RN_IMAGE_CLASSES = ["RCTImageComponentView", "RCTImageView"];

export class RejourneyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RejourneyConfigError";
  }
}

function num(o: Record<string, unknown>, name: string, min: number, max: number, integer = false): number | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const what = integer ? "an integer" : "a number";
    throw new RejourneyConfigError(`${name} must be ${what} in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

function flag(o: Record<string, unknown>, name: string): boolean | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new RejourneyConfigError(`${name} must be true or false, got ${String(v)}`);
  return v;
}

function names(o: Record<string, unknown>, name: string): string[] {
  const v = o[name] ?? [];
  if (!Array.isArray(v) || v.some((c) => typeof c !== "string" || c.trim() === "")) {
    throw new RejourneyConfigError(`${name} must be a list of non-empty strings`);
  }
  return v.map((c: string) => c.trim());
}

function text(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.trim() === "") throw new RejourneyConfigError(`${name} must be a non-empty string`);
  return v.trim();
}

const KNOWN = new Set([
  "apiKey", "apiUrl", "captureIntervalMs", "captureScale", "jpegQuality", "sampleRate",
  "sessionSampleRate", "onErrorSampleRate", "bufferWindowMs", "bufferMaxBytes",
  "bufferCaptureIntervalMs", "remoteConfig", "remoteConfigHoldMs", "maskTextInputs",
  "backgroundTimeoutMs", "maskAllText", "maskAllImages", "maskWebViews", "maskVideo",
  "maskedClasses", "maskedTestIds", "urlDenyList", "anrThresholdMs", "captureHierarchy",
  "captureErrors", "captureNetwork", "captureConsoleLogs", "touchPrivacy", "initialConsent",
  "uploadOnlyOnUnmetered", "lowBatteryThreshold", "dashboardUrl", "traceHosts",
  "pendingCallLimit",
]);

/** Validates `options`; returns what goes to the native module and what JS instruments. */
export function resolveOptions(options: RejourneyOptions): { native: NativeOptions; js: JsOptions } {
  if (options === null || typeof options !== "object") {
    throw new RejourneyConfigError("options must be an object");
  }
  const o = options as unknown as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new RejourneyConfigError(`unknown option(s): ${unknown.join(", ")}`);
  if (typeof o.apiKey !== "string" || o.apiKey.trim() === "") {
    throw new RejourneyConfigError("apiKey is required");
  }
  if (o.apiUrl !== undefined && typeof o.apiUrl !== "string") throw new RejourneyConfigError("apiUrl must be a string");
  const apiUrl = ((o.apiUrl as string | undefined) ?? DEFAULT_API_URL).trim().replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new RejourneyConfigError(`apiUrl is not a URL: ${apiUrl}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new RejourneyConfigError(`apiUrl must be http(s): ${apiUrl}`);
  }
  const maskAllText = flag(o, "maskAllText");
  const maskAllImages = flag(o, "maskAllImages");
  const maskedClasses = names(o, "maskedClasses");
  if (maskAllText) maskedClasses.push(...RN_TEXT_CLASSES);
  if (maskAllImages) maskedClasses.push(...RN_IMAGE_CLASSES);
  const sampleRate = num(o, "sampleRate", 0, 1);
  const sessionSampleRate = num(o, "sessionSampleRate", 0, 1);
  if (sampleRate !== undefined && sessionSampleRate !== undefined && sampleRate !== sessionSampleRate) {
    throw new RejourneyConfigError(
      `sampleRate is the older name of sessionSampleRate: set one (got ${sampleRate} and ${sessionSampleRate})`,
    );
  }
  const native: NativeOptions = {
    apiKey: (o.apiKey as string).trim(),
    apiUrl,
    captureIntervalMs: num(o, "captureIntervalMs", 1, 60_000, true),
    captureScale: num(o, "captureScale", 0.1, 4),
    jpegQuality: num(o, "jpegQuality", 0, 1),
    sampleRate,
    sessionSampleRate,
    onErrorSampleRate: num(o, "onErrorSampleRate", 0, 1),
    bufferWindowMs: num(o, "bufferWindowMs", 1, 86_400_000, true),
    bufferMaxBytes: num(o, "bufferMaxBytes", 1, Number.MAX_SAFE_INTEGER, true),
    bufferCaptureIntervalMs: num(o, "bufferCaptureIntervalMs", 1, 60_000, true),
    remoteConfig: flag(o, "remoteConfig"),
    remoteConfigHoldMs: num(o, "remoteConfigHoldMs", 0, 5_000, true),
    maskTextInputs: flag(o, "maskTextInputs"),
    backgroundTimeoutMs: num(o, "backgroundTimeoutMs", 0, 86_400_000, true),
    maskAllText,
    maskAllImages,
    maskWebViews: flag(o, "maskWebViews"),
    maskVideo: flag(o, "maskVideo"),
    maskedClasses: [...new Set(maskedClasses)],
    maskedTestIds: names(o, "maskedTestIds"),
    urlDenyList: names(o, "urlDenyList"),
    anrThresholdMs: num(o, "anrThresholdMs", 0, 600_000, true),
    captureHierarchy: flag(o, "captureHierarchy"),
    // Conversion only: the core validates these (host names, the URL) and owns the defaults.
    uploadOnlyOnUnmetered: flag(o, "uploadOnlyOnUnmetered"),
    lowBatteryThreshold: num(o, "lowBatteryThreshold", 0, 1),
    dashboardUrl: text(o, "dashboardUrl"),
    traceHosts: o.traceHosts === undefined ? undefined : names(o, "traceHosts"),
    touchPrivacy: o.touchPrivacy === undefined ? undefined : oneOf("touchPrivacy", o.touchPrivacy, TOUCH_PRIVACY),
    initialConsent:
      o.initialConsent === undefined ? undefined : oneOf("initialConsent", o.initialConsent, TRACKING_CONSENT),
    pendingCallLimit: num(o, "pendingCallLimit", 0, 100_000, true),
  };
  for (const k of Object.keys(native) as Array<keyof NativeOptions>) {
    if (native[k] === undefined) delete native[k];
  }
  return {
    native,
    js: {
      captureErrors: flag(o, "captureErrors") ?? true,
      captureNetwork: flag(o, "captureNetwork") ?? true,
      captureConsoleLogs: flag(o, "captureConsoleLogs") ?? false,
    },
  };
}
