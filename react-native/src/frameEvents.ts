/**
 * The debug frame observer (issue 26; Sentry's `ReplayFrameObserver`): an app's own privacy
 * tests receive every frame exactly as it is stored — the JPEG of the upload and the mask
 * rectangles painted black into it — as the device event [`FRAME_EVENT`].
 *
 * - Debug builds only, twice over: JS registers nothing unless `__DEV__`, and the native SDK
 *   registers nothing unless the app is a debug build (Android `FLAG_DEBUGGABLE`, iOS `DEBUG`).
 *   Elsewhere `addFrameObserver` is a no-op that says so once.
 * - Nothing is copied or encoded while no observer is held: the first one asks the native side
 *   to attach its observer (`setFrameObserver(true)`), the last one removed detaches it.
 * - Bounded: each event is acknowledged (`frameObserved`) once the observers ran; the native
 *   side keeps at most 8 unacknowledged and drops the rest (counted: `droppedFrames`).
 * - An observer that throws is contained (said once); the others still get the frame.
 */
import type { EmitterLike, Subscription } from "./sessionEvents";

export const FRAME_EVENT = "RejourneyFrame";

/** A rectangle painted black into the frame, in points (times `pixelsPerPoint`: pixels). */
export interface MaskRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ObservedFrame {
  sessionId: string;
  timestampMs: number;
  /** The JPEG's size in pixels. */
  width: number;
  height: number;
  /** JPEG pixels per point: a mask at `x` points starts at `x * pixelsPerPoint` pixels. */
  pixelsPerPoint: number;
  /** The JPEG exactly as it is stored, base64. */
  jpegBase64: string;
  masks: MaskRect[];
  /** Frames the native side dropped so far because JS had 8 unacknowledged. */
  droppedFrames: number;
}

export type FrameObserver = (frame: ObservedFrame) => void;

/** The native module's part of the observer. */
export interface FrameNative {
  /** Attaches (true) or detaches (false) the native observer; resolves whether frames will flow. */
  setFrameObserver(enabled: boolean): Promise<boolean>;
  /** One frame event handled. */
  frameObserved(): void;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A native payload as an `ObservedFrame`, or null when it is not one. */
export function parseObservedFrame(raw: unknown): ObservedFrame | null {
  if (raw === null || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const [timestampMs, width, height, pixelsPerPoint] = [num(r.timestampMs), num(r.width), num(r.height), num(r.pixelsPerPoint)];
  if (timestampMs === null || width === null || height === null || pixelsPerPoint === null) return null;
  if (typeof r.jpegBase64 !== "string" || !Array.isArray(r.masks)) return null;
  const masks: MaskRect[] = [];
  for (const m of r.masks as unknown[]) {
    const o = (m ?? {}) as Record<string, unknown>;
    const [x, y, w, h] = [num(o.x), num(o.y), num(o.width), num(o.height)];
    // A mask that cannot be read makes the frame untrustworthy for a privacy test: dropped.
    if (x === null || y === null || w === null || h === null) return null;
    masks.push({ x, y, width: w, height: h });
  }
  return {
    sessionId: typeof r.sessionId === "string" ? r.sessionId : "",
    timestampMs,
    width,
    height,
    pixelsPerPoint,
    jpegBase64: r.jpegBase64,
    masks,
    droppedFrames: num(r.droppedFrames) ?? 0,
  };
}

/** Whether this is a development build of the app's JS (React Native's `__DEV__`). */
export function isDev(): boolean {
  return (globalThis as { __DEV__?: unknown }).__DEV__ === true;
}

export class FrameEvents {
  private readonly observers = new Set<{ cb: FrameObserver }>();
  private subscription: Subscription | null = null;

  constructor(
    private readonly emitter: () => EmitterLike | null,
    private readonly native: () => FrameNative | null,
    private readonly dev: () => boolean,
    /** Says a message once (a release build, an observer that threw, nothing attached). */
    private readonly say: (message: string) => void = () => {},
  ) {}

  /** Adds `cb`; in a release build adds nothing and says so once. */
  add(cb: FrameObserver): Subscription {
    if (typeof cb !== "function") throw new TypeError("a frame observer must be a function");
    if (!this.dev()) {
      this.say("Rejourney: addFrameObserver works in debug builds (__DEV__) only; nothing is observed in this build.");
      return { remove: () => {} };
    }
    const entry = { cb };
    this.observers.add(entry);
    this.connect();
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        this.observers.delete(entry);
        if (this.observers.size === 0) this.disconnect();
      },
    };
  }

  count(): number {
    return this.observers.size;
  }

  private connect(): void {
    if (this.subscription) return;
    const mod = this.native();
    try {
      this.subscription = this.emitter()?.addListener(FRAME_EVENT, (raw) => this.dispatch(raw)) ?? null;
    } catch {
      this.subscription = null;
    }
    if (!mod || !this.subscription) return;
    Promise.resolve()
      .then(() => mod.setFrameObserver(true))
      .then((attached) => {
        if (attached !== true) this.say("Rejourney: no native frame observer is attached yet: it attaches at start, and never in a release (non-debuggable) native build.");
      })
      .catch(() => {});
  }

  private disconnect(): void {
    const s = this.subscription;
    this.subscription = null;
    if (!s) return;
    try {
      s.remove();
    } catch {
      // React Native's emitter: nothing left to undo.
    }
    const mod = this.native();
    if (mod) Promise.resolve().then(() => mod.setFrameObserver(false)).catch(() => {});
  }

  /** Hands one native event to every observer, then acknowledges it; nothing thrown leaves here. */
  dispatch(raw: unknown): void {
    try {
      const frame = parseObservedFrame(raw);
      if (!frame) return;
      for (const o of [...this.observers]) {
        try {
          o.cb({ ...frame, masks: frame.masks.map((m) => ({ ...m })) });
        } catch {
          this.say("Rejourney: a frame observer threw; it was contained (the other observers still got the frame).");
        }
      }
    } finally {
      try {
        this.native()?.frameObserved();
      } catch {
        // The native side forgets unacknowledged frames when an observer is attached again.
      }
    }
  }
}
