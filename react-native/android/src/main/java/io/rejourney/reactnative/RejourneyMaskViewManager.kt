package io.rejourney.reactnative

import com.facebook.react.uimanager.ThemedReactContext
import com.facebook.react.uimanager.annotations.ReactProp
import com.facebook.react.views.view.ReactViewGroup
import com.facebook.react.views.view.ReactViewManager
import io.rejourney.android.Rejourney

/**
 * `<Mask>` / `<Unmask>`: a plain React view registered with the SDK's mask registry (by
 * instance, weakly held), which the view walk reads on both architectures (Fabric runs it
 * through the legacy view manager interop).
 */
class RejourneyMaskViewManager : ReactViewManager() {
    override fun getName() = "RejourneyMaskView"

    override fun createViewInstance(context: ThemedReactContext): ReactViewGroup =
        super.createViewInstance(context).also { Rejourney.mask(it) }

    @ReactProp(name = "rjMasked", defaultBoolean = true)
    fun setRjMasked(view: ReactViewGroup, masked: Boolean) {
        if (masked) Rejourney.mask(view) else Rejourney.unmask(view)
    }
}
