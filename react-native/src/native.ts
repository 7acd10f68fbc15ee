/**
 * Finding the native module. New Architecture: `TurboModuleRegistry.get("Rejourney")`; old
 * bridge: `NativeModules.Rejourney`. Where neither exists — Expo Go (no custom native code),
 * a build that was not rebuilt after installing, or plain Node — the SDK is a no-op that says
 * so once, clearly, and never throws into the app.
 */
import type { Spec } from "./NativeRejourney";

/** The parts of `react-native` this package touches (injectable for tests). */
export interface ReactNativeLike {
  TurboModuleRegistry?: { get(name: string): unknown };
  NativeModules?: Record<string, unknown>;
  UIManager?: { hasViewManagerConfig?(name: string): boolean; getViewManagerConfig?(name: string): unknown };
  requireNativeComponent?(name: string): unknown;
  View?: unknown;
  NativeEventEmitter?: new (module: unknown) => { addListener(event: string, cb: (payload: unknown) => void): { remove(): void } };
}

export type NativeModule = Spec;

export type Resolution =
  | { kind: "turbo" | "bridge"; module: NativeModule }
  | { kind: "expo-go" | "not-linked" | "no-react-native"; module: null; message: string };

let override: ReactNativeLike | null | undefined;

/** Tests (and hosts embedding the package elsewhere) provide their own `react-native`. */
export function setReactNative(rn: ReactNativeLike | null | undefined): void {
  override = rn;
}

/** `react-native`, or null where it cannot be loaded. */
export function reactNative(): ReactNativeLike | null {
  if (override !== undefined) return override;
  try {
    // Loaded lazily so this package also runs (and is tested) outside React Native.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("react-native") as ReactNativeLike;
  } catch {
    return null;
  }
}

/**
 * Expo Go: the Expo client app, which cannot contain our native module. expo-constants'
 * native module is `ExponentConstants` (Expo modules: `globalThis.expo.modules`; older SDKs:
 * `NativeModules`).
 */
function inExpoGo(rn: ReactNativeLike): boolean {
  const g = globalThis as { expo?: { modules?: Record<string, { appOwnership?: string; executionEnvironment?: string }> } };
  const constants = g.expo?.modules?.ExponentConstants ?? (rn.NativeModules?.ExponentConstants as { appOwnership?: string; executionEnvironment?: string } | undefined);
  return constants?.appOwnership === "expo" || constants?.executionEnvironment === "storeClient";
}

export function resolveNative(rn: ReactNativeLike | null = reactNative()): Resolution {
  if (!rn) {
    return { kind: "no-react-native", module: null, message: "Rejourney: react-native is not available here; recording is off." };
  }
  let turbo: unknown = null;
  try {
    turbo = rn.TurboModuleRegistry?.get("Rejourney") ?? null;
  } catch {
    turbo = null;
  }
  if (turbo) return { kind: "turbo", module: turbo as NativeModule };
  const bridge = rn.NativeModules?.Rejourney;
  if (bridge) return { kind: "bridge", module: bridge as NativeModule };
  if (inExpoGo(rn)) {
    return {
      kind: "expo-go",
      module: null,
      message: "Rejourney: running in Expo Go, which cannot load native modules; recording is off. Use a development build (npx expo run:ios / run:android).",
    };
  }
  return {
    kind: "not-linked",
    module: null,
    message: "Rejourney: the native module is not linked (rebuild the app after installing @rejourney/react-native; pod install on iOS); recording is off.",
  };
}

const warned = new Set<string>();

/** Says `message` once per process. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

/** For tests: forget which warnings were given. */
export function resetWarnings(): void {
  warned.clear();
}
