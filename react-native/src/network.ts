/**
 * `fetch` and `XMLHttpRequest` timings as network events. Only the method, URL, status,
 * duration, sizes and error text are reported; bodies and headers never are. The native core
 * redacts secrets in the URL (query tokens, credentials) and applies the deny list, so this
 * layer only measures. Requests to the SDK's own API are skipped.
 *
 * Two rules, because this code runs inside every request the app makes:
 * - it never throws into the app: every step of ours (reading the request, the response's
 *   size, the report) is guarded, and the app's own call is made exactly as it would have been.
 *   React Native's `EventTarget` rethrows a listener's error from a timer, which React Native
 *   treats as fatal, so a listener that throws is a crash;
 * - each request is one event. React Native's `fetch` (whatwg-fetch) runs on
 *   `XMLHttpRequest`, so an XHR opened while our `fetch` wrapper is calling the original is
 *   that fetch's own and the XHR layer leaves it to the fetch layer.
 */
export interface NetworkEvent {
  method: string;
  url: string;
  statusCode?: number;
  durationMs: number;
  requestBytes?: number;
  responseBytes?: number;
  error?: string;
}

type Report = (e: NetworkEvent) => void;

interface Globals {
  fetch?: (input: unknown, init?: { method?: string; body?: unknown }) => Promise<{ status: number; headers?: { get(name: string): string | null } }>;
  XMLHttpRequest?: { prototype: XhrLike };
}

interface XhrLike {
  open(method: string, url: string, ...rest: unknown[]): void;
  send(body?: unknown): void;
  addEventListener?(type: string, cb: () => void): void;
  removeEventListener?(type: string, cb: () => void): void;
  getResponseHeader?(name: string): string | null;
  status?: number;
  responseType?: string;
  responseText?: unknown;
  response?: unknown;
  __rj?: XhrInfo;
}

interface XhrInfo {
  method: string;
  url: string;
  start: number;
  /** Opened by our `fetch` wrapper's call: the fetch layer reports it. */
  fetchOwned: boolean;
}

/** Runs `f`, or gives `fallback` if it throws: our measuring never fails the app's request. */
function guarded<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function bodySize(body: unknown): number | undefined {
  return guarded(() => {
    if (typeof body === "string") return body.length;
    if (body && typeof (body as { byteLength?: unknown }).byteLength === "number") return (body as { byteLength: number }).byteLength;
    if (body && typeof (body as { size?: unknown }).size === "number") return (body as { size: number }).size;
    return undefined;
  }, undefined);
}

function urlOf(input: unknown): string {
  return guarded(() => {
    if (typeof input === "string") return input;
    if (input && typeof (input as { url?: unknown }).url === "string") return (input as { url: string }).url;
    return String(input);
  }, "");
}

function methodOf(input: unknown, init?: { method?: unknown }): string {
  return guarded(() => String(init?.method ?? (input as { method?: unknown })?.method ?? "GET").toUpperCase(), "GET");
}

function contentLength(get: () => string | null | undefined): number | undefined {
  const raw = guarded(get, null);
  if (raw === null || raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * The response's size without touching what its `responseType` forbids: `responseText`
 * throws unless the type is `''` or `text` (RN's fetch uses `blob`, `arraybuffer` under
 * jest), and `response` parses JSON, so JSON is measured by its header only.
 */
function xhrResponseSize(xhr: XhrLike): number | undefined {
  const header = contentLength(() => xhr.getResponseHeader?.("content-length"));
  if (header !== undefined) return header;
  return guarded(() => {
    const type = xhr.responseType ?? "";
    if (type === "" || type === "text") return typeof xhr.responseText === "string" ? xhr.responseText.length : undefined;
    if (type === "arraybuffer" || type === "blob") return bodySize(xhr.response);
    return undefined;
  }, undefined);
}

/**
 * Wraps `globalThis.fetch` and `XMLHttpRequest`; returns the function that restores them.
 * `skip` tells which URLs are the SDK's own.
 */
export function instrumentNetwork(report: Report, skip: (url: string) => boolean, now: () => number = Date.now, g: Globals = globalThis as Globals): () => void {
  const safeReport = (e: NetworkEvent) => {
    try {
      if (skip(e.url)) return;
      report(e);
    } catch {
      // Measuring must never break the app's request.
    }
  };
  const clock = () => guarded(now, 0);
  const restores: Array<() => void> = [];
  /** Depth of our fetch wrapper's synchronous call into the original fetch. */
  let inFetch = 0;
  const originalFetch = g.fetch;
  if (typeof originalFetch === "function") {
    const wrapped = function (this: unknown, input: unknown, init?: { method?: string; body?: unknown }) {
      const start = clock();
      const method = methodOf(input, init);
      const url = urlOf(input);
      const requestBytes = bodySize(init?.body);
      let pending: ReturnType<NonNullable<Globals["fetch"]>>;
      inFetch++;
      try {
        pending = originalFetch.call(this, input, init);
      } finally {
        inFetch--;
      }
      // The app gets the original promise's outcome; we only look at it.
      guarded(() => Promise.resolve(pending).then(
        (res) => safeReport({
          method, url, statusCode: guarded(() => res.status, undefined), durationMs: Math.max(0, clock() - start),
          requestBytes, responseBytes: contentLength(() => res.headers?.get("content-length")),
        }),
        (err: unknown) => safeReport({
          method, url, durationMs: Math.max(0, clock() - start), requestBytes,
          error: guarded(() => String((err as Error)?.message ?? err), "error"),
        }),
      ), undefined);
      return pending;
    };
    g.fetch = wrapped as Globals["fetch"];
    restores.push(() => { g.fetch = originalFetch; });
  }
  const proto = g.XMLHttpRequest?.prototype;
  if (proto && typeof proto.open === "function" && typeof proto.send === "function") {
    const { open, send } = proto;
    proto.open = function (this: XhrLike, method: string, url: string, ...rest: unknown[]) {
      guarded(() => { this.__rj = { method: String(method).toUpperCase(), url: String(url), start: 0, fetchOwned: inFetch > 0 }; }, undefined);
      return open.call(this, method, url, ...rest);
    };
    proto.send = function (this: XhrLike, body?: unknown) {
      guarded(() => watch(this, body), undefined);
      return send.call(this, body);
    };
    restores.push(() => { proto.open = open; proto.send = send; });
  }

  /** One report for this send of `xhr`, from whichever of its end events comes first. */
  function watch(xhr: XhrLike, body: unknown): void {
    const info = xhr.__rj;
    if (!info || info.fetchOwned || typeof xhr.addEventListener !== "function") return;
    info.start = clock();
    const requestBytes = bodySize(body);
    const events: Array<[string, string | undefined]> = [["load", undefined], ["error", "network error"], ["timeout", "timeout"], ["abort", "aborted"]];
    let done = false;
    const listeners: Array<[string, () => void]> = [];
    const finish = (error?: string) => {
      try {
        if (done) return;
        done = true;
        for (const [type, cb] of listeners) guarded(() => xhr.removeEventListener?.(type, cb), undefined);
        safeReport({
          method: info.method, url: info.url, durationMs: Math.max(0, clock() - info.start),
          statusCode: error ? undefined : guarded(() => xhr.status, undefined), requestBytes,
          responseBytes: error ? undefined : xhrResponseSize(xhr), error,
        });
      } catch {
        // A listener of ours that threw would be rethrown by React Native as a fatal error.
      }
    };
    for (const [type, error] of events) {
      const cb = () => finish(error);
      listeners.push([type, cb]);
      xhr.addEventListener(type, cb);
    }
  }
  return () => restores.forEach((r) => r());
}
