/**
 * Rejourney for React Native. The JS layer validates options, instruments what only JS sees
 * (navigation, JS errors, fetch/XHR, opt-in console logs) and forwards to the native iOS and
 * Android SDKs; capture, masking, encoding and upload all happen in the Rust core behind the
 * native module. Nothing here throws into the app once started: a missing native module
 * (Expo Go, an unlinked build) makes every call a no-op that says so once.
 */
import { describeError, installErrorHandler, ErrorUtilsLike } from "./errors";
import { captureConsole } from "./logs";
import { NativeModule, reactNative, resolveNative, Resolution, warnOnce } from "./native";
import { expoRouterScreen, followNavigation, NavigationContainerLike } from "./navigation";
import { instrumentNetwork } from "./network";
import { EmitterLike, SessionEvents, SessionListener, Subscription } from "./sessionEvents";
import { FrameEvents, FrameObserver, isDev } from "./frameEvents";
import { instrumentTracing, TraceHeaders } from "./tracing";
import { oneOf, RejourneyConfigError, RejourneyOptions, resolveOptions, TRACKING_CONSENT, TrackingConsent } from "./options";

export { RejourneyConfigError, resolveOptions, DEFAULT_API_URL, RN_TEXT_CLASSES, RN_IMAGE_CLASSES } from "./options";
export type { RejourneyOptions, NativeOptions, JsOptions, TouchPrivacy, TrackingConsent } from "./options";
export type { Spec as NativeRejourneySpec } from "./NativeRejourney";
export { Mask, Unmask, MASK_TAG, UNMASK_TAG } from "./Mask";
export type { MaskProps } from "./Mask";
export { setReactNative, resolveNative } from "./native";
export type { ReactNativeLike, Resolution } from "./native";
export type { NetworkEvent } from "./network";
export { SESSION_EVENT, parseSessionEvent } from "./sessionEvents";
export type { SessionEvent, SessionListener, Subscription } from "./sessionEvents";
export { FRAME_EVENT, parseObservedFrame } from "./frameEvents";
export type { ObservedFrame, FrameObserver, MaskRect } from "./frameEvents";
export { MAX_TRACE_ORIGINS, TRACE_ANSWER_TTL_MS } from "./tracing";

/** Largest event property string; longer ones are cut. */
export const MAX_PROPERTY_CHARS = 1024;
/** Most properties per event; the rest are dropped (and counted in `_rejourney_dropped`). */
export const MAX_PROPERTIES = 50;

export type PropertyValue = string | number | boolean | null;

/**
 * Event properties as the native side takes them: flat, each value a string, finite number,
 * boolean or null. Nested values become JSON text; cycles, functions and non-finite numbers
 * never throw.
 */
export function sanitizeProperties(props: unknown): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  if (props === null || typeof props !== "object") return out;
  const entries = Object.entries(props as Record<string, unknown>);
  for (const [k, v] of entries.slice(0, MAX_PROPERTIES)) {
    let value: PropertyValue;
    if (v === null || v === undefined) value = null;
    else if (typeof v === "boolean") value = v;
    else if (typeof v === "number") value = Number.isFinite(v) ? v : null;
    else if (typeof v === "string") value = v;
    else if (typeof v === "bigint") value = v.toString();
    else if (typeof v === "function" || typeof v === "symbol") continue;
    else {
      const seen = new WeakSet<object>();
      try {
        value = JSON.stringify(v, (_key, inner: unknown) => {
          if (typeof inner === "bigint") return inner.toString();
          if (inner !== null && typeof inner === "object") {
            if (seen.has(inner)) return "[circular]";
            seen.add(inner);
          }
          return inner;
        }) ?? null;
      } catch {
        value = "[unserializable]";
      }
    }
    out[k] = typeof value === "string" && value.length > MAX_PROPERTY_CHARS ? value.slice(0, MAX_PROPERTY_CHARS) : value;
  }
  if (entries.length > MAX_PROPERTIES) out._rejourney_dropped = entries.length - MAX_PROPERTIES;
  return out;
}

export interface ClientEnvironment {
  /** The native module lookup (tests inject one). */
  resolve?: () => Resolution;
  errorUtils?: ErrorUtilsLike;
  now?: () => number;
  globals?: Parameters<typeof instrumentNetwork>[3];
  console?: Record<string, unknown>;
  /** The native module's event emitter (default: React Native's `NativeEventEmitter` on it). */
  emitter?: () => EmitterLike | null;
  /** Whether this is a debug build (default: React Native's `__DEV__`); the frame observer works only then. */
  dev?: () => boolean;
}

export class RejourneyClient {
  private sessionId: string | null = null;
  private lastScreen: string | null = null;
  private resolution: Resolution | null = null;
  private uninstall: Array<() => void> = [];
  /** The app's session listeners (and the SDK's own, for tracing): one native subscription. */
  private readonly sessions = new SessionEvents(() => this.nativeEmitter(), () => warnOnce("Rejourney: a session listener threw; it was contained (the other listeners still heard the event)."));
  /** The app's debug frame observers: one native subscription, the native observer attached only while one is held. */
  private readonly frames = new FrameEvents(() => this.nativeEmitter(), () => this.native(), () => (this.env.dev ?? isDev)(), warnOnce);
  private readonly trace = new TraceHeaders((url) => this.tracingHeaders(url));
  /** The exact hosts of `traceHosts`, asked about as a session starts. */
  private traceUrls: string[] = [];
  private traceFollow: Subscription | null = null;

  constructor(private readonly env: ClientEnvironment = {}) {}

  private nativeEmitter(): EmitterLike | null {
    if (this.env.emitter) return this.env.emitter();
    const mod = this.native();
    const Emitter = reactNative()?.NativeEventEmitter;
    return mod && Emitter ? new Emitter(mod) : null;
  }

  /** The native module, or null (said once) when there is none. */
  private native(): NativeModule | null {
    if (!this.resolution) this.resolution = (this.env.resolve ?? resolveNative)();
    if (this.resolution.module) return this.resolution.module;
    warnOnce(this.resolution.message);
    return null;
  }

  /** Whether recording can work here (`turbo`, `bridge`) or why not. */
  availability(): Resolution["kind"] {
    this.native();
    return this.resolution!.kind;
  }

  /**
   * Validates options (a mistake throws `RejourneyConfigError` here) and starts recording.
   * Resolves to the session id, or null when there is no native module.
   */
  async start(options: RejourneyOptions): Promise<string | null> {
    const { native: nativeOptions, js } = resolveOptions(options);
    const mod = this.native();
    if (!mod) return null;
    this.stopInstrumentation();
    const hosts = nativeOptions.traceHosts ?? [];
    this.trace.setSession(null);
    if (hosts.length > 0 && !this.traceFollow) {
      // The SDK's own listener: the session a header names follows rotations and ends.
      this.traceFollow = this.sessions.add((e) => {
        if (e.type === "started") {
          this.trace.setSession(e.sessionId);
          void this.trace.prime(this.traceUrls);
        } else if (e.sessionId === this.trace.currentSession()) {
          this.trace.setSession(null);
        }
      });
    } else if (hosts.length === 0 && this.traceFollow) {
      this.traceFollow.remove();
      this.traceFollow = null;
    }
    this.traceUrls = hosts.filter((h) => !h.startsWith("*.")).flatMap((h) => [`https://${h}/`, `http://${h}/`]);
    this.sessionId = await mod.start(nativeOptions);
    this.lastScreen = null;
    const ownApi = nativeOptions.apiUrl;
    if (hosts.length > 0) {
      // Installed first: the network hook wraps it, and hooks are removed in reverse.
      this.uninstall.push(instrumentTracing((url) => this.trace.headersFor(url), this.env.globals));
      if (typeof this.sessionId === "string") {
        this.trace.setSession(this.sessionId);
        await this.trace.prime(this.traceUrls);
      }
    }
    if (js.captureErrors) {
      const errorUtils = this.env.errorUtils ?? (globalThis as { ErrorUtils?: ErrorUtilsLike }).ErrorUtils;
      // Fatal: a crash fault, on disk before the app's own handler runs (the handler waits
      // for the native write, bounded). Non-fatal: a handled error, which also uploads the
      // on-error buffer of a buffering session.
      this.uninstall.push(installErrorHandler(errorUtils, (e, fatal) => {
        const sent = Promise.resolve(fatal ? mod.reportError(e.name, e.message, e.stack, true) : mod.captureError(e.name, e.message, e.stack));
        return sent.catch(() => false);
      }));
    }
    if (js.captureNetwork) {
      this.uninstall.push(instrumentNetwork(
        (e) => mod.networkRequest(e),
        (url) => url.startsWith(ownApi),
        this.env.now,
        this.env.globals,
      ));
    }
    if (js.captureConsoleLogs) {
      this.uninstall.push(captureConsole((level, message) => mod.logMessage(level, message), this.env.console));
    }
    return this.sessionId;
  }

  /** Removes the hooks, last installed first (each restores what it wrapped). */
  private stopInstrumentation(): void {
    for (const u of this.uninstall.splice(0).reverse()) u();
  }

  /**
   * Calls `listener` with each session's start and end (`{type, sessionId, replayUrl,
   * reason}`): the start of `start`'s session, a rotation (an end then a start), a stop, an
   * opt-out, a consent denial. Listeners added before `start` hear its session; they stay
   * through stop and start until removed. A listener that throws is contained (said once).
   * Without any listener the native side sends nothing.
   */
  addSessionListener(listener: SessionListener): Subscription {
    return this.sessions.add(listener);
  }

  /**
   * Debug builds only (`__DEV__`, and a debuggable native build): `observer` receives every
   * frame exactly as it is stored — `{timestampMs, width, height, pixelsPerPoint, jpegBase64,
   * masks: [{x, y, width, height}] (points), droppedFrames}` — for the app's own privacy tests
   * (decode the JPEG, assert each mask is black). Observers stay through stop and start until
   * removed; the native side attaches its observer at each start and detaches it at stop and
   * when the last one is removed. In a release build this is a no-op that says so once.
   */
  addFrameObserver(observer: FrameObserver): Subscription {
    return this.frames.add(observer);
  }

  async stop(): Promise<void> {
    this.stopInstrumentation();
    this.trace.setSession(null);
    if (this.sessionId === null) return;
    this.sessionId = null;
    await this.native()?.stop();
  }

  currentSessionId(): string | null {
    return this.sessionId;
  }

  async identify(userId: string | null): Promise<void> {
    if (userId !== null && (typeof userId !== "string" || userId.trim() === "")) {
      throw new RejourneyConfigError("userId must be a non-empty string or null");
    }
    await this.native()?.identify(userId);
  }

  logEvent(name: string, properties?: Record<string, unknown>): void {
    if (typeof name !== "string" || name.trim() === "") {
      throw new RejourneyConfigError("event name must be a non-empty string");
    }
    this.native()?.logEvent(name, sanitizeProperties(properties));
  }

  /** Reports a screen change; repeats of the same screen are not sent. */
  screen(name: string): void {
    if (!name || name === this.lastScreen) return;
    this.lastScreen = name;
    this.native()?.screenChanged(name);
  }

  /** Follows a React Navigation container (pass its ref); returns the unsubscribe function. */
  trackNavigation(nav: NavigationContainerLike): () => void {
    return followNavigation(nav, (s) => this.screen(s));
  }

  /** expo-router: call with `usePathname()`'s value on every render of the root layout. */
  trackExpoRouterPathname(pathname: string | null | undefined): void {
    const screen = expoRouterScreen(pathname);
    if (screen) this.screen(screen);
  }

  /**
   * Reports an error the app handled itself: recorded with its stack in the session's event
   * stream and, when the session is buffering (`onErrorSampleRate`), its on-error buffer is
   * uploaded and the rest of the session recorded. Resolves to whether a buffer was uploaded;
   * never rejects (the native side's refusal, e.g. not started, is false).
   */
  async captureError(error: unknown): Promise<boolean> {
    const mod = this.native();
    if (!mod) return false;
    const e = describeError(error);
    try {
      return (await mod.captureError(e.name, e.message, e.stack)) === true;
    } catch {
      return false;
    }
  }

  /** The older name of `captureError`. */
  async reportError(error: unknown): Promise<boolean> {
    return this.captureError(error);
  }

  /**
   * Uploads the session's on-error buffer now (a manual trigger: a support request, a bad
   * review prompt), after which the session is recorded normally. Resolves to whether the
   * session was buffering; rejects only for a reason that is not a non-empty string.
   */
  async flushBuffer(reason = "manual"): Promise<boolean> {
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new RejourneyConfigError("flushBuffer reason must be a non-empty string");
    }
    const mod = this.native();
    if (!mod) return false;
    try {
      return (await mod.flushBuffer(reason)) === true;
    } catch {
      return false;
    }
  }

  /**
   * The user's tracking consent: `"pending"` records on the device and sends nothing,
   * `"granted"` uploads what pending kept and records on, `"denied"` deletes everything of the
   * user on the device and records nothing. Kept on the device by the core (later launches
   * start from it); before `start` the native SDK holds it for the core. Rejects only for a
   * value that is none of the three.
   */
  async setConsent(consent: TrackingConsent): Promise<void> {
    const c = oneOf("consent", consent, TRACKING_CONSENT);
    const mod = this.native();
    if (!mod) return;
    // Cached tracing answers are the old consent's: none is used until the core answers again.
    this.trace.invalidate();
    try {
      await mod.setConsent(c);
    } catch {
      // The native side never decides: a refusal (no core) is not the app's problem.
    }
    await this.trace.prime(this.traceUrls);
  }

  async optOut(): Promise<void> {
    this.stopInstrumentation();
    this.trace.setSession(null);
    this.sessionId = null;
    await this.native()?.optOut();
  }

  /** Where the current session's replay is on the dashboard (null when not recording). */
  async getSessionUrl(): Promise<string | null> {
    try {
      const url = await this.native()?.sessionUrl();
      return typeof url === "string" ? url : null;
    } catch {
      return null;
    }
  }

  /**
   * The headers to add to a request to `url`: `x-rejourney-session-id` for the hosts in
   * `traceHosts` while a session records, none for any other host (the core decides).
   */
  async tracingHeaders(url: string): Promise<Record<string, string>> {
    try {
      const json = await this.native()?.tracingHeadersJson(String(url));
      const h = json ? (JSON.parse(json) as Record<string, unknown>) : {};
      return Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => typeof e[1] === "string"));
    } catch {
      return {};
    }
  }

  async telemetry(): Promise<Record<string, unknown>> {
    const mod = this.native();
    if (!mod) return {};
    return JSON.parse(await mod.telemetryJson()) as Record<string, unknown>;
  }
}

/** The default client, bound to the app's native module. */
export const Rejourney = new RejourneyClient();
