/**
 * Options a React Native app passes to `Rejourney.start`. Validated here so a mistake is a
 * thrown `RejourneyConfigError` at the call site in JS, before anything reaches the native
 * side; the Rust core validates again (it is the authority).
 */
export interface RejourneyOptions {
  /** Public project key (`x-rejourney-key`). */
  apiKey: string;
  /** Ingest API base URL, e.g. `https://api.rejourney.co` or a self-hosted backend. */
  apiUrl?: string;
  /** Milliseconds between captures (default 1000). */
  captureIntervalMs?: number;
  /** Output pixels per point (default 1.25). */
  captureScale?: number;
  /** JPEG quality 0..1 (default 0.5). */
  jpegQuality?: number;
  /** Fraction of sessions recorded, 0..1 (default 1). */
  sampleRate?: number;
  /** Mask every text view, not only inputs (default false). */
  maskAllText?: boolean;
  /** Mask every image (default false). */
  maskAllImages?: boolean;
  /** Native class names to mask (e.g. `RCTTextView`). */
  maskedClasses?: string[];
}

/** Options with every default filled in, as sent to the native module. */
export type ResolvedOptions = Required<RejourneyOptions>;

export const DEFAULT_API_URL = "https://api.rejourney.co";

export class RejourneyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RejourneyConfigError";
  }
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RejourneyConfigError(`${name} must be a number in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(o: RejourneyOptions): ResolvedOptions {
  if (o === null || typeof o !== "object") {
    throw new RejourneyConfigError("options must be an object");
  }
  if (typeof o.apiKey !== "string" || o.apiKey.trim() === "") {
    throw new RejourneyConfigError("apiKey is required");
  }
  const apiUrl = (o.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new RejourneyConfigError(`apiUrl is not a URL: ${apiUrl}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new RejourneyConfigError(`apiUrl must be http(s): ${apiUrl}`);
  }
  const maskedClasses = o.maskedClasses ?? [];
  if (!Array.isArray(maskedClasses) || maskedClasses.some((c) => typeof c !== "string" || c === "")) {
    throw new RejourneyConfigError("maskedClasses must be a list of class names");
  }
  return {
    apiKey: o.apiKey.trim(),
    apiUrl,
    captureIntervalMs: Math.round(inRange("captureIntervalMs", o.captureIntervalMs ?? 1000, 1, 60000)),
    captureScale: inRange("captureScale", o.captureScale ?? 1.25, 0.1, 4),
    jpegQuality: inRange("jpegQuality", o.jpegQuality ?? 0.5, 0, 1),
    sampleRate: inRange("sampleRate", o.sampleRate ?? 1, 0, 1),
    maskAllText: Boolean(o.maskAllText),
    maskAllImages: Boolean(o.maskAllImages),
    maskedClasses: [...maskedClasses],
  };
}
