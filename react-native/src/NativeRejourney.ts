/**
 * The TurboModule spec of the native module (`@react-native/codegen` reads this file; the
 * New Architecture generates its native interfaces from it, and the old bridge exposes the
 * same methods as `NativeModules.Rejourney`). The JS layer never imports this file at run
 * time: `native.ts` looks the module up by name, so the package also loads where React
 * Native is absent (tests, Expo Go).
 */
import type { TurboModule } from "react-native";
import { TurboModuleRegistry } from "react-native";

export interface Spec extends TurboModule {
  /** Starts recording with the validated options; resolves to the session id. */
  start(options: Object): Promise<string>;
  stop(): Promise<void>;
  identify(userId: string | null): Promise<void>;
  /** A custom event; property values are strings, numbers, booleans or null. */
  logEvent(name: string, properties: Object): void;
  screenChanged(name: string): void;
  /** `{method, url, statusCode?, durationMs, requestBytes?, responseBytes?, error?}`; the core redacts the URL. */
  networkRequest(request: Object): void;
  logMessage(level: string, message: string): void;
  /** A JS error as a fault linked to the session; resolves once it is on disk. */
  reportError(name: string, message: string, stack: string, fatal: boolean): Promise<boolean>;
  optOut(): Promise<void>;
  telemetryJson(): Promise<string>;
}

export default TurboModuleRegistry.get<Spec>("Rejourney");
