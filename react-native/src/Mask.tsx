/**
 * `<Mask>` and `<Unmask>`: a native view (`RejourneyMaskView`) registered with the platform
 * SDK's mask registry, which the tree walk reads on both architectures. Where the native view
 * is not there (an old build, Expo Go) the fallback still marks the view — a plain `View`
 * whose `testID` is `rj-mask` / `rj-unmask`, which the core recognises as the test id (iOS
 * accessibility identifier, Android view tag) — and warns once.
 */
import * as React from "react";
import { reactNative, warnOnce } from "./native";

export const MASK_TAG = "rj-mask";
export const UNMASK_TAG = "rj-unmask";
export const NATIVE_MASK_VIEW = "RejourneyMaskView";

export interface MaskProps {
  children?: React.ReactNode;
  style?: unknown;
  [key: string]: unknown;
}

let cached: { rn: unknown; component: React.ComponentType<Record<string, unknown>> | null } | null = null;

/** The native mask view, when the app's build has it. */
function nativeMaskView(): React.ComponentType<Record<string, unknown>> | null {
  const rn = reactNative();
  if (cached && cached.rn === rn) return cached.component;
  let component: React.ComponentType<Record<string, unknown>> | null = null;
  const ui = rn?.UIManager;
  const has = ui?.hasViewManagerConfig?.(NATIVE_MASK_VIEW) ?? Boolean(ui?.getViewManagerConfig?.(NATIVE_MASK_VIEW));
  if (has && rn?.requireNativeComponent) {
    try {
      component = rn.requireNativeComponent(NATIVE_MASK_VIEW) as React.ComponentType<Record<string, unknown>>;
    } catch {
      component = null;
    }
  }
  cached = { rn, component };
  return component;
}

function Marked({ mask, children, ...rest }: MaskProps & { mask: boolean }): React.ReactElement {
  const Native = nativeMaskView();
  if (Native) return React.createElement(Native, { ...rest, mask, collapsable: false }, children);
  warnOnce(
    `Rejourney: the native ${NATIVE_MASK_VIEW} is not in this build; <${mask ? "Mask" : "Unmask"}> falls back to testID="${mask ? MASK_TAG : UNMASK_TAG}".`,
  );
  const View = (reactNative()?.View ?? "View") as React.ElementType;
  return React.createElement(View, { ...rest, testID: mask ? MASK_TAG : UNMASK_TAG, collapsable: false }, children);
}

/** Blacks out its children in recordings. */
export function Mask(props: MaskProps): React.ReactElement {
  return Marked({ ...props, mask: true });
}

/** Records its children even where a kind is masked by default (secure inputs stay masked). */
export function Unmask(props: MaskProps): React.ReactElement {
  return Marked({ ...props, mask: false });
}
