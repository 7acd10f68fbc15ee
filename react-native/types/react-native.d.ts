// The slice of React Native's types this package compiles against. Used only to build and test
// the package here (React Native itself is not installable without Xcode/Maven); an app
// compiles against the real `react-native` types. Not shipped.
declare module "react-native" {
  import type * as React from "react";
  export interface TurboModule {}
  export const TurboModuleRegistry: { get<T extends TurboModule>(name: string): T | null };
  export const NativeModules: Record<string, unknown>;
  export const UIManager: { hasViewManagerConfig?(name: string): boolean; getViewManagerConfig?(name: string): unknown };
  export function requireNativeComponent<P>(name: string): React.ComponentType<P>;
  export const View: React.ComponentType<Record<string, unknown>>;
  export const ErrorUtils: unknown;
}
