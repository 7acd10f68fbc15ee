/**
 * Tracing headers on the app's own requests (`traceHosts`): each request whose host the core
 * traces gets exactly the headers the core's `tracing_headers(url)` answers
 * (`x-rejourney-session-id`); no other request gets any. The core decides, with a real URL
 * parser; this layer only caches its answers and copies them onto the request.
 *
 * An XHR `send` (React Native's `fetch` runs on XHR) never waits on the native side: answers
 * are cached per origin (`scheme://authority` without the port: all a host decision depends on) for
 * the current session, and cleared when the session or the consent changes. So:
 * - the session unknown (not started, ended, opted out, denied): no header;
 * - an origin not yet answered in this session: no header on that request while the answer
 *   is fetched (the hosts listed exactly are asked for when the session starts, so their first
 *   request has it; a `*.` entry's subdomains are learned on their first one);
 * - an answer older than [`TRACE_ANSWER_TTL_MS`] is still used and asked again, so a change only
 *   the core sees (the project switched off) reaches the cache within one request.
 * Headers the app set itself are kept. Nothing here throws into the app's request.
 */
export const MAX_TRACE_ORIGINS = 64;
export const TRACE_ANSWER_TTL_MS = 30_000;

type Headers = Record<string, string>;

/**
 * What a host decision depends on, from an absolute URL: `scheme://authority` in lower case
 * without its port (the core traces hosts, whatever the port), or null (then no header: fail
 * closed). The authority is kept verbatim otherwise (user info included), so two URLs with one
 * key name one host for any URL parser; the answer cached under it is the core's for the
 * first such URL.
 */
export function originKey(url: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#\\]*)/i.exec(url);
  return m ? m[1].toLowerCase().replace(/:\d*$/, "") : null;
}

export class TraceHeaders {
  private session: string | null = null;
  private readonly cache = new Map<string, { headers: Headers; at: number }>();
  private readonly asking = new Set<string>();
  /** Bumped by every session or consent change: an answer asked for before it is dropped. */
  private epoch = 0;
  /** Origins dropped from the full cache (oldest first). */
  evicted = 0;

  constructor(private readonly ask: (url: string) => Promise<Headers>, private readonly now: () => number = Date.now) {}

  /** The session the headers may name (null: none may be sent). */
  setSession(id: string | null): void {
    if (id === this.session) return;
    this.session = id;
    this.invalidate();
  }

  currentSession(): string | null {
    return this.session;
  }

  /** Forgets every answer (a consent change: the core may now answer otherwise). */
  invalidate(): void {
    this.cache.clear();
    this.asking.clear();
    this.epoch++;
  }

  /** The headers for a request to `url` now, from the cache; never waits. */
  headersFor(url: string): Headers {
    if (this.session === null) return {};
    const key = originKey(url);
    if (key === null) return {};
    const hit = this.cache.get(key);
    if (!hit || this.now() - hit.at > TRACE_ANSWER_TTL_MS) void this.fetch(key, url);
    return hit ? { ...hit.headers } : {};
  }

  /** Asks the core about `urls` now (the listed hosts, at a session's start); resolves when answered. */
  prime(urls: string[]): Promise<void> {
    if (this.session === null) return Promise.resolve();
    return Promise.all(urls.map((u) => {
      const key = originKey(u);
      return key === null ? undefined : this.fetch(key, u);
    })).then(() => undefined);
  }

  private fetch(key: string, url: string): Promise<void> {
    if (this.asking.has(key)) return Promise.resolve();
    this.asking.add(key);
    const epoch = this.epoch;
    return Promise.resolve()
      .then(() => this.ask(url))
      .then((headers) => {
        if (epoch !== this.epoch) return;
        this.cache.delete(key);
        if (this.cache.size >= MAX_TRACE_ORIGINS) {
          const oldest = this.cache.keys().next().value;
          if (oldest !== undefined) this.cache.delete(oldest);
          this.evicted++;
        }
        this.cache.set(key, { headers, at: this.now() });
      })
      .catch(() => undefined)
      .finally(() => {
        if (epoch === this.epoch) this.asking.delete(key);
      });
  }
}

interface TracedXhr {
  open(method: string, url: string, ...rest: unknown[]): void;
  send(body?: unknown): void;
  setRequestHeader(name: string, value: string): void;
  __rjTrace?: { url: string; set: Set<string> };
}

/**
 * Hooks `XMLHttpRequest` (open, setRequestHeader, send) to add `headersFor(url)` at `send`;
 * returns the function that restores it.
 */
export function instrumentTracing(headersFor: (url: string) => Headers, g: { XMLHttpRequest?: { prototype: unknown } } = globalThis as never): () => void {
  const proto = g.XMLHttpRequest?.prototype as TracedXhr | undefined;
  if (!proto || typeof proto.open !== "function" || typeof proto.send !== "function" || typeof proto.setRequestHeader !== "function") {
    return () => {};
  }
  const { open, send, setRequestHeader } = proto;
  proto.open = function (this: TracedXhr, method: string, url: string, ...rest: unknown[]) {
    try {
      this.__rjTrace = { url: String(url), set: new Set() };
    } catch {
      // A frozen XHR: no header, the request as the app made it.
    }
    return open.call(this, method, url, ...rest);
  };
  proto.setRequestHeader = function (this: TracedXhr, name: string, value: string) {
    try {
      this.__rjTrace?.set.add(String(name).toLowerCase());
    } catch {
      // Only bookkeeping.
    }
    return setRequestHeader.call(this, name, value);
  };
  proto.send = function (this: TracedXhr, body?: unknown) {
    try {
      const t = this.__rjTrace;
      if (t) {
        for (const [k, v] of Object.entries(headersFor(t.url))) {
          if (typeof v === "string" && !t.set.has(k.toLowerCase())) setRequestHeader.call(this, k, v);
        }
      }
    } catch {
      // A header we could not add never fails the app's request.
    }
    return send.call(this, body);
  };
  return () => {
    proto.open = open;
    proto.send = send;
    proto.setRequestHeader = setRequestHeader;
  };
}
