/**
 * Rejourney for React Native. The JS layer validates options, serialises event properties
 * safely, tracks screens, and forwards to the native SDK; capture, masking, encoding and
 * upload all happen in the Rust core behind the native module.
 */
import { NativeBridge, nativeBridge } from "./bridge";
import { RejourneyConfigError, RejourneyOptions, resolveOptions } from "./options";

export { RejourneyConfigError, resolveOptions, DEFAULT_API_URL } from "./options";
export type { RejourneyOptions, ResolvedOptions } from "./options";
export type { NativeBridge } from "./bridge";

/** Native tag the view-tree walk treats as `rj-mask` (mask this view and its children). */
export const MASK_TAG = "rj-mask";
/** Native tag the view-tree walk treats as `rj-unmask`. */
export const UNMASK_TAG = "rj-unmask";

/** Spread on any View to mask it: `<View {...rejourneyMask()} />`. */
export function rejourneyMask(): { nativeID: string } {
  return { nativeID: MASK_TAG };
}

/** Spread on any View to lift kind-based masking below it (secure fields stay masked). */
export function rejourneyUnmask(): { nativeID: string } {
  return { nativeID: UNMASK_TAG };
}

/** Largest serialised event properties; larger ones are replaced by a marker, not sent. */
export const MAX_PROPERTIES_BYTES = 8 * 1024;

/**
 * JSON for event properties: cycles, functions and non-finite numbers never throw; an
 * oversized object is replaced so one bad call cannot flood the event stream.
 */
export function serializeProperties(props: unknown): string {
  const seen = new WeakSet<object>();
  let json: string;
  try {
    json = JSON.stringify(props ?? {}, (_key, value: unknown) => {
      if (typeof value === "number" && !Number.isFinite(value)) return null;
      if (typeof value === "bigint") return value.toString();
      if (typeof value === "function" || typeof value === "symbol") return undefined;
      if (value !== null && typeof value === "object") {
        if (seen.has(value)) return "[circular]";
        seen.add(value);
      }
      return value;
    }) ?? "{}";
  } catch {
    return JSON.stringify({ _rejourney: "unserializable" });
  }
  if (json.length > MAX_PROPERTIES_BYTES) {
    return JSON.stringify({ _rejourney: "truncated", bytes: json.length });
  }
  return json;
}

export class RejourneyClient {
  private sessionId: string | null = null;
  private lastScreen: string | null = null;

  constructor(private readonly bridge: NativeBridge | null = nativeBridge()) {}

  private native(): NativeBridge {
    if (!this.bridge) {
      throw new RejourneyConfigError("the Rejourney native module is not linked (NativeModules.Rejourney is missing)");
    }
    return this.bridge;
  }

  /** Validates options and starts recording; resolves to the session id. */
  async start(options: RejourneyOptions): Promise<string> {
    const resolved = resolveOptions(options);
    this.sessionId = await this.native().start(resolved);
    this.lastScreen = null;
    return this.sessionId;
  }

  async stop(): Promise<void> {
    if (this.sessionId === null) return;
    this.sessionId = null;
    await this.native().stop();
  }

  currentSessionId(): string | null {
    return this.sessionId;
  }

  async identify(userId: string | null): Promise<void> {
    if (userId !== null && (typeof userId !== "string" || userId.trim() === "")) {
      throw new RejourneyConfigError("userId must be a non-empty string or null");
    }
    await this.native().identify(userId);
  }

  async logEvent(name: string, properties?: Record<string, unknown>): Promise<void> {
    if (typeof name !== "string" || name.trim() === "") {
      throw new RejourneyConfigError("event name must be a non-empty string");
    }
    await this.native().logEvent(name, serializeProperties(properties));
  }

  /** Reports a screen change; repeats of the same screen are not sent. */
  async screen(name: string): Promise<void> {
    if (!name || name === this.lastScreen) return;
    this.lastScreen = name;
    await this.native().screenChanged(name);
  }

  /**
   * Follows a React Navigation container: pass its ref; every state change reports the
   * focused route's name. Returns the unsubscribe function.
   */
  trackNavigation(nav: { getCurrentRoute(): { name: string } | undefined; addListener(event: "state", cb: () => void): () => void }): () => void {
    const report = () => {
      const route = nav.getCurrentRoute();
      if (route) void this.screen(route.name);
    };
    report();
    return nav.addListener("state", report);
  }

  async optOut(): Promise<void> {
    this.sessionId = null;
    await this.native().optOut();
  }

  async telemetry(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.native().telemetryJson()) as Record<string, unknown>;
  }
}

/** The default client, bound to `NativeModules.Rejourney`. */
export const Rejourney = new RejourneyClient();
