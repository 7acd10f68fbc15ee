/** A recording stand-in for the native module (the real ones run in the JVM and Swift suites). */
import type { NativeRejourneySpec } from "../src/index";

export type Call = { t: number; call: string; args: unknown[] };

export class RecordingModule implements NativeRejourneySpec {
  calls: Call[] = [];
  constructor(private readonly clock: () => number = () => 0) {}
  private rec(call: string, args: unknown[]) {
    this.calls.push({ t: this.clock(), call, args: JSON.parse(JSON.stringify(args)) as unknown[] });
  }
  async start(o: Object) { this.rec("start", [o]); return "session_1_abc"; }
  async stop() { this.rec("stop", []); }
  async identify(u: string | null) { this.rec("identify", [u]); }
  logEvent(n: string, p: Object) { this.rec("logEvent", [n, p]); }
  screenChanged(n: string) { this.rec("screenChanged", [n]); }
  networkRequest(r: Object) { this.rec("networkRequest", [r]); }
  logMessage(level: string, message: string) { this.rec("logMessage", [level, message]); }
  async reportError(name: string, message: string, stack: string, fatal: boolean) { this.rec("reportError", [name, message, stack, fatal]); return true; }
  /** Resolves to `buffered` (whether the session had a buffer to upload), which a flush clears. */
  buffered = false;
  async captureError(name: string, message: string, stack: string) { this.rec("captureError", [name, message, stack]); return this.take(); }
  async flushBuffer(reason: string) { this.rec("flushBuffer", [reason]); return this.take(); }
  private take() { const b = this.buffered; this.buffered = false; return b; }
  async optOut() { this.rec("optOut", []); }
  async setConsent(c: string) { this.rec("setConsent", [c]); }
  async telemetryJson() { return '{"capture":{"frames_captured":3}}'; }
  /** What the native side answers for session links (the core decides there). */
  url: string | null = null;
  headersJson = "{}";
  async sessionUrl() { this.rec("sessionUrl", []); return this.url; }
  async tracingHeadersJson(url: string) { this.rec("tracingHeadersJson", [url]); return this.headersJson; }
  /** React Native's emitter convention: the count of JS subscriptions. */
  listening = 0;
  addListener(_eventName: string) { this.listening++; }
  removeListeners(count: number) { this.listening -= count; }
  async setFrameObserver(enabled: boolean) { this.rec("setFrameObserver", [enabled]); return false; }
  frameObserved() { this.rec("frameObserved", []); }
  getConstants() { return {}; }
  names() { return this.calls.map((c) => c.call); }
}

/** A fake ErrorUtils with a previous handler that records what it saw. */
export function fakeErrorUtils() {
  const seen: Array<[unknown, boolean | undefined]> = [];
  let handler: (e: unknown, fatal?: boolean) => void = (e, fatal) => { seen.push([e, fatal]); };
  return {
    seen,
    utils: {
      getGlobalHandler: () => handler,
      setGlobalHandler: (h: (e: unknown, fatal?: boolean) => void) => { handler = h; },
    },
    throwUncaught: (e: unknown, fatal = false) => handler(e, fatal),
  };
}
