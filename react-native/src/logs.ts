/**
 * Opt-in `console.*` capture as log lines. Messages are stringified defensively and cut at
 * `MAX_LOG_CHARS`; the original console still prints everything.
 */
export const MAX_LOG_CHARS = 1024;

const LEVELS = { debug: "debug", log: "info", info: "info", warn: "warn", error: "error" } as const;
type Method = keyof typeof LEVELS;

function text(args: unknown[]): string {
  const parts = args.map((a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return `${a.name}: ${a.message}`;
    try {
      return JSON.stringify(a) ?? String(a);
    } catch {
      return String(a);
    }
  });
  const s = parts.join(" ");
  return s.length > MAX_LOG_CHARS ? s.slice(0, MAX_LOG_CHARS) + "…" : s;
}

/** Wraps the console's methods; returns the function that restores them. */
export function captureConsole(report: (level: string, message: string) => void, c: Record<string, unknown> = console as unknown as Record<string, unknown>): () => void {
  const originals: Partial<Record<Method, unknown>> = {};
  let inside = false;
  for (const m of Object.keys(LEVELS) as Method[]) {
    const original = c[m];
    if (typeof original !== "function") continue;
    originals[m] = original;
    c[m] = (...args: unknown[]) => {
      // A report that logs (a warning from the bridge) must not recurse.
      if (!inside) {
        inside = true;
        try {
          report(LEVELS[m], text(args));
        } catch {
          // never break the app's logging
        } finally {
          inside = false;
        }
      }
      (original as (...a: unknown[]) => void).apply(c, args);
    };
  }
  return () => {
    for (const [m, f] of Object.entries(originals)) c[m] = f;
  };
}
