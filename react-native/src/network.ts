/**
 * `fetch` and `XMLHttpRequest` timings as network events. Only the method, URL, status,
 * duration, sizes and error text are reported; bodies and headers never are. The native core
 * redacts secrets in the URL (query tokens, credentials) and applies the deny list, so this
 * layer only measures. Requests to the SDK's own API are skipped.
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
  status?: number;
  responseText?: unknown;
  __rj?: { method: string; url: string; start: number };
}

function bodySize(body: unknown): number | undefined {
  if (typeof body === "string") return body.length;
  if (body && typeof (body as { byteLength?: unknown }).byteLength === "number") return (body as { byteLength: number }).byteLength;
  return undefined;
}

function urlOf(input: unknown): string {
  if (typeof input === "string") return input;
  if (input && typeof (input as { url?: unknown }).url === "string") return (input as { url: string }).url;
  return String(input);
}

/**
 * Wraps `globalThis.fetch` and `XMLHttpRequest`; returns the function that restores them.
 * `skip` tells which URLs are the SDK's own.
 */
export function instrumentNetwork(report: Report, skip: (url: string) => boolean, now: () => number = Date.now, g: Globals = globalThis as Globals): () => void {
  const safeReport = (e: NetworkEvent) => {
    if (skip(e.url)) return;
    try {
      report(e);
    } catch {
      // Measuring must never break the app's request.
    }
  };
  const restores: Array<() => void> = [];
  const originalFetch = g.fetch;
  if (typeof originalFetch === "function") {
    const wrapped = async function (this: unknown, input: unknown, init?: { method?: string; body?: unknown }) {
      const start = now();
      const method = (init?.method ?? (input as { method?: string })?.method ?? "GET").toUpperCase();
      const url = urlOf(input);
      try {
        const res = await originalFetch.call(this, input, init);
        const length = Number(res.headers?.get("content-length") ?? NaN);
        safeReport({
          method, url, statusCode: res.status, durationMs: Math.max(0, now() - start),
          requestBytes: bodySize(init?.body), responseBytes: Number.isFinite(length) ? length : undefined,
        });
        return res;
      } catch (err) {
        safeReport({ method, url, durationMs: Math.max(0, now() - start), requestBytes: bodySize(init?.body), error: String((err as Error)?.message ?? err) });
        throw err;
      }
    };
    g.fetch = wrapped as Globals["fetch"];
    restores.push(() => { g.fetch = originalFetch; });
  }
  const proto = g.XMLHttpRequest?.prototype;
  if (proto && typeof proto.open === "function" && typeof proto.send === "function") {
    const { open, send } = proto;
    proto.open = function (this: XhrLike, method: string, url: string, ...rest: unknown[]) {
      this.__rj = { method: String(method).toUpperCase(), url: String(url), start: 0 };
      return open.call(this, method, url, ...rest);
    };
    proto.send = function (this: XhrLike, body?: unknown) {
      const info = this.__rj;
      if (info && typeof this.addEventListener === "function") {
        info.start = now();
        const xhr = this;
        let done = false;
        const finish = (error?: string) => {
          if (done) return;
          done = true;
          const text = typeof xhr.responseText === "string" ? xhr.responseText.length : undefined;
          safeReport({
            method: info.method, url: info.url, durationMs: Math.max(0, now() - info.start),
            statusCode: error ? undefined : xhr.status, requestBytes: bodySize(body), responseBytes: error ? undefined : text, error,
          });
        };
        this.addEventListener("load", () => finish());
        this.addEventListener("error", () => finish("network error"));
        this.addEventListener("timeout", () => finish("timeout"));
        this.addEventListener("abort", () => finish("aborted"));
      }
      return send.call(this, body);
    };
    restores.push(() => { proto.open = open; proto.send = send; });
  }
  return () => restores.forEach((r) => r());
}
