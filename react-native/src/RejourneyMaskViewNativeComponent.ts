/**
 * The codegen component spec of `<Mask>` / `<Unmask>`'s native view. The New Architecture
 * generates its Fabric props, shadow node and component descriptor from this file (the app's
 * codegen, `react-native config`'s `componentDescriptors`); the old architecture gets the same
 * view from the Paper view manager (`RejourneyMaskView` on both platforms).
 *
 * The prop is `rjMasked`, not `mask`: on iOS `UIView.mask` is a `UIView?`, and a `mask: Bool`
 * would not compile. Deep imports keep React Native 0.74, the oldest supported, working.
 * Only `Mask.tsx` loads this file, lazily, once it knows the native view is in the build.
 */
import type { ViewProps } from "react-native";
import type { WithDefault } from "react-native/Libraries/Types/CodegenTypes";
import codegenNativeComponent from "react-native/Libraries/Utilities/codegenNativeComponent";

export interface NativeProps extends ViewProps {
  /** Masked (true) or explicitly unmasked (false). */
  rjMasked?: WithDefault<boolean, true>;
}

export default codegenNativeComponent<NativeProps>("RejourneyMaskView");
