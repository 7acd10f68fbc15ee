/**
 * `<Mask>` and `<Unmask>`: a native view (`RejourneyMaskView`, a Fabric component from the
 * codegen spec in `RejourneyMaskViewNativeComponent.ts`, a Paper view manager on the old
 * architecture) registered with the platform SDK's process-wide mask registry, which the tree
 * walk reads. Where the native view is not there (an old build, Expo Go) the fallback still
 * marks the view — a plain `View` whose `testID` is `rj-mask` / `rj-unmask`, which the core
 * recognises as the test id (iOS accessibility identifier, Android view tag) — and warns once.
 */
import * as React from "react";
import type { ViewProps } from "react-native";
import { reactNative, warnOnce } from "./native";

export const MASK_TAG = "rj-mask";
export const UNMASK_TAG = "rj-unmask";
export const NATIVE_MASK_VIEW = "RejourneyMaskView";

/** A `View`'s props: `<Mask>` and `<Unmask>` lay out and style like a `View`. */
export type MaskProps = ViewProps;

type Props = Record<string, unknown>;
let cached: { rn: unknown; component: React.ComponentType<Props> | null } | null = null;

/** The native mask view, when the app's build has it: the codegen component, else Paper's. */
function nativeMaskView(): React.ComponentType<Props> | null {
  const rn = reactNative();
  if (cached && cached.rn === rn) return cached.component;
  let component: React.ComponentType<Props> | null = null;
  const has = Boolean(guard(() => {
    const ui = rn?.UIManager;
    return ui?.hasViewManagerConfig?.(NATIVE_MASK_VIEW) ?? Boolean(ui?.getViewManagerConfig?.(NATIVE_MASK_VIEW));
  }));
  if (has) {
    component = guard(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const spec = require("./RejourneyMaskViewNativeComponent") as { default?: unknown };
      return (spec.default ?? null) as React.ComponentType<Props> | null;
    }) ?? guard(() => (rn?.requireNativeComponent?.(NATIVE_MASK_VIEW) ?? null) as React.ComponentType<Props> | null);
  }
  cached = { rn, component };
  return component;
}

function guard<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

function Marked({ masked, props }: { masked: boolean; props: MaskProps }): React.ReactElement {
  const { children, ...rest } = props;
  const Native = nativeMaskView();
  if (Native) return React.createElement(Native, { ...rest, rjMasked: masked, collapsable: false }, children);
  warnOnce(
    `Rejourney: the native ${NATIVE_MASK_VIEW} is not in this build; <${masked ? "Mask" : "Unmask"}> falls back to testID="${masked ? MASK_TAG : UNMASK_TAG}".`,
  );
  const View = (reactNative()?.View ?? "View") as React.ElementType;
  return React.createElement(View, { ...rest, testID: masked ? MASK_TAG : UNMASK_TAG, collapsable: false }, children);
}

/** Blacks out its children in recordings. */
export function Mask(props: MaskProps): React.ReactElement {
  return Marked({ masked: true, props });
}

/** Records its children even where a kind is masked by default (secure inputs stay masked). */
export function Unmask(props: MaskProps): React.ReactElement {
  return Marked({ masked: false, props });
}
