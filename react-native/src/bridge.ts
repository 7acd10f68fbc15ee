/**
 * The native side as the JS layer sees it. In an app this is `NativeModules.Rejourney`
 * (implemented by the iOS and Android SDKs over the Rust core); tests pass their own.
 */
import type { ResolvedOptions } from "./options";

export interface NativeBridge {
  start(options: ResolvedOptions): Promise<string>;
  stop(): Promise<void>;
  identify(userId: string | null): Promise<void>;
  logEvent(name: string, propertiesJson: string): Promise<void>;
  screenChanged(name: string): Promise<void>;
  optOut(): Promise<void>;
  telemetryJson(): Promise<string>;
}

/** Finds `NativeModules.Rejourney` when running inside React Native, else `null`. */
export function nativeBridge(): NativeBridge | null {
  try {
    // Loaded lazily so this package also runs (and is tested) outside React Native.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rn = require("react-native") as { NativeModules?: Record<string, unknown> };
    const mod = rn.NativeModules?.Rejourney as NativeBridge | undefined;
    return mod ?? null;
  } catch {
    return null;
  }
}
