/**
 * The session listener: the native SDK reports each session's start and end (a rotation is an
 * end then a start; an opt-out, a stop and a consent denial end it) as the device event
 * [`SESSION_EVENT`], through `NativeEventEmitter` on both architectures.
 *
 * - One native subscription for all of the app's listeners, held only while at least one
 *   listens: `NativeEventEmitter` counts it to the native module (`addListener` /
 *   `removeListeners`, React Native's convention), which emits nothing at a count of zero.
 * - It is the client's, not a `start`'s: listeners added before `start` hear it, and a stop and
 *   start (or a fast refresh re-running an effect's remove and add) leave it working.
 * - A listener that throws is contained: React Native would rethrow it from the emitter as a
 *   fatal error; here the other listeners still hear the event and the app is not crashed.
 */
export const SESSION_EVENT = "RejourneySession";

export interface SessionEvent {
  type: "started" | "ended";
  sessionId: string;
  /** The session's replay on the dashboard; null when it will not be uploaded (sampled out, consent not granted). */
  replayUrl: string | null;
  /** Why it ended (`stopped`, `background_timeout`, `max_duration`, `opt_out`, …); null for a start. */
  reason: string | null;
}

export type SessionListener = (event: SessionEvent) => void;

export interface Subscription {
  remove(): void;
}

/** What `NativeEventEmitter` offers (injectable for tests). */
export interface EmitterLike {
  addListener(event: string, cb: (payload: unknown) => void): Subscription;
}

/** A native payload as a `SessionEvent`, or null when it is not one. */
export function parseSessionEvent(raw: unknown): SessionEvent | null {
  if (raw === null || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const sessionId = text(r.sessionId);
  if ((r.type !== "started" && r.type !== "ended") || sessionId === null) return null;
  return { type: r.type, sessionId, replayUrl: text(r.replayUrl), reason: r.type === "ended" ? text(r.reason) : null };
}

export class SessionEvents {
  private readonly listeners = new Set<{ cb: SessionListener }>();
  private native: Subscription | null = null;

  /** `emitter` gives the native module's emitter, or null where there is none. */
  constructor(private readonly emitter: () => EmitterLike | null, private readonly onError: (e: unknown) => void = () => {}) {}

  /** Adds `cb`; each call is its own subscription (adding one function twice calls it twice). */
  add(cb: SessionListener): Subscription {
    if (typeof cb !== "function") throw new TypeError("a session listener must be a function");
    const entry = { cb };
    this.listeners.add(entry);
    this.connect();
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        this.listeners.delete(entry);
        if (this.listeners.size === 0) this.disconnect();
      },
    };
  }

  /** How many listeners are subscribed (the SDK's own included). */
  count(): number {
    return this.listeners.size;
  }

  private connect(): void {
    if (this.native) return;
    try {
      this.native = this.emitter()?.addListener(SESSION_EVENT, (raw) => this.dispatch(raw)) ?? null;
    } catch (e) {
      this.native = null;
      this.onError(e);
    }
  }

  private disconnect(): void {
    const n = this.native;
    this.native = null;
    try {
      n?.remove();
    } catch (e) {
      this.onError(e);
    }
  }

  /** Hands one native event to every listener; none of their errors leaves here. */
  dispatch(raw: unknown): void {
    const event = parseSessionEvent(raw);
    if (!event) return;
    for (const l of [...this.listeners]) {
      try {
        l.cb({ ...event });
      } catch (e) {
        this.onError(e);
      }
    }
  }
}
