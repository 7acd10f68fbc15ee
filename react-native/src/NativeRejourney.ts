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
  /**
   * A JS error linked to the session: a fatal one as a crash fault (resolves once it is on
   * disk), a non-fatal one as `captureError` does (resolves to true once recorded).
   */
  reportError(name: string, message: string, stack: string, fatal: boolean): Promise<boolean>;
  /**
   * A handled (non-fatal) error: recorded in the event stream with its stack; uploads the
   * session's on-error buffer if it is buffering. Resolves to whether a buffer was uploaded.
   */
  captureError(name: string, message: string, stack: string): Promise<boolean>;
  /** Uploads the session's on-error buffer now (a manual trigger); resolves to whether it was buffering. */
  flushBuffer(reason: string): Promise<boolean>;
  optOut(): Promise<void>;
  /** The user's tracking consent (`pending`, `granted`, `denied`), kept on the device by the core. */
  setConsent(consent: string): Promise<void>;
  telemetryJson(): Promise<string>;
  /** The current session's replay URL on the dashboard (null without one that uploads). */
  sessionUrl(): Promise<string | null>;
  /** The headers for the app's request to `url`, as JSON: the session header for `traceHosts` only. */
  tracingHeadersJson(url: string): Promise<string>;
  /**
   * React Native's event-emitter convention (`NativeEventEmitter` calls them as JS subscribes
   * and unsubscribes): the native side counts subscriptions and emits the session event
   * (`RejourneySession`: `{type, sessionId, replayUrl, reason}`) only while one is held.
   */
  addListener(eventName: string): void;
  /**
   * Debug builds only: attaches (true) or detaches (false) the native SDK's frame observer,
   * which emits `RejourneyFrame` events (`{sessionId, timestampMs, width, height,
   * pixelsPerPoint, jpegBase64, masks, droppedFrames}`); resolves whether frames will flow
   * (false in a release build, or before start: it attaches at the next start).
   */
  setFrameObserver(enabled: boolean): Promise<boolean>;
  /** JS handled one frame event (at most 8 wait unacknowledged; later ones are dropped, counted). */
  frameObserved(): void;
  removeListeners(count: number): void;
}

export default TurboModuleRegistry.get<Spec>("Rejourney");
